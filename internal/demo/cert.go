package demo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/qbconnect/qbconnect/signing/sign"
)

// demoCA is the demo's certificate authority: the simulator trusts it as
// Windows would trust a public code-signing CA.
type demoCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	// rootPath is the CA certificate as PEM, for `qbdsim serve --roots`.
	rootPath string
	rand     io.Reader
	now      func() time.Time
}

// newDemoCA creates a root CA valid for a year and writes it to dir.
func newDemoCA(dir string, rand io.Reader, now func() time.Time) (*demoCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, err
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(t.UnixNano()),
		Subject:               pkix.Name{CommonName: "qbconnect Demo Root CA", Organization: []string{"qbconnect demo"}},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("demo CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &demoCA{cert: cert, key: key, rootPath: filepath.Join(dir, "demo-root.pem"), rand: rand, now: now}
	if err := os.WriteFile(ca.rootPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// pool returns the CA as the only trusted root.
func (ca *demoCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// signer issues a code-signing certificate for commonName, valid from
// notBefore for validFor, and returns a Signer with it.
func (ca *demoCA) signer(commonName string, serial int64, notBefore time.Time, validFor time.Duration) (*sign.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), ca.rand)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"qbconnect demo"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(ca.rand, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("demo certificate %s: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &sign.Signer{Certificate: cert, Key: key, Description: "qbconnect connector (demo)", Now: ca.now}, nil
}
