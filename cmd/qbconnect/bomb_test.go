package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
)

// peakRSS returns a process's peak resident set size (VmHWM) in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc to read the server's memory from: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	tb.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// Ten connectors' worth of gzip bombs posted at once to a real `qbconnect
// serve` (600 KB each as sent, 600 MiB once inflated: the kind that took
// the server to 4.3 GB) are answered 413, and the server's peak RSS stays
// under 256 MB.
func TestServeSurvivesParallelGzipBombs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc")
	}
	bin := qbconnectBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	_, key := adminSetup(t, bin, dsn, "Lender Ltd")
	s := startServe(t, bin, dsn)
	ctx := context.Background()

	api := client.New(s.url, key)
	c, _, code := newLinkable(t, api, "Acme", false)
	gw, _ := gatewayclient.New(s.url, gatewayclient.Options{})
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: `C:\acme.qbw`},
		Connector: gateway.ConnectorInfo{Version: "1.0"}}); err != nil {
		t.Fatal(err)
	}
	doc := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="1"><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`
	_, err := api.Passthrough(ctx, c.ID, doc)
	mustOK(t, "passthrough", err)
	p, err := gw.Poll(ctx, gateway.PollRequest{})
	if err != nil || p.Item == nil {
		t.Fatalf("poll: %+v %v", p, err)
	}

	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(z.Bytes(), 600) // concatenated members: one stream of 600 MiB

	pid := s.cmd.Process.Pid
	before := peakRSS(t, pid)
	const bombs = 10
	statuses := make([]string, bombs)
	var wg sync.WaitGroup
	for i := range bombs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", s.url+"/gateway/v1/work/"+p.Item.ID+"/result", bytes.NewReader(bomb))
			req.Header.Set("Authorization", "Bearer "+gw.Credential())
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[i] = fmt.Sprintf("%d %s", resp.StatusCode, body)
		}()
	}
	wg.Wait()
	after := peakRSS(t, pid)
	for i, st := range statuses {
		if !strings.HasPrefix(st, "413 ") {
			t.Errorf("bomb %d: %s, want 413", i, st)
		}
	}
	t.Logf("qbconnect serve peak RSS: %d MB before, %d MB after %d parallel gzip bombs of %d KB (600 MiB inflated)",
		before>>20, after>>20, bombs, len(bomb)>>10)
	if after > 256<<20 {
		t.Errorf("peak RSS %d MB, want under 256 MB", after>>20)
	}
	s.stop(t)
}
