package qbxml

import (
	"fmt"
	"sort"
	"strings"
)

// Severity is the statusSeverity of a qbXML response.
type Severity string

// The severities QuickBooks sends.
const (
	SeverityInfo  Severity = "Info"
	SeverityWarn  Severity = "Warn"
	SeverityError Severity = "Error"
)

// StatusInfo describes a qbXML statusCode.
type StatusInfo struct {
	// Code is the statusCode.
	Code int
	// Severity is the severity QuickBooks gives the code.
	Severity Severity
	// Meaning is a short technical description.
	Meaning string
	// Retryable reports whether sending the same request again later can
	// succeed without changing it (a lock, a busy file, a stale edit
	// sequence after re-reading).
	Retryable bool
	// UserMessage is a sentence for end users: what happened and what to do.
	UserMessage string
	// Resolution says what the application or its user can do about an
	// error status; empty for Info and Warn.
	Resolution string
	// Known is false for codes missing from the table; their fields are
	// derived from the code's range.
	Known bool
}

// statusTable is the one table of qbXML status codes, sorted by code.
// Meanings follow Intuit's SDK documentation (reference/intuit-sdk.md §4.5);
// 3040, 3070, 3150, 3160, 3161, 3231, 3262, 3263, 3264, 3270 and 3391,
// which that file lacks, follow the codes QuBe Sync lists for each request
// with a name for each (glama.ai/mcp/connectors/com.qubesync/
// quickbooks-desktop-api/tools/delete_txn and delete_list: 3160
// "cannot_delete", 3161 "closing_date_delete"; update_invoice: 3171
// "closing_date_modify"; every write: 3262 "payroll_subscription_required",
// 3263 "read_only_access", 3264 "merchant_services_subscription_required")
// and captured answers (flowlink's SalesOrderAddRs for 3231), Intuit's own
// table being unreadable past 3031 here.
var statusTable = [...]StatusInfo{
	{0, SeverityInfo, "Status OK", false, "Done.", "", true},
	{1, SeverityInfo, "No match: the query found no matching object", false, "QuickBooks has no records that match.", "", true},
	{500, SeverityWarn, "One or more objects cannot be found", false, "Some of the requested records were not found in QuickBooks.", "", true},
	{501, SeverityWarn, "Object not in this qbXML specification", false, "QuickBooks holds a record this version of the integration cannot read; it was skipped.", "", true},
	{510, SeverityWarn, "Object cannot be returned", false, "QuickBooks could not return one of the records.", "", true},
	{530, SeverityWarn, "Unsupported field", false, "QuickBooks ignored a field it does not support.", "", true},
	{531, SeverityWarn, "Unsupported enum value", false, "QuickBooks ignored a value it does not support.", "", true},
	{540, SeverityWarn, "Too many matches (QuickBooks Online Edition)", false, "More records matched than QuickBooks returns at once.", "", true},
	{550, SeverityWarn, "Unable to save notes", false, "The record was saved, but its notes were not.", "", true},
	{560, SeverityWarn, "Deprecated field used", false, "A field that QuickBooks no longer recommends was used.", "", true},
	{570, SeverityWarn, "Cannot link to transaction", false, "The record was saved but could not be linked to a transaction that is already closed.", "", true},
	{600, SeverityWarn, "No cleared state to return", false, "QuickBooks has no saved result for that message set.", "", true},
	{1000, SeverityError, "Internal error", true, "QuickBooks had an internal error. Try again; if it persists, restart QuickBooks.", "Send the request again later. If it keeps failing, restart QuickBooks on the company's computer.", true},
	{1010, SeverityError, "System not available", true, "QuickBooks is not available right now. Try again in a few minutes.", "Send the request again in a few minutes.", true},
	{1030, SeverityError, "Unsupported message", false, "This QuickBooks edition does not support the request.", "Use another request: this QuickBooks edition or qbXML version does not offer this one.", true},
	{1060, SeverityError, "Invalid request ID", false, "The request was rejected because its ID is too long.", "Send a requestID of at most 50 characters.", true},
	{2000, SeverityError, "Authentication failed", false, "QuickBooks rejected the sign-on.", "Link the company again with a new link code.", true},
	{2010, SeverityError, "Access not authorized", false, "QuickBooks did not authorize this application.", "The QuickBooks administrator must authorise the application again (Edit > Preferences > Integrated Applications > Company Preferences).", true},
	{2020, SeverityError, "Session authentication required", false, "QuickBooks needs the application to sign on again.", "Send the request again; the connector signs on again by itself.", true},
	{2030, SeverityError, "Unsupported sign-on version", false, "QuickBooks does not support this sign-on version.", "Update the connector to its current release.", true},
	{2040, SeverityError, "Sign-on internal error", true, "QuickBooks could not complete the sign-on. Try again.", "Send the request again in a few minutes.", true},
	{3000, SeverityError, "Invalid object ID", false, "A record ID in the request is not valid.", "Use the record's listId or txnId exactly as the platform returned it.", true},
	{3010, SeverityError, "Invalid Boolean", false, "A yes/no value in the request is not valid.", "Send true or false.", true},
	{3020, SeverityError, "Invalid date", false, "A date in the request is not valid.", "Send dates as YYYY-MM-DD.", true},
	{3030, SeverityError, "Invalid date range", false, "A date range in the request starts after it ends.", "Give a From date on or before the To date.", true},
	{3031, SeverityError, "Invalid string range", false, "A From/To range in the request is not valid.", "Give a From value that sorts before the To value.", true},
	{3035, SeverityError, "Invalid time interval", false, "A time interval in the request is not valid.", "Send the interval as QuickBooks writes it, such as PT1H30M.", true},
	{3040, SeverityError, "Invalid amount", false, "An amount in the request is not valid.", "Send amounts as plain decimal numbers with at most two decimals, such as 1234.50.", true},
	{3070, SeverityError, "String too long", false, "A text value in the request is longer than QuickBooks allows for its field.", "Shorten the value QuickBooks names in its message (names 41 characters, most addresses 41, memos 4095) and send the request again.", true},
	{3100, SeverityError, "Name already in use", false, "A record with this name already exists in QuickBooks. Use a different name.", "Choose a name no other record of the list uses (customers, vendors, employees and other names share one list of names), or change the existing record instead.", true},
	{3120, SeverityError, "Object not found", false, "A record the request refers to does not exist in QuickBooks.", "Check the ID: the record may have been deleted in QuickBooks. Sync the data type to see what QuickBooks holds now.", true},
	{3140, SeverityError, "Invalid reference", false, "The request refers to a QuickBooks record that does not exist (for example a customer or item).", "Check the referenced record's ID or full name (list it, such as GET .../customers?name=...) and send the request again with one QuickBooks holds.", true},
	{3150, SeverityError, "Missing element", false, "The request lacks a value QuickBooks requires.", "Add the value QuickBooks names in its message and send the request again.", true},
	{3160, SeverityError, "Cannot delete", false, "QuickBooks refused to delete the record because other records depend on it (transactions that use a name or item, payments applied to a bill, a deposit holding a payment); its message says which.", "Remove or change in QuickBooks what depends on the record, then delete it again; a name or item still in use can be made inactive instead.", true},
	{3161, SeverityError, "Delete on or before the closing date", false, "QuickBooks refused to delete a transaction dated on or before the company's closing date.", "Leave the transaction, or ask the QuickBooks administrator to move the closing date (or give the closing-date password) and delete it again.", true},
	{3170, SeverityError, "Error when modifying (list modified by another user)", true, "Someone else is editing this list in QuickBooks. It will be retried shortly.", "Nothing to do: the change is tried again by itself. If it keeps failing, ask the people using QuickBooks to close the list.", true},
	{3171, SeverityError, "Modify on or before the closing date", false, "The transaction date is on or before the company's closing date in QuickBooks.", "Use a date after the closing date, or ask the QuickBooks administrator to move the closing date.", true},
	{3175, SeverityError, "Object in use", true, "The record is open in QuickBooks. Close it there; the change will be retried.", "Close the record in QuickBooks; the change is tried again by itself.", true},
	{3176, SeverityError, "Object locked", true, "QuickBooks could not lock the record because it is in use. It will be retried.", "Nothing to do: the change is tried again by itself once QuickBooks releases the record.", true},
	{3180, SeverityError, "Error when saving", false, "QuickBooks refused to save the record; see its message.", "Read QuickBooks' reason in the message, correct the request, and send it again.", true},
	// Not retryable: the same request carries the same stale EditSequence;
	// only the caller, reading the record again, can decide the change.
	{3200, SeverityError, "Out-of-date edit sequence", false, "The record changed in QuickBooks after it was read, so QuickBooks refused this change. Read the record again and send the change with its current editSequence.", "Read the record again and send the change with its current editSequence.", true},
	{3210, SeverityError, "Invalid field value", false, "QuickBooks rejected a value in the request; see its message.", "Read QuickBooks' reason in the message, correct the value, and send the request again.", true},
	{3231, SeverityError, "Request not processed", false, "QuickBooks did not run this request because an earlier request of the same message set failed.", "Correct the request that failed and send the message set again.", true},
	{3250, SeverityError, "Feature not enabled", false, "This feature is turned off or not available in this QuickBooks edition.", "Turn the feature on in QuickBooks' preferences, or leave it out of the request.", true},
	{3260, SeverityError, "Insufficient permission", false, "The QuickBooks user the application logs in as lacks permission. An administrator must grant it.", "A QuickBooks administrator must give the user the application logs in as this permission.", true},
	{3261, SeverityError, "No permission to access personal data", false, "The application is not allowed to read personal data. The QuickBooks administrator must allow it under Integrated Applications.", "The QuickBooks administrator must allow this application to read personal data (Edit > Preferences > Integrated Applications > Company Preferences > Properties).", true},
	{3262, SeverityError, "Payroll subscription required", false, "This request needs a QuickBooks payroll subscription, which the company file does not have.", "Subscribe the company file to QuickBooks payroll, or leave payroll data out of the request.", true},
	{3263, SeverityError, "Read-only access", false, "The application has read-only access to this company file, so QuickBooks refused the change.", "Connect the company again with read-write access (the connection was set up read-only, and the QuickBooks administrator granted only that), then send the change again.", true},
	{3264, SeverityError, "Merchant services subscription required", false, "This request needs a QuickBooks merchant services subscription, which the company file does not have.", "Subscribe the company file to QuickBooks merchant services, or leave credit card processing out of the request.", true},
	{3270, SeverityError, "Missing posting account", false, "QuickBooks needs an account to post this transaction or line to.", "Give the transaction or its item an account (for example the item's income or expense account) and send it again.", true},
	{3391, SeverityError, "Iterator not found", false, "QuickBooks no longer holds the query this page belonged to (it expired or QuickBooks closed).", "Start the query again from its first page; syncs do so by themselves.", true},
}

