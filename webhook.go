package qbconnect

import (
	"context"
	"time"
)

// WebhookEndpoint is an organisation's URL that receives signed events.
// Its secret ("whsec_<base64>") is shown at creation and at each
// rotation, never otherwise. Deliveries are signed twice: per the
// Standard Webhooks specification (webhook-id, webhook-timestamp,
// webhook-signature: "v1,<base64 HMAC-SHA256>" keyed with the secret's
// base64-decoded part) and with the older "Qbconnect-Signature: t=<unix
// seconds>,v1=<hex HMAC-SHA256>" keyed with the secret's whole text.
type WebhookEndpoint struct {
	ID          string `json:"id"`
	OrgID       string `json:"-"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// Events are the event types delivered; empty means every type.
	Events []EventType `json:"events"`
	// Enabled is false for an endpoint that receives no events until it
	// is enabled again (its test deliveries and replays still go out).
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"createdAt"`
	// PreviousSecretExpiresAt is set during a rotation's overlap: until
	// then deliveries carry a signature with the previous secret too.
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt,omitempty"`
}

// WebhookPatch is a change to an endpoint: nil fields stay as they are.
type WebhookPatch struct {
	URL         *string      `json:"url"`
	Description *string      `json:"description"`
	Events      *[]EventType `json:"events"`
	Enabled     *bool        `json:"enabled"`
}

// DeliveryStatus is the state of one event's delivery to one endpoint.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "Pending"   // not yet delivered; attempts may remain
	DeliveryDelivered DeliveryStatus = "Delivered" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "Failed"    // every attempt failed
)

// WebhookDelivery is one event's delivery to one endpoint, with its
// attempts.
type WebhookDelivery struct {
	ID          string            `json:"id"`
	EndpointID  string            `json:"webhookId"`
	EventID     string            `json:"eventId"`
	EventType   EventType         `json:"eventType"`
	Status      DeliveryStatus    `json:"status"`
	Attempts    []*WebhookAttempt `json:"attempts"`
	CreatedAt   time.Time         `json:"createdAt"`
	DeliveredAt *time.Time        `json:"deliveredAt,omitempty"`
	// ReplayOf is the delivery this one replays (the same event, sent
	// again on request); "" for an event's first delivery.
	ReplayOf string `json:"replayOf,omitempty"`
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"` // 0 when no answer came
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"durationMs"`
}

// WebhookService manages webhook endpoints and shows their deliveries.
// Methods taking an orgID answer ENotFound for another organisation's IDs.
type WebhookService interface {
	// CreateWebhook stores the endpoint (setting ID and CreatedAt) and
	// returns its signing secret, which is never returned again. EInvalid
	// for a URL that is not absolute http(s) or an unknown event type.
	CreateWebhook(ctx context.Context, w *WebhookEndpoint) (secret string, err error)
	FindWebhook(ctx context.Context, orgID, id string) (*WebhookEndpoint, error)
	// ListWebhooks returns the organisation's endpoints, oldest first.
	ListWebhooks(ctx context.Context, orgID string) ([]*WebhookEndpoint, error)
	// DeleteWebhook removes the endpoint; pending deliveries to it stop.
	DeleteWebhook(ctx context.Context, orgID, id string) error
	// UpdateWebhook changes the fields p holds and returns the endpoint.
	// EInvalid (and nothing changed) for a URL that is not absolute
	// http(s) or an unknown event type.
	UpdateWebhook(ctx context.Context, orgID, id string, p WebhookPatch) (*WebhookEndpoint, error)
	// RotateWebhookSecret gives the endpoint a new secret and returns it;
	// deliveries are signed with the previous one too for overlap (0: not
	// at all). A rotation during an overlap ends that overlap: only the
	// secret being replaced is kept.
	RotateWebhookSecret(ctx context.Context, orgID, id string, overlap time.Duration) (secret string, w *WebhookEndpoint, err error)
	// TestWebhook sends a webhook.test_requested event to the endpoint now (once,
	// whatever its events or Enabled) and returns the delivery as it
	// ended: Delivered, or Failed with the attempt's error.
	TestWebhook(ctx context.Context, orgID, id string) (*WebhookDelivery, error)
	// ReplayDelivery sends a delivery's event again now, as a new
	// delivery (ReplayOf set) with the same body and webhook-id, once,
	// and returns it as it ended. ENotFound for a delivery of another
	// endpoint.
	ReplayDelivery(ctx context.Context, orgID, webhookID, deliveryID string) (*WebhookDelivery, error)
	// ListDeliveries returns a page of an endpoint's deliveries, newest
	// first, and the cursor of the next page ("" at the end). limit 0 means
	// 100.
	ListDeliveries(ctx context.Context, orgID, webhookID string, limit int, cursor string) ([]*WebhookDelivery, string, error)
}

// The headers of a webhook delivery: the signature
// ("t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>"), the
// event's ID and type, and the delivery's ID as the delivery log shows it;
// then the Standard Webhooks headers: webhook-id (the event's ID, the same
// on every retry and replay, for receivers to deduplicate by),
// webhook-timestamp (Unix seconds) and webhook-signature (space-separated
// "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>", key
// the base64-decoded part of "whsec_<base64>").
const (
	WebhookHeaderSignature  = "Qbconnect-Signature"
	WebhookHeaderEventID    = "Qbconnect-Event-Id"
	WebhookHeaderEventType  = "Qbconnect-Event-Type"
	WebhookHeaderDeliveryID = "Qbconnect-Delivery-Id"

	WebhookHeaderID                = "webhook-id"
	WebhookHeaderTimestamp         = "webhook-timestamp"
	WebhookHeaderStandardSignature = "webhook-signature"
)
