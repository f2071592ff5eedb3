// Package signingtest creates what tests of code signing need: certificate
// authorities, code-signing certificates in every state a verifier must
// tell apart (valid, expired, not yet valid, revoked, from an untrusted CA),
// PEM files for the command line, and small Windows executables and MSI
// packages to sign.
//
// Everything is written under tb.TempDir() and removed with the test. It is
// for tests only; production code must not import it.
//
//	ca := signingtest.NewCA(t, "Test Root")
//	leaf := ca.Issue(t, "qbconnect Code Signing A", signingtest.Opts{})
//	exe := leaf.Sign(t, signingtest.TinyPE(t))      // or leaf.Signer().SignPE(ctx, exe, exe)
//	sig, err := ca.Verifier(t).VerifyFile(ctx, exe) // sig.Verdict == signing.Valid
//	sig.Identity.Same(leaf.Identity())              // true
package signingtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
)

// CA is a test certificate authority: a root (NewCA) or an intermediate
// (CA.Intermediate). Its methods are safe for concurrent use.
type CA struct {
	// Name is the CA's common name.
	Name string
	// Cert and Key are the CA certificate and its private key.
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertPath is a PEM file holding Cert.
	CertPath string
	// Parent is the issuing CA of an intermediate; nil for a root.
	Parent *CA

	dir string
	now func() time.Time

	mu      sync.Mutex
	revoked []x509.RevocationListEntry
}

// NewCA creates a self-signed root CA with an RSA 2048 key, valid from ten
// years ago to ten years ahead so that it never limits the validity of
// the certificates it issues.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	return newCA(tb, name, nil, time.Now)
}

// Intermediate creates a CA certificate issued by ca.
func (ca *CA) Intermediate(tb testing.TB, name string) *CA {
	tb.Helper()
	return newCA(tb, name, ca, ca.now)
}

func newCA(tb testing.TB, name string, parent *CA, now func() time.Time) *CA {
	tb.Helper()
	key := newKey(tb, false)
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(tb),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"qbconnect tests"}},
		NotBefore:             t.Add(-10 * 365 * 24 * time.Hour),
		NotAfter:              t.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.Cert, parent.Key
	}
	cert := createCert(tb, tmpl, issuer, key.Public(), issuerKey)
	dir := tb.TempDir()
	ca := &CA{Name: name, Cert: cert, Key: key, Parent: parent, dir: dir, now: now}
	ca.CertPath = filepath.Join(dir, fileName(name)+".crt")
	writePEM(tb, ca.CertPath, "CERTIFICATE", cert.Raw)
	return ca
}

// Root returns the root CA at the top of ca's hierarchy.
func (ca *CA) Root() *CA {
	for ca.Parent != nil {
		ca = ca.Parent
	}
	return ca
}

// Pool returns a new pool holding the root certificate of ca's hierarchy:
// the trusted roots for a signing.Verifier.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root().Cert)
	return pool
}

// RootPath returns the PEM file of the root certificate, for
// `osslsigncode verify -CAfile` and `qbconnect release verify --roots`.
func (ca *CA) RootPath() string { return ca.Root().CertPath }

// Verifier returns a verifier that trusts ca's root and honours the CRLs of
// every CA from ca up to its root, at the current time.
func (ca *CA) Verifier(tb testing.TB) *signing.Verifier {
	tb.Helper()
	v := &signing.Verifier{Roots: ca.Pool()}
	for c := ca; c != nil; c = c.Parent {
		v.CRLs = append(v.CRLs, c.CRL(tb))
	}
	return v
}

// Opts selects the kind of leaf certificate Issue creates. The zero value
// is a valid RSA 2048 code-signing certificate, from one hour ago to one
// year ahead.
type Opts struct {
	// Expired makes the certificate valid from two years ago until one day
	// ago.
	Expired bool
	// NotYetValid makes the certificate valid from one day ahead.
	NotYetValid bool
	// NotBefore and NotAfter, when set, override the validity window.
	NotBefore, NotAfter time.Time
	// Revoked puts the certificate on its CA's revocation list (see CRL).
	Revoked bool
	// ECDSA uses a P-256 key instead of RSA 2048.
	ECDSA bool
	// NoCodeSigning gives the certificate the TLS server usage instead of
	// code signing, which verifiers must not accept for code.
	NoCodeSigning bool
	// Organization is the subject's O; default "qbconnect tests".
	Organization string
	// TimeStamping makes a time-stamping authority's certificate instead of
	// a code-signing one: the time-stamping extended key usage, alone and
	// critical, as OpenSSL and Windows require of an RFC 3161 authority.
	TimeStamping bool
}

