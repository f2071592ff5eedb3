package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// Headers of a webhook delivery.
const (
	HeaderSignature  = qbconnect.WebhookHeaderSignature
	HeaderEventID    = qbconnect.WebhookHeaderEventID
	HeaderEventType  = qbconnect.WebhookHeaderEventType
	HeaderDeliveryID = qbconnect.WebhookHeaderDeliveryID

	// The Standard Webhooks headers.
	HeaderWebhookID        = qbconnect.WebhookHeaderID
	HeaderWebhookTimestamp = qbconnect.WebhookHeaderTimestamp
	HeaderWebhookSignature = qbconnect.WebhookHeaderStandardSignature
)

// Sign returns the Qbconnect-Signature header value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", with one
// v1 per secret when given several (during a rotation's overlap).
func Sign(secret string, t time.Time, body []byte, more ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := "t=" + ts
	for _, s := range append([]string{secret}, more...) {
		h += ",v1=" + signature(s, ts, body)
	}
	return h
}

// SignStandard returns the webhook-signature header value of a delivery
// per the Standard Webhooks specification: one "v1,<base64 HMAC-SHA256(key,
// id + "." + unix seconds + "." + body)>" per secret, space-separated,
// where key is the secret's base64 part (StandardKey).
func SignStandard(id string, t time.Time, body []byte, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, "v1,"+standardSignature(StandardKey(s), id, ts, body))
	}
	return strings.Join(sigs, " ")
}

// StandardKey is the HMAC key of a secret under the Standard Webhooks
// scheme: the base64 decoding of what follows "whsec_". Every secret the
// platform made decodes (those made before the scheme too: 32 Crockford
// characters are base64 text); one that did not would be used as its raw
// bytes.
func StandardKey(secret string) []byte {
	part := strings.TrimPrefix(secret, store.WebhookSecretPrefix)
	if key, err := base64.StdEncoding.DecodeString(part); err == nil {
		return key
	}
	return []byte(part)
}

