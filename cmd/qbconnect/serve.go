package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/internal/platform"
)

// dbFlagHelp documents --db for every command that takes it.
const dbFlagHelp = `database: "sqlite:PATH" or a postgres:// URL (env QBCONNECT_DB)`

// defaultDB is --db's default: $QBCONNECT_DB, else a SQLite file in the
// working directory.
func defaultDB() string {
	if v := os.Getenv("QBCONNECT_DB"); v != "" {
		return v
	}
	return "sqlite:qbconnect.db"
}

// newServeCmd returns `qbconnect serve`: the platform server.
func newServeCmd() *cobra.Command {
	var (
		cfg     platform.Config
		log     *cliout.Log
		proxies []string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the platform: REST API, connector gateway, health and metrics",
		Long: `Serve the platform on --addr: the REST API (/v1), the connector gateway
(/gateway/v1, see gateway/PROTOCOL.md), /healthz, /readyz and /metrics.
Migrations are applied at start. Several processes may share one PostgreSQL
database. SIGINT or SIGTERM shuts down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Logger = log.Logger(cmd.ErrOrStderr())
			var err error
			if cfg.API.TrustedProxies, err = parseTrustedProxies(proxies); err != nil {
				return &cliout.UsageError{Err: err}
			}
			if err := checkSyncFlags(cfg.Sync); err != nil {
				return &cliout.UsageError{Err: err}
			}
			// The password comes from the environment only, never a flag
			// that other local users could read in the process list.
			cfg.Release.SMTP.Password = os.Getenv("QBCONNECT_SMTP_PASSWORD")
			if cfg.AfterCommit, err = testCrash(os.Getenv(testCrashEnv), cmd.ErrOrStderr()); err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DB, "db", defaultDB(), dbFlagHelp)
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	log = cliout.AddLog(cmd, "info")
	f.DurationVar(&cfg.SweepInterval, "sweep-interval", 15*time.Second, "how often expired leases, deadlines and offline connectors are swept")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long shutdown waits for requests in progress")
	f.DurationVar(&cfg.OperationRetention, "operation-retention", 30*24*time.Hour, "how long finished operations and their outcomes are kept (negative: forever)")
	f.DurationVar(&cfg.SyncResultRetention, "sync-result-retention", 24*time.Hour, "how long the qbXML result of a finished sync page is kept after its records are stored (negative: as long as the operation)")
	f.DurationVar(&cfg.API.LeaseTTL, "lease-ttl", 10*time.Minute, "how long a connector holds a work item before it is offered again")
	f.DurationVar(&cfg.API.LinkCodeTTL, "link-code-ttl", time.Hour, "default lifetime of a link code")
	f.StringVar(&cfg.WebConnector.PublicURL, "public-url", "", "base URL that QuickBooks Web Connector reaches (https unless localhost; default: the URL of each .qwc request)")
	f.BoolVar(&cfg.WebConnector.Disabled, "no-webconnector", false, "do not serve the QuickBooks Web Connector endpoint (/qbwc)")
	f.StringArrayVar(&proxies, "trusted-proxy", nil, "address or CIDR of a proxy in front of the server (the TLS terminator) whose X-Forwarded-For/Forwarded headers name the client, for the link-attempt limit (repeatable; default: none, the headers are ignored)")
	f.IntVar(&cfg.Sync.MaxReturned, "sync-page-size", 500, "records asked of QuickBooks per request of a sync (MaxReturned): larger pages mean fewer round trips and longer QuickBooks calls")
	f.DurationVar(&cfg.Sync.TickInterval, "sync-tick", time.Minute, "how often the scheduler looks for companies due a sync and for sync pages whose results were not handled")
	f.DurationVar(&cfg.Sync.Overlap, "sync-overlap", 5*time.Minute, "how far an incremental sync reaches back before the last one, for the difference between QuickBooks' clock and the server's")
	f.IntVar(&cfg.Sync.MaxRestarts, "sync-max-restarts", 3, "how often a sync of a type may start over (an expired iterator, QuickBooks closed mid-sync) before it fails")
	f.DurationVar(&cfg.Sync.FullEvery, "sync-full-every", 24*time.Hour, "how often the types QuickBooks reports no deletions of (leads, transfers) are read whole, which is how deletions of them are learnt")
	f.IntVar(&cfg.Sync.WebhookAttempts, "webhook-attempts", 12, "how often a webhook delivery is tried before it is given up")
	f.DurationVar(&cfg.Sync.JobRetryBase, "job-retry-base", 30*time.Second, "delay before the first retry of a failed webhook delivery or email; it doubles at each attempt")
	f.BoolVar(&cfg.Sync.AllowPrivateWebhooks, "allow-private-webhooks", false, "accept and deliver to webhook URLs on loopback, private or link-local addresses (tests, demos, a private network); refused by default")
	f.StringVar(&cfg.Release.SMTP.Host, "smtp-host", os.Getenv("QBCONNECT_SMTP_HOST"), "SMTP server for notices and expiry warnings (default $QBCONNECT_SMTP_HOST; empty logs them instead)")
	f.IntVar(&cfg.Release.SMTP.Port, "smtp-port", 0, "SMTP port (0: 465 with --smtp-tls=tls, else 587)")
	f.StringVar(&cfg.Release.SMTP.TLS, "smtp-tls", "starttls", "SMTP transport security: starttls, tls or none")
	f.StringVar(&cfg.Release.SMTP.Username, "smtp-user", os.Getenv("QBCONNECT_SMTP_USER"), "SMTP user name for AUTH PLAIN (default $QBCONNECT_SMTP_USER)")
	f.StringVar(&cfg.Release.SMTP.From, "smtp-from", "qbconnect <noreply@localhost>", "sender address of emails")
	f.StringSliceVar(&cfg.Release.Operators, "operator-email", nil, "address that receives signing-certificate expiry warnings (repeatable)")
	f.DurationVar(&cfg.Release.Interval, "release-interval", time.Minute, "how often rotation campaigns are tracked, certificates checked and queued email resumed")
	bindEnv(cmd, "QBCONNECT_")
	return cmd
}

// checkSyncFlags refuses sync settings the engine cannot run on. Zero is
// refused too: the engine would read it as "its default", not as zero.
func checkSyncFlags(s platform.SyncConfig) error {
	for _, c := range []struct {
		flag string
		ok   bool
	}{
		{"--sync-page-size", s.MaxReturned > 0},
		{"--sync-tick", s.TickInterval > 0},
		{"--sync-overlap", s.Overlap > 0},
		{"--sync-max-restarts", s.MaxRestarts > 0},
		{"--sync-full-every", s.FullEvery > 0},
		{"--webhook-attempts", s.WebhookAttempts > 0},
	} {
		if !c.ok {
			return fmt.Errorf("%s must be positive", c.flag)
		}
	}
	return nil
}

// parseTrustedProxies reads --trusted-proxy values: CIDRs ("10.0.0.0/8")
// or single addresses ("10.0.0.5", "::1").
func parseTrustedProxies(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var split []string
	for _, v := range values {
		// $QBCONNECT_TRUSTED_PROXY takes a comma-separated list.
		split = append(split, strings.Split(v, ",")...)
	}
	for _, v := range split {
		v = strings.TrimSpace(v)
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q: want an address or a CIDR such as 10.0.0.0/8", v)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// testCrashEnv names the test-only crash point of serve. With
// QBCONNECT_TEST_CRASH=after-commit:<event type> (such as
// after-commit:write.succeeded) the process exits at once, with status
// testCrashStatus, right after the transaction of the first change that
// records an event of that type commits, and before anything else runs
// (the event's deliveries are not started): the tests of the outbox kill
// the platform exactly there. Never set it in production.
const testCrashEnv = "QBCONNECT_TEST_CRASH"

// testCrashStatus is the exit status of a test crash.
const testCrashStatus = 86

// testCrash reads QBCONNECT_TEST_CRASH's value; nil when it is "".
func testCrash(spec string, stderr io.Writer) (func([]qbconnect.EventType), error) {
	if spec == "" {
		return nil, nil
	}
	typ, ok := strings.CutPrefix(spec, "after-commit:")
	if !ok || !slices.Contains(qbconnect.EventTypes(), qbconnect.EventType(typ)) {
		return nil, fmt.Errorf("%s=%q: want after-commit:<event type>, such as after-commit:write.succeeded", testCrashEnv, spec)
	}
	return func(types []qbconnect.EventType) {
		if slices.Contains(types, qbconnect.EventType(typ)) {
			fmt.Fprintf(stderr, "%s: exiting right after the commit of a change that recorded %s\n", testCrashEnv, typ)
			os.Exit(testCrashStatus)
		}
	}, nil
}

// ReadyMessage is the message of the log record `qbconnect serve` writes
// once it listens; its url attribute is the base URL.
const ReadyMessage = "qbconnect serving on"

// runServe serves until ctx is done, then shuts down gracefully. Once
// listening it logs the base URL (ReadyMessage, with a url attribute) at
// every --log-level but off, so that scripts and tests using port 0 learn
// it; it writes nothing on standard output, so that with --log-format json
// every line the server writes is a JSON record.
func runServe(ctx context.Context, cfg platform.Config) error {
	m := platform.New(cfg)
	if err := m.Run(ctx); err != nil {
		return err
	}
	ready := slog.NewRecord(time.Now(), slog.LevelInfo, ReadyMessage, 0)
	ready.AddAttrs(slog.String("url", m.URL()))
	// Through the handler, not the logger: the level does not hide it.
	if err := cfg.Logger.Handler().Handle(ctx, ready); err != nil {
		return fmt.Errorf("log the ready line: %w", err)
	}
	var served error
	select {
	case <-ctx.Done():
	case served = <-m.Served():
	}
	cfg.Logger.Info("shutting down")
	if err := m.Close(); err != nil {
		return err
	}
	if served != nil {
		return fmt.Errorf("serve: %w", served)
	}
	cfg.Logger.Info("stopped")
	return nil
}
