package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
)

// gzipBomb returns a gzip body that inflates to about mib MiB: one member
// of 1 MiB of zeros (about 1 KB compressed), repeated. A gzip reader reads
// concatenated members as one stream.
func gzipBomb(tb testing.TB, mib int) []byte {
	tb.Helper()
	member := gzipped(tb, make([]byte, 1<<20))
	return bytes.Repeat(member, mib)
}

// leasedItem links a connector to a new company and leases it one item.
func (e *env) leasedItem(tb testing.TB) (credential string, item *gateway.WorkItem) {
	tb.Helper()
	ctx := context.Background()
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	if err != nil {
		tb.Fatal(err)
	}
	e.enqueue(org.ID, companyID, connID, "<QBXML><CustomerQueryRq/></QBXML>")
	p, err := e.client(linked.Credential).Poll(ctx, gateway.PollRequest{})
	if err != nil || p.Item == nil {
		tb.Fatalf("poll: %+v %v", p, err)
	}
	return linked.Credential, p.Item
}

// rawServer serves the env's API without the OpenAPI checker, which reads
// every body whole before the server sees it: these tests are about how
// the server reads bodies.
func (e *env) rawServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(e.api.Handler())
	tb.Cleanup(srv.Close)
	return srv
}

// postRaw posts body to a work item's result endpoint of srv.
func postRaw(tb testing.TB, srv *httptest.Server, credential, itemID string, body io.Reader, gzipped bool) response {
	tb.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/gateway/v1/work/"+itemID+"/result", body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	req.Header.Set("Content-Type", "application/json")
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// A result for an item that is not the connector's is refused before its
// body is read: the body here never comes (a pipe nobody writes to), and
// the answer does.
func TestResultForAnotherItemIsRefusedBeforeItsBodyIsRead(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	srv := e.rawServer(t)
	cred, _ := e.leasedItem(t)
	_, otherItem := e.leasedItem(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	r := postRaw(t, srv, cred, otherItem.ID, pr, true)
	if r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Errorf("result for another connector's item: %d %s, want 404", r.Status, r.Body)
	}
}

// Ten connectors post gzip bombs (600 MiB each once inflated, 600 KB as
// sent) at once: each gets 413 after inflating about a MiB, and the
// server's heap stays small.
func TestGzipBombsAreRefusedEarlyAndInParallel(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	srv := e.rawServer(t)
	const bombs = 10
	bomb := gzipBomb(t, 600)
	creds, items := make([]string, bombs), make([]string, bombs)
	for i := range bombs {
		cred, item := e.leasedItem(t)
		creds[i], items[i] = cred, item.ID
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	answers := make([]response, bombs)
	for i := range bombs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = postRaw(t, srv, creds[i], items[i], bytes.NewReader(bomb), true)
		}()
	}
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	for i, r := range answers {
		if r.Status != 413 || r.ErrorCode() != "too_large" || !strings.Contains(string(r.Body), "compression bomb") {
			t.Errorf("bomb %d: %d %s, want 413 too_large", i, r.Status, r.Body)
		}
	}
	held, peak := e.api.ResultMemory()
	grew := int64(after.HeapSys) - int64(before.HeapSys)
	t.Logf("%d parallel gzip bombs of %d KB (600 MiB inflated): result bytes held at peak %d KiB, heap obtained from the OS grew %d MiB",
		bombs, len(bomb)>>10, peak>>10, grew>>20)
	if held != 0 {
		t.Errorf("result bytes still held after the answers: %d", held)
	}
	if peak > bombs*(inflateFloor+1<<20) {
		t.Errorf("result bytes held at peak = %d, want at most a few MiB per bomb", peak)
	}
	if grew > 256<<20 {
		t.Errorf("heap grew by %d MiB under %d bombs, want under 256 MiB", grew>>20, bombs)
	}
}

// inflateFloor mirrors the server's inflation-ratio floor (1 MiB).
const inflateFloor = 1 << 20

// Results held at once are bounded: with a 4 MiB budget, a second large
// result that arrives while the first holds 3 MiB answers 503 with
// Retry-After, and goes through once the first is done.
func TestLargeResultsAtOnceAreBoundedByTheMemoryBudget(t *testing.T) {
	e := newEnv(t, sqliteDSN(t), func(c *api.Config) { c.MaxResultMemory = 4 << 20 })
	srv := e.rawServer(t)
	cred1, item1 := e.leasedItem(t)
	cred2, item2 := e.leasedItem(t)
	qbxmlOfSize := func(n int) string { return "<QBXML>" + strings.Repeat("x", n) + "</QBXML>" }
	prefix := fmt.Sprintf(`{"leaseId":%q,"response":"`, item1.LeaseID)
	pr, pw := io.Pipe()
	first := make(chan response, 1)
	go func() { first <- postRaw(t, srv, cred1, item1.ID, pr, false) }()
	go func() {
		pw.Write([]byte(prefix + strings.Repeat("x", 3<<20)))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for held, _ := e.api.ResultMemory(); held < 3<<20; held, _ = e.api.ResultMemory() {
		if time.Now().After(deadline) {
			t.Fatalf("the first result never held 3 MiB (holds %d)", held)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not synchronising
	}
	second := fmt.Sprintf(`{"leaseId":%q,"response":%q}`, item2.LeaseID, qbxmlOfSize(2<<20))
	r := postRaw(t, srv, cred2, item2.ID, strings.NewReader(second), false)
	if r.Status != 503 || r.ErrorCode() != "unavailable" || r.Header.Get("Retry-After") == "" {
		t.Errorf("second result while the first holds the budget: %d %s, want 503 with Retry-After", r.Status, r.Body)
	}
	pw.Write([]byte(`"}`))
	pw.Close()
	if got := <-first; got.Status != 200 {
		t.Errorf("first result: %d %s", got.Status, got.Body)
	}
	if r := postRaw(t, srv, cred2, item2.ID, strings.NewReader(second), false); r.Status != 200 {
		t.Errorf("second result once the first is done: %d %s", r.Status, r.Body)
	}
	if held, _ := e.api.ResultMemory(); held != 0 {
		t.Errorf("result bytes held after both: %d", held)
	}
}