func standardSignature(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte("."))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyStandard checks a delivery's Standard Webhooks headers (id,
// timestamp and signature as sent) against body: one of the signature's
// v1 entries must match, and the timestamp must be within tolerance of
// now. Receivers written in Go may use it, or any Standard Webhooks
// library.
func VerifyStandard(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || id == "" || signatures == "" {
		return errors.New("notify: malformed webhook headers")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("notify: webhook-timestamp is %s away from now", d.Round(time.Second))
	}
	want := standardSignature(StandardKey(secret), id, timestamp, body)
	for _, s := range strings.Fields(signatures) {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("notify: webhook-signature does not match")
}

func signature(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a Qbconnect-Signature header against body: one of its v1
// signatures must match, and its timestamp must be within tolerance of now
// (which rejects replays of old deliveries). Receivers written in Go may
// use it as it is.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("notify: malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("notify: signature timestamp is %s away from now", d.Round(time.Second))
	}
	want := signature(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("notify: signature does not match")
}

// WebhooksConfig configures Webhooks. Store and Jobs are required; every
// other field has the default its comment names.
type WebhooksConfig struct {
	// Store is the webhook tables (endpoints, outbox, delivery log).
	Store *store.WebhookStore
	// Jobs runs the delivery jobs. New registers the delivery worker on
	// it, so New must be called before Jobs.Start; its RetryBase and
	// RetryMax space the attempts.
	Jobs *Jobs
	// HTTPClient sends deliveries; nil means a client with a 15-second
	// time-out that does not follow redirects.
	HTTPClient *http.Client
	// AllowPrivate accepts endpoints, and delivers to addresses, that are
	// not public (loopback, private, link-local, reserved: see
	// PublicAddress). False, the production default, refuses them at
	// creation (CheckTarget) and at delivery (WebhookHTTPClient). Tests
	// and the demo, whose receivers run on loopback, set it.
	AllowPrivate bool
	// Resolver resolves endpoint hosts when AllowPrivate is false; nil
	// means net.DefaultResolver.
	Resolver *net.Resolver
	// Logger receives delivery failures; nil discards.
	Logger *slog.Logger
	// Now is the clock of signatures and attempt times; nil means time.Now.
	Now func() time.Time
	// MaxAttempts is how often a delivery is tried; 0 means 12.
	MaxAttempts int
	// ResendAfter is how old a delivery without a job must be before the
	// sweeper enqueues it (the process stopped between recording an event
	// and enqueuing it, or Emit ran before Jobs started); 0 means one
	// minute. The sweeper runs as often.
	ResendAfter time.Duration
	// OnAttempt, when set, is called after each attempt is logged. Tests
	// wait on it.
	OnAttempt func(deliveryID string, a qbconnect.WebhookAttempt, status qbconnect.DeliveryStatus)
}

// Webhooks records events and delivers them through River. It implements
// qbconnect.WebhookService and the control plane's Events.
type Webhooks struct {
	*store.WebhookStore
	cfg WebhooksConfig

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ qbconnect.WebhookService = (*Webhooks)(nil)

// deliverArgs is the River job of one delivery.
type deliverArgs struct {
	DeliveryID string `json:"deliveryId" river:"unique"`
}

// Kind names the job kind in River's tables.
func (deliverArgs) Kind() string { return "qbconnect_webhook_delivery" }

// NewWebhooks fills cfg's defaults and registers the delivery worker on
// cfg.Jobs. Emit works before Jobs starts: its deliveries wait for the
// sweeper.
func NewWebhooks(cfg WebhooksConfig) (*Webhooks, error) {
	if cfg.Store == nil || cfg.Jobs == nil {
		return nil, errors.New("notify: webhooks need Store and Jobs")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = WebhookHTTPClient(cfg.AllowPrivate, cfg.Resolver)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.ResendAfter == 0 {
		cfg.ResendAfter = time.Minute
	}
	if cfg.MaxAttempts < 1 || cfg.ResendAfter < 0 {
		return nil, errors.New("notify: MaxAttempts must be positive and ResendAfter not negative")
	}
	w := &Webhooks{WebhookStore: cfg.Store, cfg: cfg}
	if err := river.AddWorkerSafely(cfg.Jobs.Workers(), &deliveryWorker{w: w}); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return w, nil
}

// CheckTarget refuses an endpoint host that is, or resolves to, an
// address that is not public, unless AllowPrivate; EInvalid says why.
func (w *Webhooks) CheckTarget(ctx context.Context, host string) error {
	if w.cfg.AllowPrivate {
		return nil
	}
	return checkWebhookTarget(ctx, w.cfg.Resolver, host)
}

// Start starts the sweeper that enqueues deliveries whose jobs were never
// inserted. Close stops it.
func (w *Webhooks) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("notify: webhooks already started")
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.started, w.cancel, w.done = true, cancel, make(chan struct{})
	go w.sweep(sctx)
	return nil
}

// Close stops the sweeper. It is safe to call twice.
func (w *Webhooks) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		w.cancel()
		<-w.done
		w.started = false
	}
}

func (w *Webhooks) sweep(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(max(w.cfg.ResendAfter, time.Second))
	defer t.Stop()
	// At start, every pending delivery without a job is started at once,
	// whatever its age: the process before this one stopped between
	// committing a change (and its event, in the change's transaction)
	// and starting the delivery. A delivery another process is starting
	// right now is not started twice: its job is unique by delivery.
	if _, err := w.resend(ctx, w.cfg.Now()); err != nil && ctx.Err() == nil {
		w.cfg.Logger.Warn("webhook sweep failed", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := w.Resend(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("webhook sweep failed", "err", err)
		}
	}
}

// Resend enqueues jobs for pending deliveries older than ResendAfter that
// have none, and returns how many it enqueued.
func (w *Webhooks) Resend(ctx context.Context) (int, error) {
	return w.resend(ctx, w.cfg.Now().Add(-w.cfg.ResendAfter))
}

// resend enqueues jobs for pending deliveries recorded before before that
// have none, 500 at a time until none is left.
func (w *Webhooks) resend(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		ids, err := w.Unenqueued(ctx, before, 500)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		if err := w.enqueue(ctx, ids); err != nil {
			return total, err
		}
		total += len(ids)
	}
}

