package qbwc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect/qbwc"
)

// BenchmarkAPIReadDuringAuthenticateFlood measures the p99 of REST API
// reads (a page of customers) while 32 loops send authenticate calls for
// unknown user names, each from a new source address, against the p99 of
// the same reads without the flood, in the same run (x-baseline-p99).
// "unbounded" runs without the login limits, as the endpoint was before
// them; "bounded" with the defaults; "serverVersion-floor" floods with the
// cheapest call instead, which is what any flood of this many loops costs
// the API. Each iteration is one read of each
// phase: run it with -benchtime 100x.
func BenchmarkAPIReadDuringAuthenticateFlood(b *testing.B) {
	auth := func(w, i int) string {
		return fmt.Sprintf(`<authenticate xmlns="http://developer.intuit.com/"><strUserName>intruder%d-%d</strUserName><strPassword>guess</strPassword></authenticate>`, w, i)
	}
	version := func(int, int) string { return `<serverVersion xmlns="http://developer.intuit.com/"/>` }
	for _, c := range []struct {
		name string
		cfg  qbwc.Config
		call func(w, i int) string
	}{
		{"unbounded", qbwc.Config{PasswordChecksPerSecond: -1, MaxConcurrentPasswordChecks: -1, MaxLoginFailures: 1 << 30}, auth},
		{"bounded", qbwc.Config{}, auth},
		// The floor: the same flood of the cheapest call, serverVersion.
		{"serverVersion-floor", qbwc.Config{}, version},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.cfg
			cfg.BcryptCost, cfg.ClientAddr = bcrypt.DefaultCost, fromTestHeader
			e := newEnv(b, envOptions{Seed: 43, QBWC: cfg})
			tn := e.newTenant("Flooded", smallCompany(3))
			tn.syncNow()
			if res := tn.update(); res.Err != nil {
				b.Fatal(res.Err)
			}
			path := "/v1/companies/" + tn.company.ID + "/customers?limit=100"
			reads := func(n int) []time.Duration {
				out := make([]time.Duration, 0, n)
				for range n {
					start := time.Now()
					if st := e.do(http.MethodGet, path, tn.key, nil); st != http.StatusOK {
						b.Fatalf("read: HTTP %d", st)
					}
					out = append(out, time.Since(start))
				}
				return out
			}
			b.ResetTimer()
			base := reads(b.N)

			ctx, cancel := context.WithCancel(e.ctx)
			// The flood keeps its connections open, as a determined
			// client would, rather than exhausting the ports with new
			// ones.
			tr := e.srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 64
			floodClient := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			var wg sync.WaitGroup
			var mu sync.Mutex
			calls, failed := 0, 0
			for w := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ctx.Err() == nil; i++ {
						body := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
							c.call(w, i) + `</soap:Body></soap:Envelope>`
						req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/qbwc", strings.NewReader(body))
						req.Header.Set("Content-Type", "text/xml")
						req.Header.Set(sourceHeader, fmt.Sprintf("10.%d.%d.%d", w, i>>8&255, i&255))
						if resp, err := floodClient.Do(req); err == nil {
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							mu.Lock()
							calls++
							mu.Unlock()
						} else if ctx.Err() == nil {
							mu.Lock()
							failed++
							mu.Unlock()
						}
					}
				}()
			}
			floodStart := time.Now()
			flood := reads(b.N)
			floodTime := time.Since(floodStart)
			cancel()
			wg.Wait()
			b.StopTimer()

			p99 := func(d []time.Duration) time.Duration {
				slices.Sort(d)
				return d[min(len(d)-1, len(d)*99/100)]
			}
			pb, pf := p99(base), p99(flood)
			b.ReportMetric(float64(pb.Microseconds())/1000, "baseline-p99-ms")
			b.ReportMetric(float64(pf.Microseconds())/1000, "flood-p99-ms")
			b.ReportMetric(float64(pf)/float64(pb), "x-baseline-p99")
			b.ReportMetric(float64(calls)/floodTime.Seconds(), "flood-calls/s")
			if failed > 0 {
				b.ReportMetric(float64(failed), "flood-errors")
			}
		})
	}
}
