package api_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/api"
)

// With the database gone, /metrics still answers 200 with every metric it
// can compute (request counters, Go runtime, connectors online), leaves
// out the queue depth and says qbconnect_database_up 0.
func TestMetricsAnswerWhileTheDatabaseIsDown(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			e.mustDo(200, "GET", "/healthz", "", nil, nil)
			up := e.mustDo(200, "GET", "/metrics", "", nil, nil)
			if !strings.Contains(string(up.Body), "qbconnect_database_up 1") {
				t.Errorf("database up: no qbconnect_database_up 1 in\n%.2000s", up.Body)
			}
			if err := e.db.Close(); err != nil {
				t.Fatal(err)
			}
			r := e.do("GET", "/metrics", "", nil)
			if r.Status != 200 {
				t.Fatalf("/metrics with the database down: %d\n%.2000s", r.Status, r.Body)
			}
			body := string(r.Body)
			for _, want := range []string{"qbconnect_database_up 0", `qbconnect_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
				"qbconnect_connectors_online 0", "go_goroutines"} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics with the database down lacks %q", want)
				}
			}
			for _, counted := range []string{"qbconnect_queue_depth{", "qbconnect_connections{"} {
				if strings.Contains(body, counted) {
					t.Errorf("/metrics reports %s... it could not count", counted)
				}
			}
		})
	}
}

// /readyz says the database is unreachable without naming its user, host
// or database: the driver's real error (pgx, connecting to a port where
// nothing listens) goes to the log only.
func TestReadyzDoesNotNameTheDatabase(t *testing.T) {
	pg, err := sql.Open("pgx", "postgres://secret_user@127.0.0.1:1/secret_db?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	var driverErr error
	e := newEnv(t, sqliteDSN(t), func(c *api.Config) {
		c.Ready = func(r *http.Request) error {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			driverErr = pg.PingContext(ctx)
			return driverErr
		}
	})
	r := e.do("GET", "/readyz", "", nil)
	if r.Status != 503 {
		t.Fatalf("/readyz = %d %s, want 503", r.Status, r.Body)
	}
	if driverErr == nil || !strings.Contains(driverErr.Error(), "secret_user") {
		t.Fatalf("the driver's error does not name the user, so this test proves nothing: %v", driverErr)
	}
	for _, secret := range []string{"secret_user", "secret_db", "127.0.0.1", ":1"} {
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("/readyz names %q: %s", secret, r.Body)
		}
	}
	if !strings.Contains(string(r.Body), "the database is unreachable") {
		t.Errorf("/readyz does not say what is wrong: %s", r.Body)
	}
}
