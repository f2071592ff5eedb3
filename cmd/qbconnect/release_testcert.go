package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/signing"
)

// The files `release testcert` writes into its folder.
const (
	testCertCA   = "ca.pem"   // the test root: --roots of verify, publish, qbdsim serve; the connector's pinned roots
	testCertCert = "cert.pem" // the code-signing certificate: --cert of sign
	testCertKey  = "key.pem"  // its private key: --key of sign
)

// releaseTestCertCmd returns `qbconnect release testcert`: a throw-away
// root CA and a code-signing certificate it issued, so that the signing,
// publishing and self-update paths can be tried without buying a
// certificate. Nothing outside the folder trusts them.
func releaseTestCertCmd(env releaseEnv) *cobra.Command {
	var dir, name string
	var days int
	var force bool
	cmd := &cobra.Command{
		Use:   "testcert [--dir DIR] [--name NAME] [--days N]",
		Short: "Make a test root CA and a code-signing certificate it issued, for trying releases",
		Long: "Write into DIR a new root CA (" + testCertCA + "), a code-signing certificate it issued (" + testCertCert + ")\n" +
			"and that certificate's private key (" + testCertKey + ", readable by you only). They are for tests and\n" +
			"staging: pass " + testCertCert + " and " + testCertKey + " to `release sign`, " + testCertCA + " as --roots to `release verify`,\n" +
			"`release publish` and `qbdsim serve`, and install " + testCertCA + " beside a connector as its publisher\n" +
			"roots (qbconnector.exe.roots.pem on Windows). To rehearse a certificate rotation, make a second\n" +
			"pair in another folder and add its " + testCertCA + " to the roots files. Existing files are never\n" +
			"replaced unless --force.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days <= 0 {
				return fmt.Errorf("release testcert: --days must be at least 1, not %d", days)
			}
			if name == "" {
				return errors.New("release testcert: --name must not be empty")
			}
			paths := []string{filepath.Join(dir, testCertCA), filepath.Join(dir, testCertCert), filepath.Join(dir, testCertKey)}
			if !force {
				for _, p := range paths {
					if _, err := os.Stat(p); err == nil {
						return fmt.Errorf("release testcert: %s exists; use another --dir, or --force to replace it", p)
					} else if !errors.Is(err, fs.ErrNotExist) {
						return fmt.Errorf("release testcert: %w", err)
					}
				}
			}
			files, leaf, err := makeTestCert(name, env.now(), time.Duration(days)*24*time.Hour)
			if err != nil {
				return fmt.Errorf("release testcert: %w", err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("release testcert: %w", err)
			}
			for i, p := range paths {
				mode := os.FileMode(0o644)
				if i == 2 {
					mode = 0o600
				}
				if err := os.WriteFile(p, files[i], mode); err != nil {
					return fmt.Errorf("release testcert: %w", err)
				}
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "test root CA         %s\n", paths[0])
			fmt.Fprintf(w, "signing certificate  %s (%s, thumbprint %s, valid until %s)\n", paths[1],
				leaf.Subject.CommonName, signing.Thumbprint(leaf), leaf.NotAfter.UTC().Format(time.DateOnly))
			fmt.Fprintf(w, "private key          %s\n", paths[2])
			fmt.Fprintf(w, "Sign with: qbconnect release sign --cert %s --key %s FILE...\n", paths[1], paths[2])
			fmt.Fprintf(w, "Trust with: --roots %s (release verify, release publish, qbdsim serve)\n", paths[0])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "test-signing", "folder to write "+testCertCA+", "+testCertCert+" and "+testCertKey+" into")
	f.StringVar(&name, "name", "qbconnect Test Code Signing", "common name of the code-signing certificate")
	f.IntVar(&days, "days", 365, "days the certificate is valid from now")
	f.BoolVar(&force, "force", false, "replace the files if they exist")
	return cmd
}

// makeTestCert returns the PEM of a new root CA, of a code-signing
// certificate for name that it issued, valid from now for validFor, and of
// that certificate's key, with the parsed certificate. RSA keys, because
// every Authenticode verifier accepts them.
func makeTestCert(name string, now time.Time, validFor time.Duration) (files [3][]byte, leaf *x509.Certificate, err error) {
	serial := func() (*big.Int, error) { return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) }
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return files, nil, err
	}
	caSerial, err := serial()
	if err != nil {
		return files, nil, err
	}
	// The root outlives the certificate, as a real CA's does.
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: name + " Test Root CA", Organization: []string{"qbconnect test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor + 365*24*time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return files, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return files, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return files, nil, err
	}
	leafSerial, err := serial()
	if err != nil {
		return files, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          leafSerial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"qbconnect test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return files, nil, err
	}
	if leaf, err = x509.ParseCertificate(der); err != nil {
		return files, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return files, nil, err
	}
	files[0] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files[1] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	files[2] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return files, leaf, nil
}
