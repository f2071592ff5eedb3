package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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

// CreateWebhook stores the endpoint and returns its signing secret. The
// secret is kept as it is, since every delivery is signed with it.
// EInvalid for an endpoint that fails WebhookEndpoint.Validate.
func (s *WebhookStore) CreateWebhook(ctx context.Context, w *qbconnect.WebhookEndpoint) (string, error) {
	if err := w.Validate(); err != nil {
		return "", err
	}
	id, err := s.db.newID("whk")
	if err != nil {
		return "", err
	}
	secret, err := s.db.newSecret(WebhookSecretPrefix)
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
	w.ID, w.CreatedAt = id, now
	return secret, nil
}

const webhookColumns = "id, org_id, url, description, events, created_at"

func scanWebhook(row interface{ Scan(...any) error }) (*qbconnect.WebhookEndpoint, error) {
	w := &qbconnect.WebhookEndpoint{}
	var events string
	var created int64
	if err := row.Scan(&w.ID, &w.OrgID, &w.URL, &w.Description, &events, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s: events: %w", w.ID, err)
	}
	w.CreatedAt = fromMicros(created)
	return w, nil
}

// FindWebhook returns ENotFound for an unknown, deleted or other-org ID.
func (s *WebhookStore) FindWebhook(ctx context.Context, orgID, id string) (*qbconnect.WebhookEndpoint, error) {
	w, err := scanWebhook(s.db.queryRow(ctx, "SELECT "+webhookColumns+
		" FROM webhook_endpoints WHERE org_id = ? AND id = ? AND deleted_at IS NULL", orgID, id))
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return w, nil
}

// ListWebhooks returns the organisation's endpoints, oldest first.
func (s *WebhookStore) ListWebhooks(ctx context.Context, orgID string) ([]*qbconnect.WebhookEndpoint, error) {
	rows, err := s.db.query(ctx, "SELECT "+webhookColumns+" FROM webhook_endpoints WHERE org_id = ? AND deleted_at IS NULL ORDER BY seq", orgID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.WebhookEndpoint{}
	for rows.Next() {
		w, err := scanWebhook(rows)
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

// recordEventTx is RecordEvent in tx.
func recordEventTx(ctx context.Context, tx *tx, ev *qbconnect.Event) ([]string, error) {
	if ev.OrgID == "" || ev.Type == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "event: organisation and type are required")
	}
	id, err := tx.db.newID("evt")
	if err != nil {
		return nil, err
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = tx.db.now()
	}
	ev.CreatedAt = ev.CreatedAt.UTC().Truncate(time.Microsecond)
	data := ev.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	ids, err := recordEvent(ctx, tx, id, ev.OrgID, ev.CompanyID, ev.Type, data, ev.CreatedAt)
	if err != nil {
		return nil, err
	}
	ev.ID = id
	return ids, nil
}

// recordEvent stores an event and one pending delivery per subscribed
// endpoint in tx, and returns the deliveries' IDs. They are enqueued once
// tx committed (the webhook sender sweeps deliveries without a job).
func recordEvent(ctx context.Context, tx *tx, id, orgID, companyID string, typ qbconnect.EventType, data []byte, at time.Time) ([]string, error) {
	if _, err := tx.exec(ctx, "INSERT INTO webhook_events (id, org_id, company_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		id, orgID, companyID, typ, string(data), micros(at)); err != nil {
		return nil, fmt.Errorf("record event: %w", err)
	}
	rows, err := tx.query(ctx, "SELECT id, events FROM webhook_endpoints WHERE org_id = ? AND deleted_at IS NULL ORDER BY seq", orgID)
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
// its endpoint's URL and secret.
type DeliveryTarget struct {
	Delivery *qbconnect.WebhookDelivery
	Event    *qbconnect.Event
	URL      string
	Secret   string
	// EndpointDeleted is true when the endpoint was deleted after the
	// event was recorded.
	EndpointDeleted bool
}

const deliveryColumns = "d.seq, d.id, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, d.created_at, d.delivered_at"

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (*qbconnect.WebhookDelivery, int64, error) {
	d := &qbconnect.WebhookDelivery{}
	var seq, created int64
	var attempts string
	var delivered sql.NullInt64
	dest := append([]any{&seq, &d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &attempts, &created, &delivered}, extra...)
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
	var deleted sql.NullInt64
	d, _, err := scanDelivery(s.db.queryRow(ctx, "SELECT "+deliveryColumns+`, e.org_id, e.company_id, e.data, e.created_at, w.url, w.secret, w.deleted_at
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
		WHERE d.id = ?`, id), &t.Event.OrgID, &t.Event.CompanyID, &data, &evCreated, &t.URL, &t.Secret, &deleted)
	if err != nil {
		return nil, notFound(err, "delivery", id)
	}
	t.Delivery = d
	t.Event.ID, t.Event.Type, t.Event.Data, t.Event.CreatedAt = d.EventID, d.EventType, json.RawMessage(data), fromMicros(evCreated)
	t.EndpointDeleted = deleted.Valid
	return t, nil
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
