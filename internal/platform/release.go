package platform

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/store"
)

// ReleaseConfig configures releases, campaigns, the expiry watch and email.
// The zero value logs notices instead of emailing them.
type ReleaseConfig struct {
	// SMTP sends email when Host is set: an outbox in the database, sent
	// and retried by River jobs.
	SMTP notify.SMTPConfig
	// Operators receive signing-certificate expiry warnings.
	Operators []string
	// Thresholds are the days before expiry at which to warn; nil means
	// 90, 60, 30, 14, 7.
	Thresholds []int
	// Interval is how often campaigns are tracked and certificates
	// checked; 0 means one minute.
	Interval time.Duration
	// Verifier checks what `release publish` would through the API; nil
	// trusts the system roots.
	Verifier *signing.Verifier
	// JobPollInterval is how often River looks for jobs from other
	// processes; 0 means one second.
	JobPollInterval time.Duration
	// OnPass, when set, is called after every tracking pass. Tests wait on
	// it.
	OnPass func(error)
}

// startReleases builds the release service and, with SMTP, the outbox and
// its River jobs.
func (m *Main) startReleases(ctx context.Context, acfg *api.Config) error {
	rc := m.cfg.Release
	if rc.Interval <= 0 {
		rc.Interval = time.Minute
		m.cfg.Release.Interval = rc.Interval
	}
	rs := store.NewReleaseStore(m.DB)
	var mail release.Mailer
	if rc.SMTP.Host != "" {
		mailer, err := notify.NewMailer(rc.SMTP, m.cfg.Logger, m.cfg.Now)
		if err != nil {
			return err
		}
		if err := m.ensureJobs(); err != nil {
			return err
		}
		if m.Outbox, err = notify.NewOutbox(notify.OutboxConfig{Store: rs, Sender: mailer, Jobs: m.jobs, Logger: m.cfg.Logger}); err != nil {
			return err
		}
		if err := m.startJobs(ctx); err != nil {
			return err
		}
		if _, err := m.Outbox.Resume(ctx); err != nil {
			return fmt.Errorf("resume the mail outbox: %w", err)
		}
		mail = m.Outbox
		// Mail queued by other processes (`qbconnect release publish`
		// writes straight to the database) goes out within one tracking
		// pass, not at the next restart.
		outbox, onPass := m.Outbox, m.cfg.Release.OnPass
		m.cfg.Release.OnPass = func(err error) {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rc.Interval+5*time.Second)
			if _, rerr := outbox.Resume(rctx); rerr != nil && err == nil {
				err = rerr
				m.cfg.Logger.Warn("mail: resuming queued messages failed", "err", rerr)
			}
			cancel()
			if onPass != nil {
				onPass(err)
			}
		}
	}
	// Campaign webhooks go out through the webhook sender, which startSync
	// set before this runs.
	var err error
	m.Releases, err = release.New(release.Config{Store: rs, Orgs: m.Orgs, Mail: mail, Verifier: rc.Verifier,
		Operators: rc.Operators, Thresholds: rc.Thresholds, Now: m.cfg.Now, Logger: m.cfg.Logger, Events: m.Webhooks})
	if err != nil {
		return err
	}
	acfg.Releases = m.Releases
	return nil
}

// The releases take the connectors' handover steps from their state
// reports.
var _ control.HandoverReporter = (*release.Service)(nil)

func (m *Main) stopJobs() error {
	if m.jobs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
	defer cancel()
	err := m.jobs.Stop(ctx)
	m.jobs = nil
	if err != nil && !strings.Contains(err.Error(), "not started") {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}
