package signingtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/signing"
)

// TSA is a time-stamping authority on loopback for a test.
type TSA struct {
	// URL is where signers send RFC 3161 requests (Signer.TimestampURL,
	// `release sign --timestamp-url`, `osslsigncode sign -ts`).
	URL string
	// Leaf is the authority's certificate and key, issued by the CA given
	// to StartTSA.
	Leaf *Leaf
	// Authority is the running authority; tests may set its Now before
	// use to stamp another time.
	Authority *signing.TimestampAuthority
}

// StartTSA issues a time-stamping certificate from ca and serves an RFC
// 3161 authority with it on 127.0.0.1 until the test ends. now gives the
// stamped time; nil means time.Now.
func StartTSA(tb testing.TB, ca *CA, now func() time.Time) *TSA {
	tb.Helper()
	leaf := ca.Issue(tb, "qbconnect Test Timestamp Authority", Opts{TimeStamping: true,
		NotBefore: ca.now().Add(-5 * 365 * 24 * time.Hour), NotAfter: ca.now().Add(5 * 365 * 24 * time.Hour)})
	auth := &signing.TimestampAuthority{Certificate: leaf.Cert, Key: leaf.Key, Now: now}
	for c := ca; c != nil; c = c.Parent {
		auth.Chain = append(auth.Chain, c.Cert)
	}
	srv := httptest.NewServer(auth)
	tb.Cleanup(srv.Close)
	return &TSA{URL: srv.URL, Leaf: leaf, Authority: auth}
}
