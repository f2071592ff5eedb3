package store

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
)

// checkText refuses text that PostgreSQL cannot store in a TEXT column (NUL,
// invalid UTF-8) with EInvalid naming the field, so that both databases
// answer such input alike, before anything is written, instead of
// PostgreSQL failing the statement half-way through a change.
func checkText(fields map[string]string) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := fields[name]
		switch {
		case !utf8.ValidString(v):
			return qbconnect.Errorf(qbconnect.EInvalid, "%s is not valid UTF-8 text", name)
		case strings.IndexByte(v, 0) >= 0:
			return qbconnect.Errorf(qbconnect.EInvalid, "%s contains a NUL character", name)
		}
	}
	return nil
}
