package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadCertificates reads the X.509 certificates in a file: PEM with one or
// more CERTIFICATE blocks (other blocks are skipped), or a single DER
// certificate. A file with no certificate is an error.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: reading certificates: %w", err)
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", path, err)
	}
	return certs, nil
}

// ParseCertificates parses PEM (one or more CERTIFICATE blocks) or DER
// certificate data. Data with no certificate is an error.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("not a PEM or DER certificate: %w", err)
		}
		if len(certs) == 0 {
			return nil, errors.New("no certificate found")
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE block found")
	}
	return certs, nil
}

// LoadCertPool reads a file of certificates (see [LoadCertificates]) into a
// new pool, typically the trusted roots of a [Verifier].
func LoadCertPool(path string) (*x509.CertPool, error) {
	certs, err := LoadCertificates(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// LoadPrivateKey reads an unencrypted PEM private key: PKCS#1 ("RSA PRIVATE
// KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") holding an RSA,
// ECDSA or Ed25519 key. Encrypted keys are refused with a clear error.
func LoadPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: reading private key: %w", err)
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", path, err)
	}
	return key, nil
}

// ParsePrivateKey parses PEM private key data; see [LoadPrivateKey].
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
			return nil, errors.New("encrypted private keys are not supported: decrypt it first (openssl pkey -in KEY -out PLAIN)")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("unsupported private key type %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("unsupported private key algorithm %T", key)
		}
	}
}

// LoadCRL reads a certificate revocation list, PEM ("X509 CRL") or DER.
// Its signature is checked against the issuing certificate during
// verification, not here.
func LoadCRL(path string) (*x509.RevocationList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: reading CRL: %w", err)
	}
	der := data
	if bytes.Contains(data, []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "X509 CRL" {
			return nil, fmt.Errorf("signing: %s: no X509 CRL PEM block", path)
		}
		der = block.Bytes
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: parsing CRL: %w", path, err)
	}
	return crl, nil
}

// Thumbprint returns the SHA-1 hash of a certificate's DER encoding in
// upper-case hex without separators, the "thumbprint" that Windows shows
// and that certutil and PowerShell print.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Fingerprint256 returns the SHA-256 hash of a certificate's DER encoding in
// upper-case hex without separators.
func Fingerprint256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// normalizeHex upper-cases a hex string and drops the separators people
// paste along with thumbprints (spaces and colons).
func normalizeHex(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "", ":", "").Replace(s)
}

// serialHex formats a certificate serial number as upper-case hex with an
// even number of digits, as certificate viewers show it.
func serialHex(cert *x509.Certificate) string {
	if cert.SerialNumber == nil {
		return ""
	}
	s := strings.ToUpper(cert.SerialNumber.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// LoadKeyPair reads a certificate and its private key from PEM files:
// certFile holds the certificate (extra certificates in it are returned as
// chain), keyFile its private key, and chainFile, which may be "",
// intermediate certificates appended to chain. The certificate that
// matches the key is returned as cert, wherever it is in certFile.
func LoadKeyPair(certFile, keyFile, chainFile string) (cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate, err error) {
	certs, err := LoadCertificates(certFile)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err = LoadPrivateKey(keyFile)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, c := range certs {
		if cert == nil && samePublicKey(c.PublicKey, key.Public()) {
			cert = c
			continue
		}
		chain = append(chain, c)
	}
	if cert == nil {
		return nil, nil, nil, fmt.Errorf("signing: no certificate in %s matches the private key in %s", certFile, keyFile)
	}
	if chainFile != "" {
		more, err := LoadCertificates(chainFile)
		if err != nil {
			return nil, nil, nil, err
		}
		chain = append(chain, more...)
	}
	return cert, key, chain, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
