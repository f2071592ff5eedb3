package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// APIKeyPrefix starts every API key; a connector credential starts with
// gateway.CredentialPrefix.
const APIKeyPrefix = "qbk_"

// bearer returns the token of an "Authorization: Bearer" header, "" when
// there is no header, and an error for any other form.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", qbconnect.Errorf(qbconnect.EUnauthorized, `the Authorization header must be "Bearer <credential>"`)
	}
	return token, nil
}

// authenticate checks the credential a route takes and returns the request
// context carrying the API key or the connector.
func (s *Server) authenticate(r *http.Request, auth Auth) (context.Context, error) {
	ctx := r.Context()
	if auth == AuthNone {
		return ctx, nil
	}
	token, err := bearer(r)
	if err != nil {
		return nil, err
	}
	switch auth {
	case AuthAPIKey:
		if token == "" {
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "missing API key: send \"Authorization: Bearer %s...\"", APIKeyPrefix)
		}
		if strings.HasPrefix(token, gateway.CredentialPrefix) {
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "a connector credential cannot call the REST API; use an API key (%s...)", APIKeyPrefix)
		}
		key, err := s.cfg.Orgs.AuthenticateAPIKey(ctx, token)
		if err != nil {
			return nil, unauthorized(err, "unknown or revoked API key")
		}
		return context.WithValue(ctx, ctxAPIKey, key), nil
	case AuthConnector, AuthOptionalConnector:
		if token == "" {
			if auth == AuthOptionalConnector {
				return ctx, nil
			}
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "missing connector credential: send \"Authorization: Bearer %s...\"", gateway.CredentialPrefix)
		}
		if strings.HasPrefix(token, APIKeyPrefix) {
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "an API key cannot call the connector gateway; use the connector credential (%s...)", gateway.CredentialPrefix)
		}
		c, err := s.dispatch().AuthenticateConnector(ctx, token) // dispatch hook: cached credential
		if err != nil {
			return nil, unauthorized(err, "unknown or revoked connector credential")
		}
		s.seen(ctx, c)
		return context.WithValue(ctx, ctxConnector, c), nil
	}
	return nil, qbconnect.Errorf(qbconnect.EInternal, "route has unknown auth %d", auth)
}

// unauthorized answers every credential failure alike, so that an answer
// never tells a revoked credential from one that never existed; other
// failures (the database is down) pass through.
func unauthorized(err error, msg string) error {
	if qbconnect.ErrorCodeOf(err) == qbconnect.EUnauthorized || qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return &qbconnect.Error{Code: qbconnect.EUnauthorized, Message: msg, Err: err}
	}
	return err
}

// orgID returns the organisation of the request's API key.
func orgID(ctx context.Context) string {
	if k, ok := ctx.Value(ctxAPIKey).(*qbconnect.APIKey); ok {
		return k.OrgID
	}
	return ""
}

// connectorOf returns the request's authenticated connector, or nil.
func connectorOf(ctx context.Context) *qbconnect.Connector {
	c, _ := ctx.Value(ctxConnector).(*qbconnect.Connector)
	return c
}

func (s *Server) logLevel(status int) slog.Level {
	if status >= 500 {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
