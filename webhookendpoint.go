package qbconnect

import (
	"net/url"
	"slices"
)

// Validate checks what every WebhookService keeps: an organisation, a URL
// that ValidWebhookURL accepts, and known event types. It returns
// EInvalid naming the first problem. (The REST API checks the same, and
// lengths, with its field names; the store checks again, for every other
// caller.)
func (w *WebhookEndpoint) Validate() error {
	if w.OrgID == "" || w.URL == "" {
		return Errorf(EInvalid, "webhook: organisation and URL are required")
	}
	if !ValidWebhookURL(w.URL) {
		return Errorf(EInvalid, "webhook: the URL must be an absolute http or https URL without credentials or fragment, not %q", w.URL)
	}
	if ev, ok := UnknownEventType(w.Events); ok {
		return Errorf(EInvalid, "webhook: unknown event type %q", ev)
	}
	return nil
}

// ValidWebhookURL reports whether raw is an absolute http or https URL
// with a host and without credentials or fragment: the one rule for a
// webhook endpoint's address.
func ValidWebhookURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && u.Fragment == ""
}

// UnknownEventType returns the first of events the platform does not
// raise, and whether there is one.
func UnknownEventType(events []EventType) (EventType, bool) {
	known := EventTypes()
	for _, ev := range events {
		if !slices.Contains(known, ev) {
			return ev, true
		}
	}
	return "", false
}
