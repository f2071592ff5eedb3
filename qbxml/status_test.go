package qbxml

import (
	"errors"
	"strings"
	"testing"
)

// TestEveryErrorStatusSaysWhatToDo: an error status, known or not, carries
// a message for people and a resolution (what the application or its user
// can do), which the platform's error answers pass on.
func TestEveryErrorStatusSaysWhatToDo(t *testing.T) {
	codes := []int{2999, 3099, 9150, 31337} // not in the table: derived from their range
	for _, s := range StatusCodes() {
		codes = append(codes, s.Code)
	}
	for _, code := range codes {
		s := Status(code)
		if s.Severity != SeverityError {
			continue
		}
		if s.UserMessage == "" || s.Resolution == "" {
			t.Errorf("status %d (%s): user message %q, resolution %q", code, s.Meaning, s.UserMessage, s.Resolution)
		}
	}
}

// A 3170 is retried only when QuickBooks says someone else holds the
// record or list; a 3170 that refuses the change for a reason of the
// books (payments applied, a deposit holding the payment) fails at once
// with QuickBooks' reason instead of being retried as a lock
// (consolibyte's retry list, shared/reference/intuit-sdk.md).
func TestAModifyingErrorIsRetriedOnlyWhenQuickBooksSaysTheRecordIsHeld(t *testing.T) {
	for msg, retry := range map[string]bool{
		"There was an error when modifying a Customer list, element \"Acme\". QuickBooks error message: This list has been modified by another user.": true,
		"There was an error when saving a Invoice. QuickBooks error message: The internals could not be locked.":                                      true,
		"QuickBooks error message: Failed to acquire the lock.":                                                                                       true,
		"There was an error when deleting Customer list. QuickBooks error message: List element is in use.":                                           true,
		"The Invoice \"1001\" cannot be deleted or voided because payments or credits are applied to it.":                                             false,
		"The ReceivePayment \"7\" cannot be deleted or voided because the Deposit \"D1\" deposited it.":                                               false,
		"": false,
	} {
		if got := StatusOf(3170, msg).Retryable; got != retry {
			t.Errorf("3170 %q: retryable %v, want %v", msg, got, retry)
		}
		r := Response{Name: "TxnDelRs", StatusCode: 3170, StatusSeverity: "Error", StatusMessage: msg}
		var se *StatusError
		if !errors.As(r.Err(), &se) || se.Retryable != retry {
			t.Errorf("Response.Err of 3170 %q: %+v, want retryable %v", msg, se, retry)
		}
	}
	for _, code := range []int{3175, 3176} {
		if !StatusOf(code, "any reason").Retryable {
			t.Errorf("%d (in use, locked) is retryable whatever its message", code)
		}
	}
}

// A 3180 ("There was an error when saving") is retried when QuickBooks
// says another user changed the list, as a 3170 is (consolibyte retries
// 3180 on the same phrases; a QuickBooks client's status enum, index file
// 32159111309, quotes a 3180 "There was an error when saving a Customers
// list. QuickBooks error message: This list has been modified by another
// user."); a 3180 for a reason of the books, such as a credit limit
// (ayssoftware's KB, shared/reference/intuit-sdk.md), fails at once.
func TestASavingErrorIsRetriedOnlyWhenQuickBooksSaysTheListIsHeld(t *testing.T) {
	for msg, retry := range map[string]bool{
		"There was an error when saving a Customers list. QuickBooks error message: This list has been modified by another user.":                  true,
		"There was an error when saving a Invoice. QuickBooks error message: The internals could not be locked.":                                   true,
		"There was an error when saving a Invoice. QuickBooks error message: The credit limit for the name on this transaction has been exceeded.": false,
		"": false,
	} {
		r := Response{Name: "CustomerModRs", StatusCode: 3180, StatusSeverity: "Error", StatusMessage: msg}
		var se *StatusError
		if !errors.As(r.Err(), &se) || se.Retryable != retry || se.Code != 3180 {
			t.Errorf("Response.Err of 3180 %q: %+v, want retryable %v", msg, se, retry)
		}
		if retry && se != nil && strings.Contains(se.UserMessage, "refused") {
			t.Errorf("3180 %q held by another user explained as a refusal: %q", msg, se.UserMessage)
		}
	}
}

// Status finds a code by binary search: the table must stay sorted, or a
// code added out of order would read as unknown.
func TestEveryCodeOfTheStatusTableIsFound(t *testing.T) {
	for i, row := range statusTable {
		if i > 0 && row.Code <= statusTable[i-1].Code {
			t.Errorf("status %d follows %d: the table is not sorted", row.Code, statusTable[i-1].Code)
		}
		if got := Status(row.Code); !got.Known || got.Meaning != row.Meaning {
			t.Errorf("Status(%d) = %+v, want the table's row", row.Code, got)
		}
	}
}