// Status returns the table entry for code. Codes missing from the table get
// the severity and meaning of their range (0–499 Info, 500–999 Warn, 1000
// and above Error) and Known false.
func Status(code int) StatusInfo {
	i := sort.Search(len(statusTable), func(i int) bool { return statusTable[i].Code >= code })
	if i < len(statusTable) && statusTable[i].Code == code {
		return statusTable[i]
	}
	s := StatusInfo{Code: code}
	switch {
	case code >= 0 && code < 500:
		s.Severity, s.Meaning, s.UserMessage = SeverityInfo, "Processed", "Done."
	case code >= 500 && code < 1000:
		s.Severity, s.Meaning, s.UserMessage = SeverityWarn, "Processed; results may not match expectations", "QuickBooks processed the request with a warning."
	case code >= 2000 && code < 3000:
		s.Severity, s.Meaning, s.UserMessage = SeverityError, "Not supported for QuickBooks Desktop", "QuickBooks Desktop does not support this request."
		s.Resolution = "Use another request."
	case code >= 3000 && code < 3100:
		s.Severity, s.Meaning, s.UserMessage = SeverityError, "Format error", "QuickBooks could not read a value in the request."
		s.Resolution = "Read QuickBooks' reason in the message, correct the value, and send the request again."
	case code >= 9100 && code < 9200:
		s.Severity, s.Meaning, s.UserMessage = SeverityError, "Macro error", "A macro reference in the request is invalid."
		s.Resolution = "Define the macro (defMacro) in an earlier request of the same message set, or refer to the record by its ID."
	default:
		s.Severity, s.Meaning, s.UserMessage = SeverityError, "Error", "QuickBooks could not process the request."
		s.Resolution = "Read QuickBooks' reason in the message, correct the request, and send it again."
	}
	return s
}

