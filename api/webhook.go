package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Webhooks is the webhook endpoint service the /v1/webhooks routes use.
type Webhooks = qbconnect.WebhookService

// targetChecker is implemented by webhook services that refuse some
// endpoint hosts (notify.Webhooks: addresses that are not public); the
// refusal is EInvalid.
type targetChecker interface {
	CheckTarget(ctx context.Context, host string) error
}

func (s *Server) registerWebhooks(rs *routeSet) {
	rs.add("POST", "/v1/webhooks", AuthAPIKey, s.createWebhook)
	rs.add("GET", "/v1/webhooks", AuthAPIKey, s.listWebhooks)
	rs.add("GET", "/v1/webhooks/{webhookId}", AuthAPIKey, s.getWebhook)
	rs.add("PATCH", "/v1/webhooks/{webhookId}", AuthAPIKey, s.updateWebhook)
	rs.add("DELETE", "/v1/webhooks/{webhookId}", AuthAPIKey, s.deleteWebhook)
	rs.add("POST", "/v1/webhooks/{webhookId}/rotate-secret", AuthAPIKey, s.rotateWebhookSecret)
	rs.add("POST", "/v1/webhooks/{webhookId}/test", AuthAPIKey, s.testWebhook)
	rs.add("GET", "/v1/webhooks/{webhookId}/deliveries", AuthAPIKey, s.listDeliveries)
	rs.add("POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay", AuthAPIKey, s.replayDelivery)
}

const (
	maxWebhookURL  = 2048
	maxWebhookDesc = 500
	// defaultSecretOverlap is how long a rotated secret keeps signing
	// deliveries beside the new one when the request names no overlap;
	// maxSecretOverlap bounds the overlap a request may ask.
	defaultSecretOverlap = 24 * time.Hour
	maxSecretOverlap     = 7 * 24 * time.Hour
)

func (s *Server) webhooks() (Webhooks, error) {
	if s.cfg.Webhooks == nil {
		return nil, &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform has no webhook service configured",
			UserMessage: "Webhooks are not available on this server.", Resolution: "Ask the platform operator to enable webhooks."}
	}
	return s.cfg.Webhooks, nil
}

// webhookRequest is the body of POST /v1/webhooks.
type webhookRequest struct {
	URL         string                `json:"url"`
	Description string                `json:"description"`
	Events      []qbconnect.EventType `json:"events"`
}

// webhookCreated is the answer to POST /v1/webhooks: the endpoint and its
// signing secret, shown this once.
type webhookCreated struct {
	*qbconnect.WebhookEndpoint
	Secret string `json:"secret"`
}

func validateWebhook(req *webhookRequest) error {
	req.URL = strings.TrimSpace(req.URL)
	if err := validateWebhookURL(req.URL); err != nil {
		return err
	}
	if len(req.Description) > maxWebhookDesc {
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"description\" is longer than %d bytes", maxWebhookDesc)
	}
	return validateWebhookEvents(req.Events)
}

// validateWebhookURL is the one check of an endpoint's URL, at creation
// and at a change.
func validateWebhookURL(raw string) error {
	switch {
	case raw == "":
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\" is required")
	case len(raw) > maxWebhookURL:
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\" is longer than %d bytes", maxWebhookURL)
	case !qbconnect.ValidWebhookURL(raw):
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\" must be an absolute http or https URL without credentials or fragment, not %q", raw)
	}
	return nil
}

// validateWebhookEvents is the one check of an endpoint's event types, at
// creation and at a change.
func validateWebhookEvents(events []qbconnect.EventType) error {
	ev, unknown := qbconnect.UnknownEventType(events)
	if !unknown {
		return nil
	}
	known := qbconnect.EventTypes()
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = string(k)
	}
	return qbconnect.Errorf(qbconnect.EInvalid, "unknown event type %q (known: %s)", ev, strings.Join(names, ", "))
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	if err := validateWebhook(&req); err != nil {
		return err
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	if err := checkWebhookTarget(r.Context(), svc, req.URL); err != nil {
		return err
	}
	ep := &qbconnect.WebhookEndpoint{OrgID: orgID(r.Context()), URL: req.URL, Description: req.Description, Events: req.Events}
	if ep.Events == nil {
		ep.Events = []qbconnect.EventType{}
	}
	secret, err := svc.CreateWebhook(r.Context(), ep)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/webhooks/"+ep.ID)
	writeJSON(w, http.StatusCreated, webhookCreated{WebhookEndpoint: ep, Secret: secret})
	return nil
}

// checkWebhookTarget lets the webhook sender, which keeps the policy on
// private targets, refuse an endpoint URL here as it does at delivery.
// The URL was validated.
func checkWebhookTarget(ctx context.Context, svc Webhooks, raw string) error {
	if tc, ok := svc.(targetChecker); ok {
		u, _ := url.Parse(raw)
		return tc.CheckTarget(ctx, u.Hostname())
	}
	return nil
}

