package control

import (
	"context"
	"errors"

	"github.com/qbconnect/qbconnect"
)

// DefaultUserMessage returns what end users are shown, and what to do,
// when an error carries no message of its own.
func DefaultUserMessage(code qbconnect.ErrorCode) (msg, resolution string) {
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
		return "This credential may not do that.", "Use a credential that may, or ask the organisation's administrator for one."
	case qbconnect.ETooLarge:
		return "The request is too large.", "Send a smaller request."
	case qbconnect.ERateLimited:
		return "Too many requests.", "Wait and try again."
	case qbconnect.EUnavailable:
		return "The service is temporarily unavailable.", "Try again in a moment."
	case qbconnect.ETimeout:
		return "The operation did not finish in time.", "Try again later."
	case qbconnect.EQuickBooks:
		return "QuickBooks reported an error.", "Read QuickBooks' reason in the message, correct the request, and send it again."
	default:
		return "An internal error occurred. Please try again.", "If it persists, contact support with the request ID."
	}
}

// PublicError returns err as an *Error with every field clients see filled
// in: the REST API, the gateway and the in-process service answer it.
// Internal errors are masked: their details go to the log only.
func PublicError(err error) *qbconnect.Error {
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
	um, res := DefaultUserMessage(qe.Code)
	if qe.UserMessage == "" {
		qe.UserMessage = um
	}
	if qe.Resolution == "" {
		qe.Resolution = res
	}
	return qe
}