// Emit records ev and its deliveries, then enqueues one job per delivery.
// An error means the event was not recorded. When recording succeeded but
// enqueuing failed, the sweeper enqueues the deliveries later, so Emit
// only logs that.
func (w *Webhooks) Emit(ctx context.Context, ev qbconnect.Event) error {
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = w.cfg.Now()
	}
	ids, err := w.RecordEvent(ctx, &ev)
	if err != nil {
		return err
	}
	if err := w.enqueue(ctx, ids); err != nil {
		w.cfg.Logger.Warn("webhook deliveries recorded but not enqueued; the sweeper retries", "event", ev.ID, "err", err)
	}
	return nil
}

// Enqueue starts the deliveries of events recorded in another transaction
// (the control plane's outbox: qbconnect.CompletionTx.RecordEvent), once
// it committed. Deliveries it could not start are started by the sweeper.
func (w *Webhooks) Enqueue(ctx context.Context, ids []string) error { return w.enqueue(ctx, ids) }

// enqueue inserts one job per delivery (a second job for a delivery is
// never inserted: the job is unique by delivery) and marks them enqueued.
func (w *Webhooks) enqueue(ctx context.Context, ids []string) error {
	done := make([]string, 0, len(ids))
	var err error
	for _, id := range ids {
		err = w.cfg.Jobs.Insert(ctx, deliverArgs{DeliveryID: id},
			&river.InsertOpts{MaxAttempts: w.cfg.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			break
		}
		done = append(done, id)
	}
	if merr := w.MarkEnqueued(ctx, done); merr != nil && err == nil {
		err = merr
	}
	if err != nil {
		return fmt.Errorf("notify: enqueue deliveries: %w", err)
	}
	return nil
}

// payload is the body of a delivery.
type payload struct {
	ID        string              `json:"id"`
	Type      qbconnect.EventType `json:"type"`
	CompanyID string              `json:"companyId,omitempty"`
	CreatedAt time.Time           `json:"createdAt"`
	Data      json.RawMessage     `json:"data"`
}

// deliveryWorker runs one delivery attempt.
type deliveryWorker struct {
	river.WorkerDefaults[deliverArgs]
	w *Webhooks
}

// maxResponseLog bounds how much of a failing answer is logged.
const maxResponseLog = 300

func (dw *deliveryWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	w := dw.w
	t, err := w.Delivery(ctx, job.Args.DeliveryID)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if t.Delivery.Status != qbconnect.DeliveryPending {
		return nil // delivered (or given up) already: never send twice
	}
	a, ok, final := w.send(ctx, t)
	switch {
	case ok:
		w.record(ctx, t.Delivery.ID, a, qbconnect.DeliveryDelivered)
		return nil
	case final || job.Attempt >= job.MaxAttempts:
		w.record(ctx, t.Delivery.ID, a, qbconnect.DeliveryFailed)
		if !final {
			w.cfg.Logger.Warn("webhook delivery failed for good", "delivery", t.Delivery.ID, "attempts", job.Attempt, "err", a.Error)
		}
		return nil
	}
	w.record(ctx, t.Delivery.ID, a, qbconnect.DeliveryPending)
	return errors.New(a.Error)
}

// send makes one attempt of a delivery: ok when the endpoint answered
// 2xx, final when no later attempt can do better (the endpoint was
// deleted, its URL is invalid).
func (w *Webhooks) send(ctx context.Context, t *store.DeliveryTarget) (a qbconnect.WebhookAttempt, ok, final bool) {
	now := w.cfg.Now()
	if t.EndpointDeleted {
		return qbconnect.WebhookAttempt{At: now, Error: "the webhook endpoint was deleted"}, false, true
	}
	body, err := json.Marshal(payload{ID: t.Event.ID, Type: t.Event.Type, CompanyID: t.Event.CompanyID, CreatedAt: t.Event.CreatedAt, Data: t.Event.Data})
	if err != nil {
		return qbconnect.WebhookAttempt{At: now, Error: "the event cannot be encoded: " + err.Error()}, false, true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return qbconnect.WebhookAttempt{At: now, Error: "invalid URL: " + err.Error()}, false, true
	}
	secrets := []string{t.Secret}
	if t.PreviousSecret != "" && t.PreviousSecretExpiresAt != nil && now.Before(*t.PreviousSecretExpiresAt) {
		secrets = append(secrets, t.PreviousSecret)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "qbconnect-webhooks/1")
	req.Header.Set(HeaderEventID, t.Event.ID)
	req.Header.Set(HeaderEventType, string(t.Event.Type))
	req.Header.Set(HeaderDeliveryID, t.Delivery.ID)
	req.Header.Set(HeaderSignature, Sign(secrets[0], now, body, secrets[1:]...))
	// The Standard Webhooks headers: webhook-id is the event's ID, the
	// same on every retry and replay, so receivers deduplicate by it.
	req.Header[HeaderWebhookID] = []string{t.Event.ID}
	req.Header[HeaderWebhookTimestamp] = []string{strconv.FormatInt(now.Unix(), 10)}
	req.Header[HeaderWebhookSignature] = []string{SignStandard(t.Event.ID, now, body, secrets...)}
	start := time.Now()
	resp, err := w.cfg.HTTPClient.Do(req)
	a = qbconnect.WebhookAttempt{At: now, DurationMS: time.Since(start).Milliseconds()}
	if err != nil {
		a.Error = err.Error()
		return a, false, false
	}
	a.StatusCode = resp.StatusCode
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseLog))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return a, true, false
	}
	a.Error = fmt.Sprintf("the endpoint answered %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	return a, false, false
}