// webhookPatchRequest is the body of PATCH /v1/webhooks/{webhookId}:
// fields left out stay as they are.
type webhookPatchRequest struct {
	URL         *string                `json:"url"`
	Description *string                `json:"description"`
	Events      *[]qbconnect.EventType `json:"events"`
	Enabled     *bool                  `json:"enabled"`
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookPatchRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	// The checks of creation, field by field: a bad field changes nothing.
	if req.URL != nil {
		u := strings.TrimSpace(*req.URL)
		if err := validateWebhookURL(u); err != nil {
			return err
		}
		req.URL = &u
	}
	if req.Description != nil && len(*req.Description) > maxWebhookDesc {
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"description\" is longer than %d bytes", maxWebhookDesc)
	}
	if req.Events != nil {
		if err := validateWebhookEvents(*req.Events); err != nil {
			return err
		}
		if *req.Events == nil {
			req.Events = &[]qbconnect.EventType{}
		}
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	if req.URL != nil {
		if err := checkWebhookTarget(r.Context(), svc, *req.URL); err != nil {
			return err
		}
	}
	ep, err := svc.UpdateWebhook(r.Context(), orgID(r.Context()), r.PathValue("webhookId"),
		qbconnect.WebhookPatch{URL: req.URL, Description: req.Description, Events: req.Events, Enabled: req.Enabled})
	if err != nil {
		return notFound(err, "webhook")
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

// rotateRequest is the body of POST /v1/webhooks/{webhookId}/rotate-secret.
type rotateRequest struct {
	// Overlap is how long the secret being replaced keeps signing
	// deliveries beside the new one; nil means defaultSecretOverlap.
	Overlap *qbconnect.Duration `json:"overlap"`
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	var req rotateRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	overlap := defaultSecretOverlap
	if req.Overlap != nil {
		overlap = time.Duration(*req.Overlap)
	}
	if overlap < 0 || overlap > maxSecretOverlap {
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"overlap\" must be between 0s and %s, not %s", maxSecretOverlap, overlap)
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	secret, ep, err := svc.RotateWebhookSecret(r.Context(), orgID(r.Context()), r.PathValue("webhookId"), overlap)
	if err != nil {
		return notFound(err, "webhook")
	}
	writeJSON(w, http.StatusOK, webhookCreated{WebhookEndpoint: ep, Secret: secret})
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	d, err := svc.TestWebhook(r.Context(), orgID(r.Context()), r.PathValue("webhookId"))
	if err != nil {
		return notFound(err, "webhook")
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	d, err := svc.ReplayDelivery(r.Context(), orgID(r.Context()), r.PathValue("webhookId"), r.PathValue("deliveryId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	list, err := svc.ListWebhooks(r.Context(), orgID(r.Context()))
	if err != nil {
		return err
	}
	page, next, err := webhookPage(list, limit, cursor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOfList(page, next))
	return nil
}

// webhookPage pages an organisation's endpoints, oldest first. An
// organisation has few, so they are read whole and paged here; the cursor
// is the position (creation time and ID) of the last one shown, so a
// deletion between pages skips nothing.
func webhookPage(all []*qbconnect.WebhookEndpoint, limit int, cursor string) ([]*qbconnect.WebhookEndpoint, string, error) {
	key := func(w *qbconnect.WebhookEndpoint) string {
		return fmt.Sprintf("%020d:%s", w.CreatedAt.UnixNano(), w.ID)
	}
	sort.SliceStable(all, func(i, j int) bool { return key(all[i]) < key(all[j]) })
	start := 0
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.Contains(string(b), ":") {
			return nil, "", qbconnect.Errorf(qbconnect.EInvalid, "invalid cursor %q", cursor)
		}
		start = sort.Search(len(all), func(i int) bool { return key(all[i]) > string(b) })
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(all[end-1])))
	}
	return all[start:end], next, nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	ep, err := svc.FindWebhook(r.Context(), orgID(r.Context()), r.PathValue("webhookId"))
	if err != nil {
		return notFound(err, "webhook")
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	if err := svc.DeleteWebhook(r.Context(), orgID(r.Context()), r.PathValue("webhookId")); err != nil {
		return notFound(err, "webhook")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveryPage is a page of an endpoint's delivery log.
type deliveryPage struct {
	Data       []*qbconnect.WebhookDelivery `json:"data"`
	HasMore    bool                         `json:"hasMore"`
	NextCursor *string                      `json:"nextCursor"`
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	list, next, err := svc.ListDeliveries(r.Context(), orgID(r.Context()), r.PathValue("webhookId"), limit, cursor)
	if err != nil {
		return notFound(err, "webhook")
	}
	page := deliveryPage{Data: list, HasMore: next != ""}
	if page.Data == nil {
		page.Data = []*qbconnect.WebhookDelivery{}
	}
	for _, d := range page.Data {
		if d.Attempts == nil {
			d.Attempts = []*qbconnect.WebhookAttempt{}
		}
	}
	if next != "" {
		page.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
