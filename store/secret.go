package store

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so codes read
// aloud or typed by hand are unambiguous.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// randomString returns n characters of Crockford base32 from the DB's random
// source (5 bits each).
func (db *DB) randomString(n int) (string, error) {
	buf := make([]byte, n)
	db.randMu.Lock()
	_, err := io.ReadFull(db.opts.Rand, buf)
	db.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	for i, b := range buf {
		buf[i] = crockford[b&31]
	}
	return string(buf), nil
}

// newID returns a prefixed random ID such as "cmp_4k2x9q7m1t3v5b8n" (80 bits).
func (db *DB) newID(prefix string) (string, error) {
	s, err := db.randomString(16)
	if err != nil {
		return "", err
	}
	return prefix + "_" + strings.ToLower(s), nil
}

// newSecret returns a prefixed secret of 160 random bits.
func (db *DB) newSecret(prefix string) (string, error) {
	s, err := db.randomString(32)
	if err != nil {
		return "", err
	}
	return prefix + strings.ToLower(s), nil
}

// hashSecret is how secrets are stored: they are random and long, so a fast
// hash is enough.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newLinkCode returns a code such as "7KQ2-M9XD": 8 Crockford characters, 40
// bits, grouped for reading aloud.
func (db *DB) newLinkCode() (string, error) {
	s, err := db.randomString(8)
	if err != nil {
		return "", err
	}
	return s[:4] + "-" + s[4:], nil
}

// normalizeLinkCode accepts what a person types: any case, spaces or dashes,
// and the letters Crockford maps to digits (O to 0, I and L to 1).
func normalizeLinkCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:]
}
