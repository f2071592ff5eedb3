package qbxml

import "testing"

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
