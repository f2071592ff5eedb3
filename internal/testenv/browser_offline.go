package testenv

import (
	"github.com/qbconnect/qbconnect/internal/wait"

	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Offline is the record of a tab whose network is off but for one host.
type Offline struct {
	mu      sync.Mutex
	blocked []string
}

// Blocked lists the addresses the page tried to reach elsewhere, refused.
func (o *Offline) Blocked() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.blocked...)
}

// NetworkOffExcept turns the tab's network off for every request but those
// to host (such as "127.0.0.1:41234", the server under test): each other
// request, to a CDN or any address, fails as blocked and is recorded in the
// returned Offline. Call it before Open.
func (t *Tab) NetworkOffExcept(host string) *Offline {
	t.tb.Helper()
	o := &Offline{}
	paused := make(chan *fetch.EventRequestPaused, 256)
	ctx, cancel := context.WithCancel(t.ctx)
	t.tb.Cleanup(cancel)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}); err != nil {
		t.tb.Fatalf("browser: listen: %v", err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				callCtx, stop := context.WithTimeout(ctx, 10*time.Second)
				u, err := url.Parse(e.Request.URL)
				if err == nil && (u.Host == host || u.Scheme == "data" || u.Scheme == "blob") {
					_, _ = chromedp.Call(callCtx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
				} else {
					o.mu.Lock()
					o.blocked = append(o.blocked, e.Request.URL)
					o.mu.Unlock()
					_, _ = chromedp.Call(callCtx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
				}
				stop()
			}
		}
	}()
	callCtx, stop := context.WithTimeout(t.ctx, 10*time.Second)
	defer stop()
	if _, err := chromedp.Call(callCtx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.tb.Fatalf("browser: turning the network off: %v", err)
	}
	return o
}

// ViewportScreenshot saves a PNG of what the tab's window shows (not the
// whole page) to path when screenshots are being updated
// (UpdateScreenshots), and does nothing otherwise.
func (t *Tab) ViewportScreenshot(path string) {
	t.tb.Helper()
	if !UpdateScreenshots() {
		return
	}
	png := value(t, "screenshot", 30*time.Second, chromedp.CaptureScreenshot())
	writeFile(t.tb, path, png)
	t.tb.Logf("screenshot saved: %s", path)
}

func writeFile(tb interface {
	Helper()
	Fatal(...any)
}, path string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// WaitJS evaluates the JavaScript expression js on the page, without
// reloading it, until it is true: for pages too large to read their whole
// text.
func (t *Tab) WaitJS(what, js string, timeout time.Duration) {
	t.tb.Helper()
	wait.For(t.tb, what, timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			return false, err.Error()
		}
		return ok, "not yet"
	})
}

// EvalString evaluates the JavaScript expression js on the page and
// returns its string value.
func (t *Tab) EvalString(js string) string {
	t.tb.Helper()
	return value(t, "evaluate", 15*time.Second, chromedp.Evaluate[string](js))
}