// sendNow makes the one attempt of a delivery recorded to be sent on
// request (a test event, a replay) and returns the delivery as it ended.
func (w *Webhooks) sendNow(ctx context.Context, id string) (*qbconnect.WebhookDelivery, error) {
	t, err := w.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	a, ok, _ := w.send(ctx, t)
	status := qbconnect.DeliveryFailed
	if ok {
		status = qbconnect.DeliveryDelivered
	}
	w.record(ctx, id, a, status)
	t, err = w.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	return t.Delivery, nil
}

// testEvent is the data of a webhook.test_requested event.
type testEvent struct {
	WebhookID string `json:"webhookId"`
	Message   string `json:"message"`
}

// TestWebhook sends a webhook.test_requested event to the endpoint now, once, and
// returns the delivery as it ended (Delivered, or Failed with the
// attempt's error). ENotFound for an unknown, deleted or other-org ID.
func (w *Webhooks) TestWebhook(ctx context.Context, orgID, id string) (*qbconnect.WebhookDelivery, error) {
	data, _ := json.Marshal(testEvent{WebhookID: id, Message: "A test event sent on request; it reports nothing that happened."})
	ev := &qbconnect.Event{Type: qbconnect.EventWebhookTest, OrgID: orgID, CreatedAt: w.cfg.Now(), Data: data}
	did, err := w.RecordTestEvent(ctx, id, ev)
	if err != nil {
		return nil, err
	}
	return w.sendNow(ctx, did)
}

// ReplayDelivery sends a delivery's event to its endpoint again now, once,
// as a new delivery with the same body and webhook-id, and returns it as
// it ended. ENotFound for an unknown delivery or one of another endpoint.
func (w *Webhooks) ReplayDelivery(ctx context.Context, orgID, webhookID, deliveryID string) (*qbconnect.WebhookDelivery, error) {
	did, err := w.WebhookStore.ReplayDelivery(ctx, orgID, webhookID, deliveryID)
	if err != nil {
		return nil, err
	}
	return w.sendNow(ctx, did)
}

// record logs an attempt; a failure to log only loses the log line, so
// it is logged and the delivery goes on.
func (w *Webhooks) record(ctx context.Context, id string, a qbconnect.WebhookAttempt, status qbconnect.DeliveryStatus) {
	if _, err := w.RecordAttempt(context.WithoutCancel(ctx), id, a, status); err != nil {
		w.cfg.Logger.Error("webhook attempt not logged", "delivery", id, "err", err)
	}
	if w.cfg.OnAttempt != nil {
		w.cfg.OnAttempt(id, a, status)
	}
}
