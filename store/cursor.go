package store

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// Cursors are opaque to clients: base64 of the position of the last row of
// the previous page.

func seqCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

func parseSeqCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var seq int64
		if seq, err = strconv.ParseInt(string(b), 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, qbconnect.Errorf(qbconnect.EInvalid, "invalid cursor %q", c)
}

func timeIDCursor(t int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t, 10) + ":" + id))
}

func parseTimeIDCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if ts, id, ok := strings.Cut(string(b), ":"); ok {
			if t, err := strconv.ParseInt(ts, 10, 64); err == nil {
				return t, id, nil
			}
		}
	}
	return 0, "", qbconnect.Errorf(qbconnect.EInvalid, "invalid cursor %q", c)
}

// pageLimit applies the default of 100 and the maximum of 1000.
func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > 1000:
		return 0, qbconnect.Errorf(qbconnect.EInvalid, "limit %d: want 1 to 1000", n)
	}
	return n, nil
}
