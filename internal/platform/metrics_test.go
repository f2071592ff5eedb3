package platform_test

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/platform"
)

// TestMetricsShowWhatTheDispatcherAnsweredFromMemory: a linked connector
// polls twice with no work; /metrics then reports the dispatcher's state:
// one connector known, its claims by source (its second "no work" answered
// from memory), its credential read from the cache.
func TestMetricsShowWhatTheDispatcherAnsweredFromMemory(t *testing.T) {
	m := startMain(t, platform.Config{})
	ctx := context.Background()
	org, err := m.Orgs.CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	client := linkIdleConnector(t, m, org.ID)
	for range 2 {
		p, err := client.Poll(ctx, gateway.PollRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Item != nil {
			t.Fatalf("poll returned an item: %+v", p.Item)
		}
	}

	st, body := getText(t, m.URL()+"/metrics")
	if st != 200 {
		t.Fatalf("/metrics = %d", st)
	}
	for _, want := range []struct {
		metric string
		min    float64
	}{
		{`qbconnect_dispatch_connectors`, 1},
		{`qbconnect_dispatch_claims_total{source="database"}`, 1},
		{`qbconnect_dispatch_claims_total{source="memory"}`, 1},
		{`qbconnect_dispatch_credential_cache_hits_total`, 1},
		{`qbconnect_dispatch_connection_cache_hits_total`, 0},
		{`qbconnect_dispatch_cached_credentials`, 1},
	} {
		got, ok := sample(body, want.metric)
		if !ok {
			t.Errorf("/metrics has no %s", want.metric)
			continue
		}
		if got < want.min {
			t.Errorf("%s = %v, want at least %v", want.metric, got, want.min)
		}
	}
}

// sample returns the value of the series named exactly name (with its
// labels) in a Prometheus text exposition.
func sample(body, name string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}
