package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/notify"
)

func TestURLAfterFindsTheURLOnTheMarkedLine(t *testing.T) {
	match := URLAfter("serving on")
	for line, want := range map[string]string{
		"qbconnect serving on http://127.0.0.1:4000":                                            "http://127.0.0.1:4000",
		"qbdsim: simulator on http://127.0.0.1:9/ (files in /x)":                                "",
		"time=... msg=serving on http://127.0.0.1:5.":                                           "http://127.0.0.1:5",
		`time=... level=INFO msg="qbconnect serving on" url=http://127.0.0.1:6`:                 "http://127.0.0.1:6",
		`{"time":"...","level":"INFO","msg":"qbconnect serving on","url":"http://127.0.0.1:7"}`: "http://127.0.0.1:7",
		"serving on nothing": "",
	} {
		if got := match(line); got != want {
			t.Errorf("URLAfter(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestReceiverKeepsSignedDeliveriesAndRefusesOthers(t *testing.T) {
	inner := &testing.T{}
	r := &Receiver{tb: inner, secret: "whsec_test"}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	defer srv.Close()
	post := func(body, sig string) int {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader([]byte(body)))
		req.Header.Set(notify.HeaderSignature, sig)
		req.Header.Set(notify.HeaderDeliveryID, "dlv_1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"id":"evt_1","type":"write.succeeded","data":{"id":"op_1"}}`
	if code := post(good, notify.Sign("whsec_test", time.Now(), []byte(good))); code != http.StatusNoContent {
		t.Errorf("a signed delivery got %d", code)
	}
	if code := post(good, notify.Sign("other", time.Now(), []byte(good))); code != http.StatusUnauthorized {
		t.Errorf("a delivery signed with another secret got %d", code)
	}
	if code := post(good, notify.Sign("whsec_test", time.Now().Add(-time.Hour), []byte(good))); code != http.StatusUnauthorized {
		t.Errorf("an old delivery got %d", code)
	}
	got := r.Deliveries("write.succeeded")
	if len(got) != 1 || got[0].ID != "evt_1" || got[0].DeliveryID != "dlv_1" {
		t.Errorf("deliveries = %+v", got)
	}
	if len(r.Deliveries("sync.failed")) != 0 || len(r.bad) != 2 {
		t.Errorf("filtering or refusals wrong: %d refused", len(r.bad))
	}
}

func TestBrowserReadsTextOfAPageThatChanges(t *testing.T) {
	tab, url, _ := pageTab(t, func(load int32) string {
		return fmt.Sprintf(`<html><body><p id="x">load %d</p></body></html>`, load)
	})
	tab.Open(url)
	if got := tab.Text("#x"); got == "" {
		t.Fatal("no text")
	}
	if got := tab.WaitText(url, "#x", 20*time.Second, "load 3"); got != "load 3" {
		t.Errorf("WaitText = %q", got)
	}
}
