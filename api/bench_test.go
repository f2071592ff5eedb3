package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
)

// BenchmarkGatewayRoundTrip measures one work item's trip through the
// gateway — enqueue, lease by poll, post the result — on SQLite, in process
// (the baseline: store and gateway logic only) and over loopback HTTP (the
// protocol's own cost: JSON, gzip, HTTP), with small and 1 MB qbXML
// responses. It reports items/s and, for HTTP, the overhead over the
// in-process baseline measured in the same run.
func BenchmarkGatewayRoundTrip(b *testing.B) {
	for _, size := range []struct {
		name string
		resp string
	}{
		{"small", "<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode=\"0\"/></QBXMLMsgsRs></QBXML>"},
		{"1MB", "<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode=\"0\">" +
			strings.Repeat("<CustomerRet><ListID>80000001-1234567890</ListID><Name>Customer &amp; Co</Name></CustomerRet>", 1<<20/90) +
			"</CustomerQueryRs></QBXMLMsgsRs></QBXML>"},
	} {
		var baseline float64
		for _, tr := range []string{"inprocess", "http"} {
			b.Run(size.name+"/"+tr, func(b *testing.B) {
				e := newEnv(b, sqliteDSN(b))
				ctx := context.Background()
				org, key := e.newOrg("Bench")
				companyID, connID, code := e.linkedCompany(key, "Acme")
				linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
				if err != nil {
					b.Fatal(err)
				}
				gw := transports[tr](e, linked.Credential)
				b.SetBytes(int64(len(size.resp)))
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					e.enqueue(org.ID, companyID, connID, "<QBXML><CustomerQueryRq/></QBXML>")
					p, err := gw.Poll(ctx, gateway.PollRequest{})
					if err != nil || p.Item == nil {
						b.Fatalf("poll: %+v %v", p, err)
					}
					ack, err := gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: size.resp})
					if err != nil || !ack.Applied {
						b.Fatalf("result: %+v %v", ack, err)
					}
				}
				perSec := float64(b.N) / time.Since(start).Seconds()
				b.ReportMetric(perSec, "items/s")
				if tr == "inprocess" {
					baseline = perSec
				} else if baseline > 0 {
					b.ReportMetric(baseline/perSec, "x-baseline-time")
				}
			})
		}
	}
}