// StatusOf is Status for a response that carries QuickBooks' message.
// 3170, "There was an error when modifying", is the code of two kinds of
// refusal: a record or list another user holds, which the same request may
// pass a moment later, and a change QuickBooks refuses for good, its reason
// in the message. Only the first is retryable: consolibyte's QuickBooks PHP
// framework retries 3170, 3175, 3176 and 3180 only when the message says
// the list "has been modified by another user", its internals "could not be
// locked", it "failed to acquire the lock" or the "list element is in use"
// (shared/reference/intuit-sdk.md, S-CONSOLIBYTE); a 3170 whose message
// names none of these is the refusal. "The list element is in use" is a
// lock: a Conductor client saw it live when two requests changed the same
// customer seconds apart ("...because it is already in use. QuickBooks
// error message: The list element is in use.", index file 61808059188), and
// Arahant's QuickBooks sync reads it as a record open in QuickBooks (index
// file 8639647); no source shows it for a list element that transactions
// use, which QuickBooks refuses to delete with 3160 (QuBe Sync's
// "cannot_delete"). 3180, "There was an error when saving", carries the
// same lock message when another user changed the list ("There was an error
// when saving a Customers list. QuickBooks error message: This list has been
// modified by another user.", a QuickBooks client's status enum, index file
// 32159111309); that 3180 is retryable, any other is not.
func StatusOf(code int, message string) StatusInfo {
	s := Status(code)
	switch {
	case code == 3170 && !lockMessage(message):
		s.Meaning = "Error when modifying or deleting (refused)"
		s.Retryable = false
		s.UserMessage = "QuickBooks refused to change or delete the record; its message says why (for example, other transactions use it)."
		s.Resolution = "Read QuickBooks' reason in the message, change what depends on the record in QuickBooks, then send the request again."
	case code == 3180 && lockMessage(message):
		held := Status(3170)
		s.Meaning = "Error when saving (list modified by another user)"
		s.Retryable = true
		s.UserMessage, s.Resolution = held.UserMessage, held.Resolution
	}
	return s
}

