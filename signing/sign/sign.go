// Package sign signs files with a code-signing certificate: Authenticode
// for PE images and MSI packages, detached PKCS#7 for anything else, each
// optionally timestamped by an RFC 3161 authority.
//
// It is apart from package signing, which verifies, because signing goes
// through relic's lib/authenticode, and that package links relic's
// certificate loader (OpenPGP, the OS keyring, D-Bus). The connector only
// verifies, so it imports signing and never this package; the release
// tooling (qbconnect release), the demo and test helpers import both.
// sign imports signing and relic, nothing else of qbconnect.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/certloader"
	"github.com/sassoftware/relic/v8/lib/comdoc"
	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
)

// Signer signs files with one code-signing certificate and its key.
// A Signer is safe for concurrent use once configured.
type Signer struct {
	// Certificate is the signer certificate; required. Its public key must
	// match Key.
	Certificate *x509.Certificate
	// Key is the private key of Certificate; required (RSA, ECDSA).
	Key crypto.Signer
	// Chain holds the intermediate certificates embedded in each signature
	// so that verifiers can build a path to their trusted root. Self-signed
	// (root) certificates in it are left out of signatures. May be empty.
	Chain []*x509.Certificate
	// Description is the program name stored in Authenticode signatures
	// (shown by Windows as the signed content's description). Optional.
	Description string
	// URL is the "more information" link stored in Authenticode
	// signatures. Optional.
	URL string
	// Now gives the signing time recorded in detached PKCS#7 signatures.
	// Nil means time.Now.
	Now func() time.Time
	// Logger receives one debug record per signed file. Nil discards.
	Logger *slog.Logger
	// TimestampURL, when set, is an RFC 3161 time-stamping authority asked
	// to countersign every signature: the Authenticode timestamp
	// (unsigned attribute 1.3.6.1.4.1.311.3.3.1, as signtool and
	// osslsigncode -ts write it) for PE and MSI files, the timestamp token
	// (1.2.840.113549.1.9.16.2.14) for detached signatures. A timestamped
	// signature keeps verifying after the certificate expires; one without
	// stops verifying then. Signing fails when the authority cannot be
	// reached, rather than silently producing an untimestamped signature.
	TimestampURL string
	// HTTPClient reaches the time-stamping authority. Nil means a client
	// with a one-minute timeout.
	HTTPClient *http.Client
}

func (s *Signer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Signer) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// relicCert validates the signer's configuration and adapts it to relic.
func (s *Signer) relicCert() (*certloader.Certificate, error) {
	if s.Certificate == nil || s.Key == nil {
		return nil, errors.New("sign: signer needs a certificate and a private key")
	}
	if !samePublicKey(s.Certificate.PublicKey, s.Key.Public()) {
		return nil, errors.New("sign: the private key does not match the signer certificate")
	}
	certs := append([]*x509.Certificate{s.Certificate}, s.Chain...)
	return &certloader.Certificate{Leaf: s.Certificate, Certificates: certs, PrivateKey: s.Key, Timestamper: s.timestamper()}, nil
}

// timestamper returns the client of TimestampURL, or nil (no timestamp).
// A nil interface, not a nil httpTimestamper, because relic tests for nil.
func (s *Signer) timestamper() pkcs9.Timestamper {
	if s.TimestampURL == "" {
		return nil
	}
	client := s.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	return httpTimestamper{url: s.TimestampURL, client: client}
}

// SignFile signs path according to its format: PE and MSI files get an
// embedded Authenticode signature (replacing any existing one), in place;
// any other file gets a detached signature in path+".p7s". It returns the
// kind of signature made and the path of the file that now holds it. On
// error the files on disk are unchanged.
func (s *Signer) SignFile(ctx context.Context, path string) (signing.Kind, string, error) {
	format, err := signing.DetectFormat(path)
	if err != nil {
		return "", "", err
	}
	switch format {
	case signing.FormatPE:
		return signing.KindAuthenticodePE, path, s.SignPE(ctx, path, path)
	case signing.FormatMSI:
		return signing.KindAuthenticodeMSI, path, s.SignMSI(ctx, path, path)
	default:
		sigPath := path + signing.DetachedSuffix
		return signing.KindPKCS7Detached, sigPath, s.SignDetached(ctx, path, sigPath)
	}
}

