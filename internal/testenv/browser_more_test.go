package testenv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pageTab starts a browser and a server of the page page(n) at its n-th
// load, and returns a tab, the page's address and the count of loads.
func pageTab(t *testing.T, page func(load int32) string) (*Tab, string, *atomic.Int32) {
	t.Helper()
	b, err := StartBrowser()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	loads := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, page(loads.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return b.Tab(t), srv.URL, loads
}

func TestTabAwaitsAPageThatChangesByItselfWithoutReloading(t *testing.T) {
	// The count appears later, in an element swapped in by the page.
	tab, url, loads := pageTab(t, func(int32) string {
		return `<html><body><div id="box"></div><script>
			let n = 0;
			setInterval(() => { n++; document.getElementById("box").innerHTML = '<p id="count">' + n + '</p>'; }, 50);
		</script></body></html>`
	})
	tab.Open(url + "/?token=secret")
	if loc := tab.Location(); !strings.HasSuffix(loc, "/?token=secret") {
		t.Errorf("Location = %q", loc)
	}
	tab.WaitVisible("#count", 10*time.Second)
	got := tab.Await("the count to reach 5", "#count", 10*time.Second, func(s string) bool { n, _ := strconv.Atoi(s); return n >= 5 })
	if got == "" {
		t.Fatal("Await returned no text")
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("the page was loaded %d times, want once", n)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	tab.SaveScreenshot(shot)
	data, err := os.ReadFile(shot)
	if err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
		t.Errorf("the screenshot is not a PNG (%d bytes, %v)", len(data), err)
	}
}
