package control

import (
	"sort"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
)

// Text that reaches the store must be text both databases hold alike:
// PostgreSQL refuses NUL and invalid UTF-8, SQLite stores them. The Plane
// refuses them first, with EInvalid, in every field of the connector
// protocol it stores; the REST API checks its own fields with the same
// functions.

// CheckTexts refuses NUL and invalid UTF-8 in the named fields (messages,
// which may hold line breaks), naming the first bad field in sorted order.
func CheckTexts(fields map[string]string) error { return checkFields(fields, false) }

// CheckNames refuses NUL, invalid UTF-8 and control characters (line
// breaks and tabs included) in the named fields: names, paths and IDs that
// are shown on one line and compared.
func CheckNames(fields map[string]string) error { return checkFields(fields, true) }

func checkFields(fields map[string]string, noControl bool) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := CheckText(name, fields[name], noControl); err != nil {
			return err
		}
	}
	return nil
}

// CheckText refuses NUL and invalid UTF-8 in v, and control characters
// too when noControl is set; name names the field in the error.
func CheckText(name, v string, noControl bool) error {
	if !utf8.ValidString(v) {
		return qbconnect.Errorf(qbconnect.EInvalid, "%s is not valid UTF-8 text", name)
	}
	for _, c := range v {
		switch {
		case c == 0:
			return qbconnect.Errorf(qbconnect.EInvalid, "%s contains a NUL character", name)
		case noControl && (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0):
			return qbconnect.Errorf(qbconnect.EInvalid, "%s contains the control character %U", name, c)
		}
	}
	return nil
}
