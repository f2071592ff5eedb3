package platform

import (
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
)

// NewControl makes the control plane that the REST API and the Web
// Connector endpoint share, from the API's configuration (its services,
// sync engine, logger, clock, lease and long-poll limits and OnPollWait
// hook), with the API's metrics as its observer, and sets acfg.Control and
// acfg.Metrics. events receives the platform's events (nil drops them);
// handovers records certificate handovers (nil ignores them); dispatch
// answers idle long-polls from memory (the store's Dispatcher; nil asks
// the services on every poll). Main and the in-process test platform
// (internal/platformtest) both wire it so.
func NewControl(acfg *api.Config, events control.Events, handovers control.HandoverReporter, dispatch control.Dispatch) error {
	metrics := api.NewMetrics()
	ctl, err := control.New(control.Config{Orgs: acfg.Orgs, Companies: acfg.Companies, Connections: acfg.Connections,
		Queue: acfg.Queue, Sync: acfg.Sync, Events: events, Views: api.NewViews(), Observer: metrics, Handovers: handovers,
		Logger: acfg.Logger, Now: acfg.Now, LeaseTTL: acfg.LeaseTTL, MaxPollWait: acfg.MaxPollWait,
		OnlineWindow: acfg.OnlineWindow, OnPollWait: acfg.OnPollWait, Dispatch: dispatch})
	if err != nil {
		return err
	}
	acfg.Control, acfg.Metrics = ctl, metrics
	return nil
}
