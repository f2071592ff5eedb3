package qbconnect

import (
	"errors"
	"fmt"
)

// ErrorCode is a stable, machine-readable error code. Clients may switch on
// it; its text never changes once released.
type ErrorCode string

// Error codes shared by every adapter. Adapters map them to HTTP statuses,
// SOAP faults and connector UI states in one function each.
const (
	EInvalid      ErrorCode = "invalid"      // the request is malformed or a field is wrong
	ENotFound     ErrorCode = "not_found"    // unknown ID, or an ID of another organisation
	EConflict     ErrorCode = "conflict"     // state conflict: stale editSequence, duplicate name, used link code
	EUnauthorized ErrorCode = "unauthorized" // missing, unknown or revoked credential
	EForbidden    ErrorCode = "forbidden"    // authenticated but not allowed
	ETooLarge     ErrorCode = "too_large"    // request body over the limit
	ERateLimited  ErrorCode = "rate_limited" // too many attempts; retry later
	EUnavailable  ErrorCode = "unavailable"  // QuickBooks or the connector cannot be reached now
	ETimeout      ErrorCode = "timeout"      // the operation did not finish before its deadline
	EQuickBooks   ErrorCode = "quickbooks"   // QuickBooks answered with an error status
	EInternal     ErrorCode = "internal"     // a bug or an infrastructure failure
)

// EIdempotencyMismatch is the code of a request whose Idempotency-Key was
// already used for a different request (another body, data type, action or
// qbXML document). It has a block of its own to keep the others' alignment.
const EIdempotencyMismatch ErrorCode = "idempotency_mismatch"

// Error is the platform's one error type. Message is for developers;
// UserMessage and Resolution are written for the end user who must act.
// QBCode carries QuickBooks' statusCode or HRESULT (as "0x8004041A") when the
// error came from QuickBooks.
type Error struct {
	Code        ErrorCode
	Message     string
	UserMessage string
	Resolution  string
	QBCode      string
	Retryable   bool
	Err         error // optional cause, not shown to clients
	// Status is the HTTP status an error came with, set by the REST
	// client (package client) on errors it decodes; zero elsewhere.
	Status int
	// RequestID is the server's ID of the failed request, set by the REST
	// client; quote it to support.
	RequestID string
}

// Error returns the developer message, with the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// IsRetryable reports whether retrying the failed call may succeed.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
