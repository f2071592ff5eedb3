package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qbconnect/qbconnect/internal/wait"
)

// Browser is one headless Chromium for a whole test package run; each test
// opens a tab of its own (Tab), which is much cheaper than a browser.
type Browser struct {
	ctx    context.Context
	cancel func()
	// Skip is why there is no browser (Chromium is not installed); tests
	// that need one skip with it.
	Skip string
}

// chromiumPaths are the names Chromium goes by.
var chromiumPaths = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// StartBrowser starts headless Chromium. Without Chromium it returns a
// Browser whose Skip says so, and no error; an error means Chromium is
// there but does not start. Call Close when the tests are done.
func StartBrowser() (*Browser, error) {
	path := os.Getenv("QBCONNECT_CHROMIUM")
	for _, name := range chromiumPaths {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		return &Browser{Skip: "Chromium is not installed (apt-get install chromium, or set QBCONNECT_CHROMIUM)"}, nil
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1100, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	// The first run starts the browser and ties it to ctx, which must have
	// no time-out.
	if err := chromedp.Do(ctx); err != nil {
		b.cancel()
		return nil, fmt.Errorf("testenv: starting %s: %w", path, err)
	}
	return b, nil
}

// Close stops the browser.
func (b *Browser) Close() {
	if b != nil && b.cancel != nil {
		b.cancel()
	}
}

// Tab is a browser tab of one test.
type Tab struct {
	tb  testing.TB
	ctx context.Context
}

// Tab opens a new tab, closed at the test's cleanup. It skips the test
// when there is no browser.
func (b *Browser) Tab(tb testing.TB) *Tab {
	tb.Helper()
	if b == nil {
		tb.Fatal("testenv: no browser: StartBrowser was not called in TestMain")
	}
	if b.Skip != "" {
		tb.Skip(b.Skip)
	}
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb.Cleanup(cancel)
	// The first run opens the tab and ties it to its context: it must be
	// the tab's own context, not one with a time-out.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("browser: opening a tab: %v", err)
	}
	return &Tab{tb: tb, ctx: ctx}
}

func (t *Tab) run(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.tb.Fatalf("browser: %s: %v", what, err)
	}
}

// value runs an action that returns a value on the tab.
func value[T any](t *Tab, what string, timeout time.Duration, a chromedp.Action[T]) T {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.tb.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Open loads url and waits for its body.
func (t *Tab) Open(url string) {
	t.tb.Helper()
	t.run("open "+url, 30*time.Second, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// Text returns the visible text of the first element matching the CSS
// selector; it waits for the element.
func (t *Tab) Text(selector string) string {
	t.tb.Helper()
	return strings.TrimSpace(value(t, "text of "+selector, 15*time.Second, chromedp.Text(chromedp.CSS(selector))))
}

// WaitText reloads url until the text of selector contains every one of
// want, and returns that text. Pages that refresh themselves are read
// again without reloading.
func (t *Tab) WaitText(url, selector string, timeout time.Duration, want ...string) string {
	t.tb.Helper()
	var text string
	wait.For(t.tb, fmt.Sprintf("%q in %s of %s", want, selector, url), timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			return false, err.Error()
		}
		var err error
		if text, err = textNow(ctx, selector); err != nil {
			return false, err.Error()
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false, text
			}
		}
		return true, ""
	})
	return text
}

// Click clicks the first element matching the CSS selector.
func (t *Tab) Click(selector string) {
	t.tb.Helper()
	t.run("click "+selector, 15*time.Second, chromedp.Click(chromedp.CSS(selector)))
}

// Fill types text into the first input matching the CSS selector.
func (t *Tab) Fill(selector, text string) {
	t.tb.Helper()
	t.run("fill "+selector, 15*time.Second, chromedp.SendKeys(chromedp.CSS(selector), text))
}

// Screenshot saves a PNG of the whole page (chromedp's quality 100) to
// path when screenshots are being updated (UpdateScreenshots), and does nothing otherwise.
func (t *Tab) Screenshot(path string) {
	t.tb.Helper()
	if !UpdateScreenshots() {
		return
	}
	t.SaveScreenshot(path)
	t.tb.Logf("screenshot saved: %s", path)
}

// UpdateScreenshotsEnv names the environment variable that makes browser
// tests save their screenshots into docs/screenshots.
const UpdateScreenshotsEnv = "QBCONNECT_UPDATE_SCREENSHOTS"

// UpdateScreenshots reports whether browser tests save their screenshots.
func UpdateScreenshots() bool { return os.Getenv(UpdateScreenshotsEnv) != "" }

// ScreenshotPath returns the path of a README screenshot: docs/screenshots
// in the repository.
func ScreenshotPath(tb testing.TB, name string) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(root, "docs", "screenshots", name)
}

// WaitVisible waits until an element matching the CSS selector is visible.
func (t *Tab) WaitVisible(selector string, timeout time.Duration) {
	t.tb.Helper()
	t.run("wait for "+selector, timeout, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Location returns the address the tab shows.
func (t *Tab) Location() string {
	t.tb.Helper()
	return value(t, "location", 15*time.Second, chromedp.Location())
}

// Await reads the text of selector, without reloading the page, until ok
// accepts it, and returns that text: for pages that change by themselves.
// A read that finds no element (a part being swapped in) is read again.
func (t *Tab) Await(what, selector string, timeout time.Duration, ok func(text string) bool) string {
	t.tb.Helper()
	var text string
	wait.For(t.tb, what, timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
		defer cancel()
		s, err := textNow(ctx, selector)
		if err != nil {
			return false, err.Error()
		}
		text = strings.TrimSpace(s)
		return ok(text), text
	})
	return text
}

// textNow reads the text of the first element matching selector as the
// page is now: an error, rather than a wait, when there is none.
func textNow(ctx context.Context, selector string) (string, error) {
	nodes, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	if err != nil {
		return "", err
	}
	if nodes == 0 {
		return "", errors.New("no element " + selector)
	}
	return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
}

// SaveScreenshot saves a PNG of the whole page to path, always (Screenshot
// saves README screenshots only when they are being updated).
func (t *Tab) SaveScreenshot(path string) {
	t.tb.Helper()
	png := value(t, "screenshot", 30*time.Second, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.tb.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.tb.Fatal(err)
	}
}
