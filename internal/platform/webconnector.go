package platform

import (
	"context"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/store"
)

// WebConnectorConfig configures the QuickBooks Web Connector endpoint at
// /qbwc and the .qwc downloads.
type WebConnectorConfig struct {
	// Disabled leaves /qbwc and the .qwc download out.
	Disabled bool
	// PublicURL is the platform's base URL as the Web Connector reaches
	// it; "" means the URL each .qwc request came in on. It must be https
	// unless the host is localhost.
	PublicURL string
	// MinClientVersion is the oldest Web Connector accepted ("" accepts all).
	MinClientVersion string
	// RunEvery is the .qwc's RunEveryNMinutes; 0 means 15 minutes.
	RunEvery time.Duration
}

// startWebConnector builds the Web Connector endpoint on the same queue and
// sync engine as the connector gateway. Its finished operations take the
// gateway's path (engine, webhooks) through the API server, which exists
// by the time the first SOAP call arrives.
func (m *Main) startWebConnector(acfg *api.Config) error {
	wc := m.cfg.WebConnector
	if wc.Disabled {
		return nil
	}
	// The endpoint changes connections' health and status as the gateway
	// does: through the same event-raising service, shared with the API
	// server, so that each change raises one connection.status_changed.
	var changed func(ctx context.Context, before, after *qbconnect.Connection)
	if acfg.Events != nil {
		ce, ok := acfg.Connections.(*api.ConnectionEvents)
		if !ok {
			ce = api.NewConnectionEvents(acfg.Connections, acfg.Events, m.cfg.Now, m.cfg.Logger)
			acfg.Connections = ce
		}
		changed = ce.Changed
	}
	srv, err := qbwc.New(qbwc.Config{
		Store:             store.NewWebConnectorStore(m.DB),
		Connections:       acfg.Connections,
		ConnectionChanged: changed,
		Queue:             m.Queue,
		Sync:              m.Sync,
		Logger:            m.cfg.Logger,
		Now:               m.cfg.Now,
		MinClientVersion:  wc.MinClientVersion,
		// Login failures are counted per client as the link limit counts
		// them: behind --trusted-proxy, by the forwarded address.
		ClientAddr: api.ClientKeyFunc(acfg.TrustedProxies),
		Finished: func(ctx context.Context, op *qbconnect.Operation) {
			m.API.OperationFinished(ctx, op)
		},
		QWC: qbwc.QWCConfig{PublicURL: wc.PublicURL, RunEvery: wc.RunEvery},
	})
	if err != nil {
		return err
	}
	acfg.WebConnector = srv
	return nil
}
