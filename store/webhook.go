package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect"
)

// WebhookStore keeps webhook endpoints, the outbox of events and the
// delivery log. Package notify delivers what it records.
type WebhookStore struct{ db *DB }

// NewWebhookStore returns the webhook tables of db.
func NewWebhookStore(db *DB) *WebhookStore { return &WebhookStore{db: db} }

// WebhookSecretPrefix starts every webhook signing secret.
const WebhookSecretPrefix = "whsec_"

// newWebhookSecret returns "whsec_" and the standard base64 of 32 random
// bytes, the form Standard Webhooks libraries take. Secrets made before
// (whsec_ and 32 Crockford characters) are base64 text too: both decode
// to the HMAC key.
func (s *WebhookStore) newWebhookSecret() (string, error) {
	buf := make([]byte, 32)
	s.db.randMu.Lock()
	_, err := io.ReadFull(s.db.opts.Rand, buf)
	s.db.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(buf), nil
}

// CreateWebhook stores the endpoint (enabled) and returns its signing
// secret. The secret is kept as it is, since every delivery is signed
// with it. EInvalid for an endpoint that fails WebhookEndpoint.Validate.
func (s *WebhookStore) CreateWebhook(ctx context.Context, w *qbconnect.WebhookEndpoint) (string, error) {
	if err := w.Validate(); err != nil {
		return "", err
	}
	id, err := s.db.newID("whk")
	if err != nil {
		return "", err
	}
	secret, err := s.newWebhookSecret()
	if err != nil {
		return "", err
	}
	if w.Events == nil {
		w.Events = []qbconnect.EventType{}
	}
	events, _ := json.Marshal(w.Events)
	now := s.db.now()
	err = s.db.inTx(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM orgs WHERE id = ?", w.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "organisation %q not found", w.OrgID)
		}
		_, err := tx.exec(ctx, `INSERT INTO webhook_endpoints (id, org_id, url, description, events, secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, w.OrgID, w.URL, w.Description, string(events), secret, micros(now))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create webhook: %w", err)
	}
	w.ID, w.CreatedAt, w.Enabled, w.PreviousSecretExpiresAt = id, now, true, nil
	return secret, nil
}

const webhookColumns = "id, org_id, url, description, events, enabled, created_at, previous_secret_expires_at"

// scanWebhook reads an endpoint; PreviousSecretExpiresAt is shown while
// the overlap lasts (until now).
func scanWebhook(row interface{ Scan(...any) error }, now time.Time) (*qbconnect.WebhookEndpoint, error) {
	w := &qbconnect.WebhookEndpoint{}
	var events string
	var created int64
	var prevUntil sql.NullInt64
	if err := row.Scan(&w.ID, &w.OrgID, &w.URL, &w.Description, &events, &w.Enabled, &created, &prevUntil); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s: events: %w", w.ID, err)
	}
	w.CreatedAt = fromMicros(created)
	if until := timePtr(prevUntil); until != nil && until.After(now) {
		w.PreviousSecretExpiresAt = until
	}
	return w, nil
}

// FindWebhook returns ENotFound for an unknown, deleted or other-org ID.
func (s *WebhookStore) FindWebhook(ctx context.Context, orgID, id string) (*qbconnect.WebhookEndpoint, error) {
	w, err := scanWebhook(s.db.queryRow(ctx, "SELECT "+webhookColumns+
		" FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL", id), s.db.now())
	if w != nil {
		err = inOrg(err, w.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return w, nil
}

// findWebhook is FindWebhook in tx, locking the endpoint's row.
func findWebhook(ctx context.Context, tx *tx, orgID, id string) (*qbconnect.WebhookEndpoint, error) {
	w, err := scanWebhook(tx.queryRow(ctx, "SELECT "+webhookColumns+
		" FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL"+tx.db.forUpdate("FOR UPDATE"), id), tx.db.now())
	if w != nil {
		err = inOrg(err, w.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return w, nil
}

// UpdateWebhook changes the fields p holds and returns the endpoint.
// EInvalid when the endpoint it makes fails WebhookEndpoint.Validate,
// ENotFound for an unknown, deleted or other-org ID; either changes
// nothing.
func (s *WebhookStore) UpdateWebhook(ctx context.Context, orgID, id string, p qbconnect.WebhookPatch) (*qbconnect.WebhookEndpoint, error) {
	var w *qbconnect.WebhookEndpoint
	err := s.db.inTx(ctx, func(tx *tx) error {
		var err error
		if w, err = findWebhook(ctx, tx, orgID, id); err != nil {
			return err
		}
		if p.URL != nil {
			w.URL = *p.URL
		}
		if p.Description != nil {
			w.Description = *p.Description
		}
		if p.Events != nil {
			w.Events = slices.Clone(*p.Events)
			if w.Events == nil {
				w.Events = []qbconnect.EventType{}
			}
		}
		if p.Enabled != nil {
			w.Enabled = *p.Enabled
		}
		if err := w.Validate(); err != nil {
			return err
		}
		events, _ := json.Marshal(w.Events)
		_, err = tx.exec(ctx, "UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ? WHERE id = ?",
			w.URL, w.Description, string(events), w.Enabled, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return w, nil
}

// RotateWebhookSecret gives the endpoint a new secret and returns it with
// the endpoint. The secret it replaces keeps signing deliveries (beside
// the new one) for overlap; overlap 0 drops it at once. ENotFound for an
// unknown, deleted or other-org ID.
func (s *WebhookStore) RotateWebhookSecret(ctx context.Context, orgID, id string, overlap time.Duration) (string, *qbconnect.WebhookEndpoint, error) {
	if overlap < 0 {
		return "", nil, qbconnect.Errorf(qbconnect.EInvalid, "webhook: the overlap cannot be negative")
	}
	secret, err := s.newWebhookSecret()
	if err != nil {
		return "", nil, err
	}
	var w *qbconnect.WebhookEndpoint
	err = s.db.inTx(ctx, func(tx *tx) error {
		var err error
		if w, err = findWebhook(ctx, tx, orgID, id); err != nil {
			return err
		}
		var prev string
		var until any
		if overlap > 0 {
			if err := tx.queryRow(ctx, "SELECT secret FROM webhook_endpoints WHERE id = ?", id).Scan(&prev); err != nil {
				return err
			}
			t := s.db.now().Add(overlap).UTC().Truncate(time.Microsecond)
			until, w.PreviousSecretExpiresAt = micros(t), &t
		} else {
			w.PreviousSecretExpiresAt = nil
		}
		_, err = tx.exec(ctx, "UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_secret_expires_at = ? WHERE id = ?",
			secret, prev, until, id)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return secret, w, nil
}

// ListWebhooks returns the organisation's endpoints, oldest first.
func (s *WebhookStore) ListWebhooks(ctx context.Context, orgID string) ([]*qbconnect.WebhookEndpoint, error) {
	now := s.db.now()
	rows, err := s.db.query(ctx, "SELECT "+webhookColumns+" FROM webhook_endpoints WHERE org_id = ? AND deleted_at IS NULL ORDER BY seq", orgID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.WebhookEndpoint{}
	for rows.Next() {
		w, err := scanWebhook(rows, now)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		list = append(list, w)
	}
	return list, rows.Err()
}

// DeleteWebhook removes the endpoint from listings; its delivery log is
// kept and its pending deliveries fail when their turn comes.
func (s *WebhookStore) DeleteWebhook(ctx context.Context, orgID, id string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		now := micros(s.db.now())
		res, err := tx.exec(ctx, "UPDATE webhook_endpoints SET deleted_at = ? WHERE org_id = ? AND id = ? AND deleted_at IS NULL", now, orgID, id)
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "webhook %q not found", id)
		}
		return nil
	})
}

// RecordEvent stores ev in the outbox (setting its ID) with one pending
// delivery per endpoint of the organisation that subscribes to its type,
// in one transaction, and returns the deliveries' IDs.
func (s *WebhookStore) RecordEvent(ctx context.Context, ev *qbconnect.Event) ([]string, error) {
	var ids []string
	err := s.db.inTx(ctx, func(tx *tx) error {
		var err error
		ids, err = recordEventTx(ctx, tx, ev)
		return err
	})
	return ids, err
}

// RecordEvent records ev in t: t is the qbconnect.EventRecorder that
// change hooks (ConnectionStore.OnChange, SyncStore.OnPassEnd) see.
func (t *tx) RecordEvent(ctx context.Context, ev *qbconnect.Event) ([]string, error) {
	return recordEventTx(ctx, t, ev)
}

// stampEvent gives ev its creation time (now, unless set) at the
// stored precision and returns the data to store: ev.Data, or {} when
// it has none.
func (db *DB) stampEvent(ev *qbconnect.Event) json.RawMessage {
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = db.now()
	}
	ev.CreatedAt = ev.CreatedAt.UTC().Truncate(time.Microsecond)
	if len(ev.Data) == 0 {
		return json.RawMessage("{}")
	}
	return ev.Data
}

// recordEventTx is RecordEvent in tx.
func recordEventTx(ctx context.Context, tx *tx, ev *qbconnect.Event) ([]string, error) {
	if ev.OrgID == "" || ev.Type == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "event: organisation and type are required")
	}
	id, err := tx.db.newID("evt")
	if err != nil {
		return nil, err
	}
	data := tx.db.stampEvent(ev)
	ids, err := recordEvent(ctx, tx, id, ev.OrgID, ev.CompanyID, ev.Type, data, ev.CreatedAt)
	if err != nil {
		return nil, err
	}
	ev.ID = id
	return ids, nil
}

// recordEvent stores an event and one pending delivery per subscribed,
// enabled endpoint in tx, and returns the deliveries' IDs. They are
// enqueued once tx committed (the webhook sender sweeps deliveries
// without a job).
func recordEvent(ctx context.Context, tx *tx, id, orgID, companyID string, typ qbconnect.EventType, data []byte, at time.Time) ([]string, error) {
	if _, err := tx.exec(ctx, "INSERT INTO webhook_events (id, org_id, company_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		id, orgID, companyID, typ, string(data), micros(at)); err != nil {
		return nil, fmt.Errorf("record event: %w", err)
	}
	rows, err := tx.query(ctx, "SELECT id, events FROM webhook_endpoints WHERE org_id = ? AND deleted_at IS NULL AND enabled ORDER BY seq", orgID)
	if err != nil {
		return nil, fmt.Errorf("record event: %w", err)
	}
	var targets []string
	for rows.Next() {
		var epID, events string
		if err := rows.Scan(&epID, &events); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record event: %w", err)
		}
		var types []qbconnect.EventType
		if err := json.Unmarshal([]byte(events), &types); err != nil {
			rows.Close()
			return nil, fmt.Errorf("webhook %s: events: %w", epID, err)
		}
		if len(types) == 0 || slices.Contains(types, typ) {
			targets = append(targets, epID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record event: %w", err)
	}
	now := micros(tx.db.now())
	var ids []string
	for _, epID := range targets {
		did, err := tx.db.newID("dlv")
		if err != nil {
			return nil, err
		}
		if _, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, did, orgID, epID, id, qbconnect.DeliveryPending, now); err != nil {
			return nil, fmt.Errorf("record event: %w", err)
		}
		ids = append(ids, did)
	}
	return ids, nil
}

// DeliveryTarget is what a delivery job needs: the delivery, its event, and
// its endpoint's URL and secrets.
type DeliveryTarget struct {
	Delivery *qbconnect.WebhookDelivery
	Event    *qbconnect.Event
	URL      string
	Secret   string
	// PreviousSecret is the secret the last rotation replaced, until
	// PreviousSecretExpiresAt ("" and nil when there is none or no
	// overlap); the sender signs with it too while the overlap lasts.
	PreviousSecret          string
	PreviousSecretExpiresAt *time.Time
	// EndpointDeleted is true when the endpoint was deleted after the
	// event was recorded.
	EndpointDeleted bool
}

const deliveryColumns = "d.seq, d.id, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, d.created_at, d.delivered_at, d.replay_of"

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (*qbconnect.WebhookDelivery, int64, error) {
	d := &qbconnect.WebhookDelivery{}
	var seq, created int64
	var attempts string
	var delivered sql.NullInt64
	dest := append([]any{&seq, &d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &attempts, &created, &delivered, &d.ReplayOf}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(attempts), &d.Attempts); err != nil {
		return nil, 0, fmt.Errorf("delivery %s: attempts: %w", d.ID, err)
	}
	if d.Attempts == nil {
		d.Attempts = []*qbconnect.WebhookAttempt{}
	}
	d.CreatedAt, d.DeliveredAt = fromMicros(created), timePtr(delivered)
	return d, seq, nil
}

// Delivery returns a delivery with its event and endpoint; ENotFound for
// an unknown ID.
func (s *WebhookStore) Delivery(ctx context.Context, id string) (*DeliveryTarget, error) {
	t := &DeliveryTarget{Event: &qbconnect.Event{}}
	var data string
	var evCreated int64
	var deleted, prevUntil sql.NullInt64
	d, _, err := scanDelivery(s.db.queryRow(ctx, "SELECT "+deliveryColumns+`, e.org_id, e.company_id, e.data, e.created_at, w.url, w.secret, w.deleted_at,
		w.previous_secret, w.previous_secret_expires_at
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
		WHERE d.id = ?`, id), &t.Event.OrgID, &t.Event.CompanyID, &data, &evCreated, &t.URL, &t.Secret, &deleted, &t.PreviousSecret, &prevUntil)
	if err != nil {
		return nil, notFound(err, "delivery", id)
	}
	if t.PreviousSecretExpiresAt = timePtr(prevUntil); t.PreviousSecretExpiresAt == nil {
		t.PreviousSecret = ""
	}
	t.Delivery = d
	t.Event.ID, t.Event.Type, t.Event.Data, t.Event.CreatedAt = d.EventID, d.EventType, json.RawMessage(data), fromMicros(evCreated)
	t.EndpointDeleted = deleted.Valid
	return t, nil
}

// RecordTestEvent records ev (setting its ID) with one delivery, to the
// endpoint webhookID only, whatever the event types it subscribes to or
// whether it is enabled, and returns the delivery's ID. The delivery is
// sent by the caller, not by a job: the sweep never starts it. ENotFound
// for an unknown, deleted or other-org endpoint.
func (s *WebhookStore) RecordTestEvent(ctx context.Context, webhookID string, ev *qbconnect.Event) (string, error) {
	if ev.OrgID == "" || ev.Type == "" {
		return "", qbconnect.Errorf(qbconnect.EInvalid, "event: organisation and type are required")
	}
	evID, err := s.db.newID("evt")
	if err != nil {
		return "", err
	}
	did, err := s.db.newID("dlv")
	if err != nil {
		return "", err
	}
	data := s.db.stampEvent(ev)
	err = s.db.inTx(ctx, func(tx *tx) error {
		if _, err := findWebhook(ctx, tx, ev.OrgID, webhookID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO webhook_events (id, org_id, company_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			evID, ev.OrgID, ev.CompanyID, ev.Type, string(data), micros(ev.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, status, enqueued, created_at)
			VALUES (?, ?, ?, ?, ?, TRUE, ?)`, did, ev.OrgID, webhookID, evID, qbconnect.DeliveryPending, micros(s.db.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("record test event: %w", err)
	}
	ev.ID = evID
	return did, nil
}

// ReplayDelivery records a new delivery of a delivery's event to the same
// endpoint (ReplayOf the one replayed) and returns its ID. Like a test
// event's, it is sent by the caller: the sweep never starts it. ENotFound
// for an unknown delivery, one of another endpoint or organisation, or a
// deleted endpoint.
func (s *WebhookStore) ReplayDelivery(ctx context.Context, orgID, webhookID, deliveryID string) (string, error) {
	did, err := s.db.newID("dlv")
	if err != nil {
		return "", err
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		if _, err := findWebhook(ctx, tx, orgID, webhookID); err != nil {
			return err
		}
		var evID string
		err := tx.queryRow(ctx, "SELECT event_id FROM webhook_deliveries WHERE id = ? AND endpoint_id = ? AND org_id = ?",
			deliveryID, webhookID, orgID).Scan(&evID)
		if err != nil {
			return notFound(err, "delivery", deliveryID)
		}
		_, err = tx.exec(ctx, `INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, status, enqueued, created_at, replay_of)
			VALUES (?, ?, ?, ?, ?, TRUE, ?, ?)`, did, orgID, webhookID, evID, qbconnect.DeliveryPending, micros(s.db.now()), deliveryID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("replay delivery: %w", err)
	}
	return did, nil
}

// RecordAttempt appends an attempt to a delivery's log and sets its status
// (DeliveredAt too when status is Delivered). It does nothing to a
// delivery that is no longer Pending and reports whether it applied.
func (s *WebhookStore) RecordAttempt(ctx context.Context, id string, a qbconnect.WebhookAttempt, status qbconnect.DeliveryStatus) (bool, error) {
	applied := false
	err := s.db.inTx(ctx, func(tx *tx) error {
		var cur qbconnect.DeliveryStatus
		var attempts string
		err := tx.queryRow(ctx, "SELECT status, attempts FROM webhook_deliveries WHERE id = ?"+s.db.forUpdate("FOR UPDATE"), id).Scan(&cur, &attempts)
		if err != nil {
			return notFound(err, "delivery", id)
		}
		if cur != qbconnect.DeliveryPending {
			return nil
		}
		var list []*qbconnect.WebhookAttempt
		if err := json.Unmarshal([]byte(attempts), &list); err != nil {
			return fmt.Errorf("delivery %s: attempts: %w", id, err)
		}
		a.At = a.At.UTC().Truncate(time.Microsecond)
		list = append(list, &a)
		out, _ := json.Marshal(list)
		var delivered any
		if status == qbconnect.DeliveryDelivered {
			delivered = micros(s.db.now())
		}
		if _, err := tx.exec(ctx, "UPDATE webhook_deliveries SET status = ?, attempts = ?, delivered_at = ? WHERE id = ?",
			status, string(out), delivered, id); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		applied = true
		return nil
	})
	return applied, err
}

// MarkEnqueued records that delivery jobs exist for the deliveries.
func (s *WebhookStore) MarkEnqueued(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.inTx(ctx, func(tx *tx) error {
		for _, id := range ids {
			if _, err := tx.exec(ctx, "UPDATE webhook_deliveries SET enqueued = TRUE WHERE id = ?", id); err != nil {
				return fmt.Errorf("mark enqueued: %w", err)
			}
		}
		return nil
	})
}

// Unenqueued returns pending deliveries recorded before `before` that have
// no delivery job yet (the process stopped between recording the event and
// enqueuing its jobs), oldest first, at most limit.
func (s *WebhookStore) Unenqueued(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.db.query(ctx, "SELECT id FROM webhook_deliveries WHERE NOT enqueued AND status = ? AND created_at < ? ORDER BY seq LIMIT ?",
		qbconnect.DeliveryPending, micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("unenqueued deliveries: %w", err)
	}
	return scanIDs(rows)
}

// ListDeliveries returns a page of an endpoint's deliveries, newest first.
// ENotFound for an unknown or other-org endpoint; a deleted endpoint's log
// stays readable.
func (s *WebhookStore) ListDeliveries(ctx context.Context, orgID, webhookID string, limit int, cursor string) ([]*qbconnect.WebhookDelivery, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	var n int
	if err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM webhook_endpoints WHERE org_id = ? AND id = ?", orgID, webhookID).Scan(&n); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	if n == 0 {
		return nil, "", qbconnect.Errorf(qbconnect.ENotFound, "webhook %q not found", webhookID)
	}
	where, args := "d.endpoint_id = ?", []any{webhookID}
	if cursor != "" {
		before, err := parseSeqCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = where+" AND d.seq < ?", append(args, before)
	}
	rows, err := s.db.query(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE "+
		where+" ORDER BY d.seq DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.WebhookDelivery{}
	var next string
	var last int64
	for rows.Next() {
		d, seq, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		if len(list) == limit {
			next = seqCursor(last)
			break
		}
		list = append(list, d)
		last = seq
	}
	return list, next, rows.Err()
}