// Leaf is a code-signing certificate with its key, both in memory and as
// PEM files.
type Leaf struct {
	// Cert and Key are the certificate and its private key.
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertPath, KeyPath (PKCS#8) and ChainPath are PEM files. ChainPath
	// holds the CA certificates from the issuer up to and including the
	// root, for `--chain`.
	CertPath, KeyPath, ChainPath string
	// CA is the issuing CA.
	CA *CA
}

// Issue creates a code-signing certificate for commonName, issued by ca.
func (ca *CA) Issue(tb testing.TB, commonName string, opts Opts) *Leaf {
	tb.Helper()
	t := ca.now()
	notBefore, notAfter := t.Add(-time.Hour), t.Add(365*24*time.Hour)
	switch {
	case opts.Expired:
		notBefore, notAfter = t.Add(-2*365*24*time.Hour), t.Add(-24*time.Hour)
	case opts.NotYetValid:
		notBefore, notAfter = t.Add(24*time.Hour), t.Add(366*24*time.Hour)
	}
	if !opts.NotBefore.IsZero() {
		notBefore = opts.NotBefore
	}
	if !opts.NotAfter.IsZero() {
		notAfter = opts.NotAfter
	}
	org := opts.Organization
	if org == "" {
		org = "qbconnect tests"
	}
	usage := x509.ExtKeyUsageCodeSigning
	if opts.NoCodeSigning {
		usage = x509.ExtKeyUsageServerAuth
	}
	key := newKey(tb, opts.ECDSA)
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(tb),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{org}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true,
	}
	if opts.TimeStamping {
		// Go writes the usage extension non-critical; OpenSSL refuses an
		// authority whose usage is not critical, so it is written by hand.
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			tb.Fatalf("signingtest: %v", err)
		}
		tmpl.ExtKeyUsage = nil
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}
	}
	cert := createCert(tb, tmpl, ca.Cert, key.Public(), ca.Key)
	dir := tb.TempDir()
	base := filepath.Join(dir, fileName(commonName))
	leaf := &Leaf{Cert: cert, Key: key, CA: ca, CertPath: base + ".crt", KeyPath: base + ".key", ChainPath: base + ".chain.pem"}
	writePEM(tb, leaf.CertPath, "CERTIFICATE", cert.Raw)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("signingtest: marshalling key: %v", err)
	}
	writePEM(tb, leaf.KeyPath, "PRIVATE KEY", der)
	var chain []byte
	for c := ca; c != nil; c = c.Parent {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})...)
	}
	if err := os.WriteFile(leaf.ChainPath, chain, 0o644); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	if opts.Revoked {
		ca.Revoke(leaf.Cert)
	}
	return leaf
}

// Revoke adds a certificate issued by ca to ca's revocation list.
func (ca *CA) Revoke(cert *x509.Certificate) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.revoked = append(ca.revoked, x509.RevocationListEntry{
		SerialNumber:   cert.SerialNumber,
		RevocationTime: ca.now().Add(-time.Minute),
	})
}

// CRL returns ca's current revocation list, signed by ca.
func (ca *CA) CRL(tb testing.TB) *x509.RevocationList {
	tb.Helper()
	crl, err := x509.ParseRevocationList(ca.crlDER(tb))
	if err != nil {
		tb.Fatalf("signingtest: parsing CRL: %v", err)
	}
	return crl
}

// CRLPath writes ca's current revocation list as a PEM file and returns its
// path, for `qbconnect release verify --crl`.
func (ca *CA) CRLPath(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fileName(ca.Name)+".crl")
	writePEM(tb, path, "X509 CRL", ca.crlDER(tb))
	return path
}

func (ca *CA) crlDER(tb testing.TB) []byte {
	tb.Helper()
	ca.mu.Lock()
	entries := append([]x509.RevocationListEntry(nil), ca.revoked...)
	number := big.NewInt(int64(len(entries) + 1))
	ca.mu.Unlock()
	t := ca.now()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                t.Add(-time.Hour),
		NextUpdate:                t.Add(7 * 24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, ca.Cert, ca.Key)
	if err != nil {
		tb.Fatalf("signingtest: creating CRL: %v", err)
	}
	return der
}

// Signer returns a signer for the leaf, with its CA chain.
func (l *Leaf) Signer() *sign.Signer {
	s := &sign.Signer{Certificate: l.Cert, Key: l.Key}
	for c := l.CA; c != nil; c = c.Parent {
		s.Chain = append(s.Chain, c.Cert)
	}
	return s
}

// Sign signs the file at path with the leaf (see sign.Signer.SignFile:
// PE and MSI in place, others into path+".p7s") and fails the test on
// error. It returns path, for chaining: leaf.Sign(t, signingtest.TinyPE(t)).
func (l *Leaf) Sign(tb testing.TB, path string) string {
	tb.Helper()
	if _, _, err := l.Signer().SignFile(context.Background(), path); err != nil {
		tb.Fatalf("signingtest: signing %s: %v", path, err)
	}
	return path
}

// Identity returns the signing identity the leaf gives to what it signs.
func (l *Leaf) Identity() signing.Identity { return signing.IdentityOf(l.Cert) }

// Thumbprint returns the leaf's SHA-1 thumbprint as Windows shows it.
func (l *Leaf) Thumbprint() string { return signing.Thumbprint(l.Cert) }

func newKey(tb testing.TB, ec bool) crypto.Signer {
	tb.Helper()
	var key crypto.Signer
	var err error
	if ec {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		tb.Fatalf("signingtest: generating key: %v", err)
	}
	return key
}

func newSerial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("signingtest: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1))
}

func createCert(tb testing.TB, tmpl, issuer *x509.Certificate, pub crypto.PublicKey, issuerKey crypto.Signer) *x509.Certificate {
	tb.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, pub, issuerKey)
	if err != nil {
		tb.Fatalf("signingtest: creating certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	return cert
}

func writePEM(tb testing.TB, path, typ string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
}

func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
	if name == "" {
		return "cert"
	}
	return name
}
