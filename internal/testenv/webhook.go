package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/notify"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// Delivery is one webhook delivery the receiver accepted.
type Delivery struct {
	ID        string          `json:"id"` // the event's ID
	Type      string          `json:"type"`
	CompanyID string          `json:"companyId"`
	CreatedAt time.Time       `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
	// DeliveryID is the Qbconnect-Delivery-Id header.
	DeliveryID string `json:"-"`
}

// Receiver is a client's webhook endpoint on loopback. It checks every
// delivery's signature and records the deliveries in the order they came.
type Receiver struct {
	tb     testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []Delivery
	bad    []string
}

// StartReceiver starts a webhook receiver; Subscribe registers it.
func StartReceiver(tb testing.TB) *Receiver {
	tb.Helper()
	r := &Receiver{tb: tb}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(func() {
		r.srv.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.bad {
			tb.Errorf("webhook receiver: %s", b)
		}
	})
	return r
}

// URL is the receiver's address.
func (r *Receiver) URL() string { return r.srv.URL + "/hooks" }

// Subscribe registers the receiver with the platform for every event type
// and keeps the signing secret.
func (r *Receiver) Subscribe(p *Platform) {
	r.tb.Helper()
	created, err := p.Client().CreateWebhook(context.Background(), sdk.CreateWebhookJSONRequestBody{Url: r.URL(), Description: ptr("e2e receiver")})
	p.check("create webhook", err)
	if created.Secret == "" {
		r.tb.Fatal("the webhook was created without a secret")
	}
	r.mu.Lock()
	r.secret = created.Secret
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := notify.Verify(r.secret, req.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.bad = append(r.bad, fmt.Sprintf("bad signature on %s: %v", body, err))
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var d Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		r.bad = append(r.bad, fmt.Sprintf("bad body %s: %v", body, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.DeliveryID = req.Header.Get(notify.HeaderDeliveryID)
	r.got = append(r.got, d)
	w.WriteHeader(http.StatusNoContent)
}

// Deliveries returns the deliveries received so far, of the given types
// (all when none is given).
func (r *Receiver) Deliveries(types ...string) []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Delivery
	for _, d := range r.got {
		if len(types) == 0 || slices.Contains(types, d.Type) {
			out = append(out, d)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
