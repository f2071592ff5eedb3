package qbconnect

import (
	"net/url"
	"slices"
)

// Validate checks what every WebhookService keeps: an organisation, a URL
// that is absolute http or https with a host and without credentials or
// fragment, and known event types. It returns EInvalid naming the first
// problem. (The REST API checks the same, and lengths, with its field
// names; the store checks again, for every other caller.)
func (w *WebhookEndpoint) Validate() error {
	if w.OrgID == "" || w.URL == "" {
		return Errorf(EInvalid, "webhook: organisation and URL are required")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return Errorf(EInvalid, "webhook: the URL must be an absolute http or https URL without credentials or fragment, not %q", w.URL)
	}
	known := EventTypes()
	for _, ev := range w.Events {
		if !slices.Contains(known, ev) {
			return Errorf(EInvalid, "webhook: unknown event type %q", ev)
		}
	}
	return nil
}
