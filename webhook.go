package qbconnect

import (
	"context"
	"time"
)

// WebhookEndpoint is an organisation's URL that receives signed events.
// Its secret is shown once at creation; deliveries carry the header
// "Qbconnect-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// secret over "<t>.<body>">".
type WebhookEndpoint struct {
	ID          string `json:"id"`
	OrgID       string `json:"-"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// Events are the event types delivered; empty means every type.
	Events    []EventType `json:"events"`
	CreatedAt time.Time   `json:"createdAt"`
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
	// ListDeliveries returns a page of an endpoint's deliveries, newest
	// first, and the cursor of the next page ("" at the end). limit 0 means
	// 100.
	ListDeliveries(ctx context.Context, orgID, webhookID string, limit int, cursor string) ([]*WebhookDelivery, string, error)
}

// The headers of a webhook delivery: the signature
// ("t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>"), the
// event's ID and type, and the delivery's ID as the delivery log shows it.
const (
	WebhookHeaderSignature  = "Qbconnect-Signature"
	WebhookHeaderEventID    = "Qbconnect-Event-Id"
	WebhookHeaderEventType  = "Qbconnect-Event-Type"
	WebhookHeaderDeliveryID = "Qbconnect-Delivery-Id"
)
