package platform

import (
	"context"
	"fmt"
	"time"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/syncengine"
)

// SyncConfig configures the sync engine and webhooks of a Main.
type SyncConfig struct {
	// MaxReturned is the page size of iterator queries; 0 means the
	// engine's default (500).
	MaxReturned int
	// TickInterval is how often the scheduler looks for due syncs; 0 means
	// the engine's default (one minute).
	TickInterval time.Duration
	// Overlap, MaxRestarts and FullEvery are the engine's settings of the
	// same names (syncengine.Config); 0 means the engine's default.
	Overlap     time.Duration
	MaxRestarts int
	FullEvery   time.Duration
	// WebhookAttempts is how often a webhook delivery is tried; 0 means
	// notify's default (12).
	WebhookAttempts int
	// AllowPrivateWebhooks accepts webhook endpoints, and delivers to
	// addresses, that are not public (notify.WebhooksConfig.AllowPrivate);
	// false, the production default, refuses them.
	AllowPrivateWebhooks bool
	// JobRetryBase is the delay before the first retry of a failed webhook
	// delivery or email, doubling at each attempt; 0 means notify's
	// default (30 seconds).
	JobRetryBase time.Duration
}

// startSync builds the sync engine behind the data, sync and write
// endpoints and the connector's Perform Sync, and the webhook sender
// behind /v1/webhooks and the API's events. Both run once Run starts the
// jobs and the scheduler.
func (m *Main) startSync(ctx context.Context, acfg *api.Config) error {
	sc := m.cfg.Sync
	eng, err := syncengine.New(syncengine.Config{DB: m.DB, Queue: m.Queue, Logger: m.cfg.Logger, Now: m.cfg.Now,
		MaxReturned: sc.MaxReturned, TickInterval: sc.TickInterval, Overlap: sc.Overlap, MaxRestarts: sc.MaxRestarts, FullEvery: sc.FullEvery})
	if err != nil {
		return err
	}
	m.Sync = eng
	m.Records = store.NewRecordStore(m.DB)
	if acfg.Sync == nil {
		acfg.Sync = eng
	}
	if acfg.Records == nil {
		acfg.Records = m.Records
	}
	if acfg.Reports == nil {
		acfg.Reports = store.NewReportStore(m.DB)
	}
	if err := m.ensureJobs(); err != nil {
		return err
	}
	// Endpoints and deliveries refuse non-public addresses (checked on the
	// address dialled) unless private webhook targets are allowed.
	m.Webhooks, err = notify.NewWebhooks(notify.WebhooksConfig{Store: store.NewWebhookStore(m.DB), Jobs: m.jobs,
		AllowPrivate: sc.AllowPrivateWebhooks,
		Logger:       m.cfg.Logger, Now: m.cfg.Now, MaxAttempts: sc.WebhookAttempts})
	if err != nil {
		return err
	}
	if acfg.Webhooks == nil {
		acfg.Webhooks = m.Webhooks
	}
	return nil
}

// runSync starts the jobs (webhook deliveries, email), the webhook sweeper
// and the sync scheduler.
func (m *Main) runSync(ctx context.Context) error {
	if err := m.startJobs(ctx); err != nil {
		return err
	}
	if err := m.Webhooks.Start(ctx); err != nil {
		return err
	}
	return m.Sync.Start(ctx)
}

// stopSync stops the scheduler and the webhook sweeper.
func (m *Main) stopSync() {
	if m.Sync != nil {
		m.Sync.Stop()
	}
	if m.Webhooks != nil {
		m.Webhooks.Close()
	}
}

// ensureJobs creates the River jobs client (not started) on the
// platform's database.
func (m *Main) ensureJobs() error {
	if m.jobs != nil {
		return nil
	}
	jc := notify.JobsConfig{Logger: m.cfg.Logger, PollInterval: m.cfg.Release.JobPollInterval, RetryBase: m.cfg.Sync.JobRetryBase}
	if m.DB.Dialect() == store.SQLite {
		jc.SQLite = m.DB.SQLDB()
	} else {
		jc.PostgresURL = m.cfg.DB
	}
	jobs, err := notify.NewJobs(jc)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	m.jobs = jobs
	return nil
}

// startJobs starts the jobs once; later calls do nothing.
func (m *Main) startJobs(ctx context.Context) error {
	if m.jobsStarted {
		return nil
	}
	if err := m.jobs.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	m.jobsStarted = true
	return nil
}
