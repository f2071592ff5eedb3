package api

import (
	"net/http"
	"strconv"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// httpStatus maps an error code to its HTTP status. It is the only place
// that does.
func httpStatus(code qbconnect.ErrorCode) int {
	switch code {
	case qbconnect.EInvalid:
		return http.StatusBadRequest
	case qbconnect.ENotFound:
		return http.StatusNotFound
	case qbconnect.EConflict:
		return http.StatusConflict
	case qbconnect.EIdempotencyMismatch:
		return http.StatusUnprocessableEntity
	case qbconnect.EUnauthorized:
		return http.StatusUnauthorized
	case qbconnect.EForbidden:
		return http.StatusForbidden
	case qbconnect.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case qbconnect.ERateLimited:
		return http.StatusTooManyRequests
	case qbconnect.EUnavailable:
		return http.StatusServiceUnavailable
	case qbconnect.ETimeout:
		return http.StatusGatewayTimeout
	case qbconnect.EQuickBooks:
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// errorOf returns err as an *Error with every field clients see filled in
// (control.PublicError).
func errorOf(err error) *qbconnect.Error { return control.PublicError(err) }

// errorBody is the one error shape of every answer.
type errorBody struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	Code        qbconnect.ErrorCode `json:"code"`
	Message     string              `json:"message"`
	UserMessage string              `json:"userMessage"`
	Resolution  string              `json:"resolution"`
	RequestID   string              `json:"requestId"`
	QBCode      string              `json:"qbCode,omitempty"`
}

// writeError writes err in the one error shape, logging internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errorOf(err)
	status := httpStatus(e.Code)
	if status >= 500 && e.Code != qbconnect.EUnavailable && e.Code != qbconnect.ETimeout {
		s.cfg.Logger.ErrorContext(r.Context(), "request failed",
			"method", r.Method, "path", r.URL.Path, "requestId", requestID(r.Context()), "err", err)
	}
	switch e.Code {
	case qbconnect.EUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="qbconnect"`)
	case qbconnect.ERateLimited, qbconnect.EUnavailable:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(5))
		}
	}
	writeJSON(w, status, errorBody{Error: errorFields{
		Code:        e.Code,
		Message:     e.Message,
		UserMessage: e.UserMessage,
		Resolution:  e.Resolution,
		RequestID:   requestID(r.Context()),
		QBCode:      e.QBCode,
	}})
}

func invalid(format string, args ...any) error {
	return qbconnect.Errorf(qbconnect.EInvalid, format, args...)
}
