// Package notify tells people what happened: email over SMTP through an
// outbox table and River jobs, and (in its webhook files) signed webhooks to
// client applications.
//
// It imports the domain (package qbconnect) and the store: the mail outbox
// lives in store.ReleaseStore, webhooks in store.WebhookStore, and the
// River jobs share the store's database (store.DB). internal/platform,
// release and the test environment import it. One River client (Jobs) runs the background work of the whole
// package: each part registers its workers on Jobs.Workers before Start.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// JobsConfig configures the River client. Exactly one of SQLite and
// PostgresURL is set.
type JobsConfig struct {
	// SQLite is the store's SQLite handle (store.DB.SQLDB); River keeps its
	// tables in the same database.
	SQLite *sql.DB
	// PostgresURL is the store's PostgreSQL URL; River opens a pgx pool of
	// its own on it and keeps its tables in the same schema.
	PostgresURL string
	// Logger receives River's logs at warning level and above; nil
	// discards.
	Logger *slog.Logger
	// PollInterval is how often idle workers look for jobs inserted by
	// another process (SQLite has no LISTEN); 0 means one second. Jobs
	// inserted by this process start at once.
	PollInterval time.Duration
	// MaxWorkers is how many jobs run at once; 0 means 10.
	MaxWorkers int
	// RetryBase and RetryMax bound the exponential delay between attempts
	// of a failed job; 0 means 30 s and one hour.
	RetryBase, RetryMax time.Duration
	// JobTimeout is how long one job may run before its context is
	// cancelled; 0 means one minute. A webhook delivery gives up after
	// 15 s (WebhookHTTPClient), an email after MailConfig.Timeout (30 s).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River's
	// rescuer takes it for the job of a process that died and retries it;
	// 0 means JobTimeout plus one minute (River's own default is an hour,
	// which would hold a webhook delivery or an email that long after a
	// crash). It may not be shorter than JobTimeout: a live job is never
	// rescued, since its context ends at JobTimeout.
	RescueAfter time.Duration
}

// Jobs is the platform's background job queue: one River client on the
// store's database. Register workers with river.AddWorker(jobs.Workers(),
// ...) before Start.
type Jobs struct {
	cfg     JobsConfig
	workers *river.Workers

	mu      sync.Mutex
	insert  func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	stop    func(ctx context.Context) error
	pool    *pgxpool.Pool
	started bool
}

// NewJobs checks cfg and returns a Jobs that is not started yet.
func NewJobs(cfg JobsConfig) (*Jobs, error) {
	if (cfg.SQLite == nil) == (cfg.PostgresURL == "") {
		return nil, errors.New("notify: jobs need exactly one of a SQLite handle and a PostgreSQL URL")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Hour
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = cfg.JobTimeout + time.Minute
	}
	if cfg.RescueAfter < cfg.JobTimeout {
		return nil, fmt.Errorf("notify: jobs: RescueAfter (%s) is shorter than JobTimeout (%s): running jobs would be rescued", cfg.RescueAfter, cfg.JobTimeout)
	}
	return &Jobs{cfg: cfg, workers: river.NewWorkers()}, nil
}

// Workers is the registry that Start hands to River.
func (j *Jobs) Workers() *river.Workers { return j.workers }

// Start applies River's migrations and starts working jobs. It returns
// once the client runs; Stop stops it.
func (j *Jobs) Start(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return errors.New("notify: jobs already started")
	}
	var err error
	if j.cfg.SQLite != nil {
		err = startClient(ctx, j, riversqlite.New(j.cfg.SQLite))
	} else {
		j.pool, err = pgxpool.New(ctx, j.cfg.PostgresURL)
		if err != nil {
			return fmt.Errorf("notify: jobs database: %w", err)
		}
		if err = startClient(ctx, j, riverpgxv5.New(j.pool)); err != nil {
			j.pool.Close()
			j.pool = nil
		}
	}
	if err != nil {
		return err
	}
	j.started = true
	return nil
}

func startClient[TTx any](ctx context.Context, j *Jobs, driver riverdriver.Driver[TTx]) error {
	// River's own logs are about River; keep the platform log readable.
	riverLog := slog.New(levelFloor{j.cfg.Logger.Handler(), slog.LevelWarn})
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: riverLog})
	if err != nil {
		return fmt.Errorf("notify: jobs migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("notify: jobs migrations: %w", err)
	}
	client, err := river.NewClient(driver, &river.Config{
		Logger:            riverLog,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: j.cfg.MaxWorkers}},
		Workers:           j.workers,
		FetchPollInterval: j.cfg.PollInterval,
		FetchCooldown:     min(j.cfg.PollInterval, river.FetchCooldownDefault),
		RetryPolicy:       &retryPolicy{base: j.cfg.RetryBase, max: j.cfg.RetryMax},
		JobTimeout:        j.cfg.JobTimeout,
		// The job of a process that died is retried minutes later, not
		// after River's default hour.
		RescueStuckJobsAfter: j.cfg.RescueAfter,
	})
	if err != nil {
		return fmt.Errorf("notify: jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("notify: starting jobs: %w", err)
	}
	j.insert = client.Insert
	j.stop = client.Stop
	return nil
}

// Insert queues a job. It fails before Start.
func (j *Jobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	j.mu.Lock()
	insert := j.insert
	j.mu.Unlock()
	if insert == nil {
		return errors.New("notify: jobs are not started")
	}
	_, err := insert(ctx, args, opts)
	return err
}

// Stop lets running jobs finish (until ctx ends) and stops the client.
func (j *Jobs) Stop(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		return nil
	}
	j.started = false
	err := j.stop(ctx)
	j.insert, j.stop = nil, nil
	if j.pool != nil {
		j.pool.Close()
		j.pool = nil
	}
	return err
}

// retryPolicy waits base·2^(attempt-1), at most max, between attempts.
type retryPolicy struct{ base, max time.Duration }

func (p *retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.base
	for i := 1; i < job.Attempt && d < p.max; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, p.max))
}

// levelFloor drops records below a level.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
