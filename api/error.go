package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
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

// defaultUserMessage is shown to end users when an error carries none.
func defaultUserMessage(code qbconnect.ErrorCode) (msg, resolution string) {
	switch code {
	case qbconnect.EInvalid:
		return "The request could not be processed.", "Correct the request as the message says and send it again."
	case qbconnect.ENotFound:
		return "The requested item does not exist.", "Check the ID."
	case qbconnect.EConflict:
		return "The request conflicts with the current state.", "Fetch the current state and try again."
	case qbconnect.EIdempotencyMismatch:
		return "This request repeats the key of an earlier, different request.", "Use a new Idempotency-Key for every distinct request."
	case qbconnect.EUnauthorized:
		return "The credential is missing, unknown or revoked.", "Send a valid credential in the Authorization header as \"Bearer <key>\"."
	case qbconnect.EForbidden:
		return "This credential may not do that.", ""
	case qbconnect.ETooLarge:
		return "The request is too large.", "Send a smaller request."
	case qbconnect.ERateLimited:
		return "Too many requests.", "Wait and try again."
	case qbconnect.EUnavailable:
		return "The service is temporarily unavailable.", "Try again in a moment."
	case qbconnect.ETimeout:
		return "The operation did not finish in time.", "Try again later."
	case qbconnect.EQuickBooks:
		return "QuickBooks reported an error.", ""
	default:
		return "An internal error occurred. Please try again.", "If it persists, contact support with the request ID."
	}
}

// errorOf returns err as an *Error with every field clients see filled in.
// Internal errors are masked: their details go to the log only.
func errorOf(err error) *qbconnect.Error {
	var qe *qbconnect.Error
	switch {
	case errors.As(err, &qe):
		e := *qe
		if e.Code == qbconnect.EInternal {
			e.Message = "internal error"
		}
		qe = &e
	case errors.Is(err, context.DeadlineExceeded):
		qe = &qbconnect.Error{Code: qbconnect.ETimeout, Message: "the request timed out", Retryable: true}
	case errors.Is(err, context.Canceled):
		qe = &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "the request was canceled", Retryable: true}
	default:
		qe = &qbconnect.Error{Code: qbconnect.EInternal, Message: "internal error"}
	}
	if qe.Code == "" {
		qe.Code = qbconnect.EInternal
	}
	if qe.UserMessage == "" {
		um, res := defaultUserMessage(qe.Code)
		qe.UserMessage = um
		if qe.Resolution == "" {
			qe.Resolution = res
		}
	}
	return qe
}

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

// gatewayError converts err to the gateway's error type, as an HTTP client
// would have read it, for the in-process gateway service.
func gatewayError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	e := errorOf(err)
	ge := &gateway.Error{
		Status:      httpStatus(e.Code),
		Code:        string(e.Code),
		Message:     e.Message,
		UserMessage: e.UserMessage,
		Resolution:  e.Resolution,
		RequestID:   requestID(ctx),
	}
	return ge
}