// SignPE writes to out a copy of the PE/COFF image in with an Authenticode
// SHA-256 signature (any existing signature is replaced) and a corrected
// PE checksum. out may equal in. The output is written to a temporary file
// and renamed into place, so a failure leaves out untouched.
func (s *Signer) SignPE(ctx context.Context, in, out string) error {
	cert, err := s.relicCert()
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	digest, err := authenticode.DigestPE(f, crypto.SHA256, false)
	if err != nil {
		return fmt.Errorf("sign: %s is not a valid PE image: %w", in, err)
	}
	patch, _, err := digest.Sign(ctx, cert, s.opus())
	if err != nil {
		return fmt.Errorf("sign: %s: %w", in, err)
	}
	tmp, err := tempPath(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	// Apply rewrites to a new file and renames it to tmp, because tmp is not
	// the input file; it also closes f.
	if err := patch.Apply(f, tmp); err != nil {
		return fmt.Errorf("sign: writing signed image: %w", err)
	}
	if err := finishPE(tmp, info.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	s.logger().Debug("signed PE", "file", out, "signer", s.Certificate.Subject.CommonName, "thumbprint", signing.Thumbprint(s.Certificate))
	return nil
}

func finishPE(path string, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer f.Close()
	if err := authenticode.FixPEChecksum(f); err != nil {
		return fmt.Errorf("sign: updating PE checksum: %w", err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return f.Close()
}

// SignMSI writes to out a copy of the Windows Installer package in with an
// Authenticode SHA-256 signature (DigitalSignature stream) and the extended
// metadata digest (MsiDigitalSignatureEx stream). out may equal in; a
// failure leaves out untouched.
func (s *Signer) SignMSI(ctx context.Context, in, out string) error {
	cert, err := s.relicCert()
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	cdf, err := comdoc.ReadFile(f)
	if err != nil {
		return fmt.Errorf("sign: %s is not a valid MSI (compound document): %w", in, err)
	}
	exsig, err := authenticode.PrehashMSI(cdf, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("sign: %s: %w", in, err)
	}
	imprint, _, err := authenticode.DigestMSI(cdf, crypto.SHA256, true)
	if err != nil {
		return fmt.Errorf("sign: %s: %w", in, err)
	}
	ts, err := authenticode.SignMSIImprint(ctx, imprint, crypto.SHA256, cert, s.opus())
	if err != nil {
		return fmt.Errorf("sign: %s: %w", in, err)
	}
	tmp, err := tempPath(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := copyFile(f, tmp, info.Mode().Perm()); err != nil {
		return err
	}
	w, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer w.Close()
	wdoc, err := comdoc.WriteFile(w)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := authenticode.InsertMSISignature(wdoc, ts.Raw, exsig); err != nil {
		return fmt.Errorf("sign: inserting MSI signature: %w", err)
	}
	if err := wdoc.Close(); err != nil {
		return fmt.Errorf("sign: writing MSI: %w", err)
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	s.logger().Debug("signed MSI", "file", out, "signer", s.Certificate.Subject.CommonName, "thumbprint", signing.Thumbprint(s.Certificate))
	return nil
}

// SignDetached writes a detached PKCS#7 (CMS SignedData, DER) signature of
// the file at path to sigPath. The signature carries the content type,
// the SHA-256 message digest and the signing time as signed attributes and
// embeds the signer certificate and chain. The content is streamed, so
// files of any size are fine. It verifies with
// `openssl cms -verify -binary -inform DER -in SIG -content FILE`.
func (s *Signer) SignDetached(ctx context.Context, path, sigPath string) error {
	cert, err := s.relicCert()
	if err != nil {
		return err
	}
	digest, err := signing.FileDigest(ctx, path, crypto.SHA256)
	if err != nil {
		return err
	}
	b := pkcs7.NewBuilder(cert.Signer(), cert.Chain(), crypto.SHA256)
	if err := b.SetDetachedContent(pkcs7.OidData, digest); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := b.AddAuthenticatedAttribute(pkcs7.OidAttributeSigningTime, s.now().UTC()); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	psd, err := b.Sign()
	if err != nil {
		return fmt.Errorf("sign: %s: %w", path, err)
	}
	if ts := cert.Timestamper; ts != nil {
		// relic's TimestampAndMarshal self-checks with the content in
		// memory, which a streamed detached signature does not have; the
		// token goes in the same unsigned attribute it would write.
		si := &psd.Content.SignerInfos[0]
		token, err := ts.Timestamp(ctx, &pkcs9.Request{EncryptedDigest: si.EncryptedDigest, Hash: crypto.SHA256})
		if err != nil {
			return fmt.Errorf("sign: %s: %w", path, err)
		}
		if err := pkcs9.AddStampToSignedData(si, *token); err != nil {
			return fmt.Errorf("sign: %s: %w", path, err)
		}
	}
	der, err := psd.Marshal()
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := writeFileAtomic(sigPath, der, 0o644); err != nil {
		return err
	}
	s.logger().Debug("signed detached", "file", path, "signature", sigPath, "signer", s.Certificate.Subject.CommonName)
	return nil
}

func (s *Signer) opus() *authenticode.OpusParams {
	return &authenticode.OpusParams{Description: s.Description, URL: s.URL}
}

// Load builds a Signer from PEM files as [signing.LoadKeyPair] reads
// them: certFile holds the signer certificate (and maybe its chain),
// keyFile its private key, chainFile, which may be "", intermediates.
func Load(certFile, keyFile, chainFile string) (*Signer, error) {
	cert, key, chain, err := signing.LoadKeyPair(certFile, keyFile, chainFile)
	if err != nil {
		return nil, err
	}
	return &Signer{Certificate: cert, Key: key, Chain: chain}, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// maxTimestampReply bounds a time-stamping authority's reply: a few
// kilobytes with certificates.
const maxTimestampReply = 1 << 20

// httpTimestamper asks one RFC 3161 authority over HTTP; it is the
// pkcs9.Timestamper relic's signing code calls after signing.
type httpTimestamper struct {
	url    string
	client *http.Client
}

// Timestamp implements pkcs9.Timestamper: the imprint is the hash of the
// signature value (EncryptedDigest), as Authenticode and CMS (RFC 3161
// appendix A) prescribe.
func (t httpTimestamper) Timestamp(ctx context.Context, req *pkcs9.Request) (*pkcs7.ContentInfoSignedData, error) {
	if req.Legacy {
		return nil, errors.New("sign: legacy Microsoft timestamps are not supported; use an RFC 3161 authority")
	}
	d := req.Hash.New()
	d.Write(req.EncryptedDigest)
	msg, httpReq, err := pkcs9.NewRequest(t.url, req.Hash, d.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("sign: timestamp request: %w", err)
	}
	resp, err := t.client.Do(httpReq.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("sign: timestamp authority %s: %w", t.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTimestampReply))
	if err != nil {
		return nil, fmt.Errorf("sign: timestamp authority %s: %w", t.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sign: timestamp authority %s answered %s: %s", t.url, resp.Status, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	token, err := msg.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("sign: timestamp authority %s: %w", t.url, err)
	}
	return token, nil
}

// tempPath reserves a temporary file name in the directory of path, so that
// the final rename is atomic.
func tempPath(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".sign-*")
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	name := f.Name()
	f.Close()
	return name, nil
}

func copyFile(src *os.File, dst string, perm os.FileMode) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, perm)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return fmt.Errorf("sign: copying: %w", err)
	}
	if err := w.Chmod(perm); err != nil {
		w.Close()
		return fmt.Errorf("sign: %w", err)
	}
	return w.Close()
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := tempPath(path)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}
