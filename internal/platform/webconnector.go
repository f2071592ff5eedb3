package platform

import (
	"time"

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

// startWebConnector builds the Web Connector endpoint on the control
// plane: the same queue, connection events and completion path as the
// connector gateway.
func (m *Main) startWebConnector(acfg *api.Config) error {
	wc := m.cfg.WebConnector
	if wc.Disabled {
		return nil
	}
	srv, err := qbwc.New(qbwc.Config{
		Store:            store.NewWebConnectorStore(m.DB),
		Control:          m.Control,
		Logger:           m.cfg.Logger,
		Now:              m.cfg.Now,
		MinClientVersion: wc.MinClientVersion,
		// Login failures are counted per client as the link limit counts
		// them: behind --trusted-proxy, by the forwarded address.
		ClientAddr: api.ClientKeyFunc(acfg.TrustedProxies),
		QWC:        qbwc.QWCConfig{PublicURL: wc.PublicURL, RunEvery: wc.RunEvery},
	})
	if err != nil {
		return err
	}
	acfg.WebConnector = srv
	return nil
}
