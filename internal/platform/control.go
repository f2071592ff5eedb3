package platform

import (
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
)

// NewControl makes the control plane that the REST API and the Web
// Connector endpoint share, from the API's configuration (its services,
// sync engine, logger, clock, lease and long-poll limits and OnPollWait
// hook) and, from extra, what the API's configuration does not hold: the
// events' recorder, the handover reporter, the dispatcher and the
// after-commit hook (each may be nil). The API's metrics are its
// observer. It sets acfg.Control and acfg.Metrics. Main and the in-process
// test platform (internal/platformtest) both wire it so.
func NewControl(acfg *api.Config, extra control.Config) error {
	metrics := api.NewMetrics()
	cfg := extra
	cfg.Orgs, cfg.Companies, cfg.Connections, cfg.Queue, cfg.Sync = acfg.Orgs, acfg.Companies, acfg.Connections, acfg.Queue, acfg.Sync
	cfg.Views, cfg.Observer = api.NewViews(), metrics
	cfg.Logger, cfg.Now = acfg.Logger, acfg.Now
	cfg.LeaseTTL, cfg.MaxPollWait, cfg.OnlineWindow, cfg.OnPollWait = acfg.LeaseTTL, acfg.MaxPollWait, acfg.OnlineWindow, acfg.OnPollWait
	ctl, err := control.New(cfg)
	if err != nil {
		return err
	}
	acfg.Control, acfg.Metrics = ctl, metrics
	return nil
}