// lockMessage reports whether a 3170 or 3180 message says another user
// holds the record or list (StatusOf).
func lockMessage(m string) bool {
	m = strings.ToLower(m)
	for _, phrase := range []string{"has been modified by another user", "could not be locked", "failed to acquire the lock", "list element is in use"} {
		if strings.Contains(m, phrase) {
			return true
		}
	}
	return false
}

// StatusCodes returns every code of the table in ascending order.
func StatusCodes() []StatusInfo { return append([]StatusInfo(nil), statusTable[:]...) }

// StatusError is a response whose severity is Error, as an error value.
type StatusError struct {
	// Response is the response's status.
	Response Response
	StatusInfo
}

// Error describes the response and its status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("qbxml: %s %s: status %d (%s): %s", e.Response.Name, e.Response.RequestID, e.Response.StatusCode, e.Response.StatusSeverity, e.Response.StatusMessage)
}

// Err returns a *StatusError when the response's severity is Error, else nil.
func (r *Response) Err() error {
	if r.StatusSeverity == string(SeverityError) || (r.StatusSeverity == "" && Status(r.StatusCode).Severity == SeverityError) {
		return &StatusError{Response: *r, StatusInfo: StatusOf(r.StatusCode, r.StatusMessage)}
	}
	return nil
}
