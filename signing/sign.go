package signing

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

// LoadSigner builds a Signer from PEM files: certFile holds the signer
// certificate (extra certificates in it are used as chain), keyFile its
// private key, and chainFile, which may be "", intermediate certificates.
// The certificate that matches the key is the signer, wherever it is in
// certFile.
func LoadSigner(certFile, keyFile, chainFile string) (*Signer, error) {
	certs, err := LoadCertificates(certFile)
	if err != nil {
		return nil, err
	}
	key, err := LoadPrivateKey(keyFile)
	if err != nil {
		return nil, err
	}
	s := &Signer{Key: key}
	for _, c := range certs {
		if s.Certificate == nil && samePublicKey(c.PublicKey, key.Public()) {
			s.Certificate = c
			continue
		}
		s.Chain = append(s.Chain, c)
	}
	if s.Certificate == nil {
		return nil, fmt.Errorf("signing: no certificate in %s matches the private key in %s", certFile, keyFile)
	}
	if chainFile != "" {
		chain, err := LoadCertificates(chainFile)
		if err != nil {
			return nil, err
		}
		s.Chain = append(s.Chain, chain...)
	}
	return s, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
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
		return nil, errors.New("signing: signer needs a certificate and a private key")
	}
	if !samePublicKey(s.Certificate.PublicKey, s.Key.Public()) {
		return nil, errors.New("signing: the private key does not match the signer certificate")
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
func (s *Signer) SignFile(ctx context.Context, path string) (Kind, string, error) {
	format, err := DetectFormat(path)
	if err != nil {
		return "", "", err
	}
	switch format {
	case FormatPE:
		return KindAuthenticodePE, path, s.SignPE(ctx, path, path)
	case FormatMSI:
		return KindAuthenticodeMSI, path, s.SignMSI(ctx, path, path)
	default:
		sigPath := path + DetachedSuffix
		return KindPKCS7Detached, sigPath, s.SignDetached(ctx, path, sigPath)
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
		return fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	digest, err := authenticode.DigestPE(f, crypto.SHA256, false)
	if err != nil {
		return fmt.Errorf("signing: %s is not a valid PE image: %w", in, err)
	}
	patch, _, err := digest.Sign(ctx, cert, s.opus())
	if err != nil {
		return fmt.Errorf("signing: %s: %w", in, err)
	}
	tmp, err := tempPath(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	// Apply rewrites to a new file and renames it to tmp, because tmp is not
	// the input file; it also closes f.
	if err := patch.Apply(f, tmp); err != nil {
		return fmt.Errorf("signing: writing signed image: %w", err)
	}
	if err := finishPE(tmp, info.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	s.logger().Debug("signed PE", "file", out, "signer", s.Certificate.Subject.CommonName, "thumbprint", Thumbprint(s.Certificate))
	return nil
}

func finishPE(path string, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	if err := authenticode.FixPEChecksum(f); err != nil {
		return fmt.Errorf("signing: updating PE checksum: %w", err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("signing: %w", err)
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
		return fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	cdf, err := comdoc.ReadFile(f)
	if err != nil {
		return fmt.Errorf("signing: %s is not a valid MSI (compound document): %w", in, err)
	}
	exsig, err := authenticode.PrehashMSI(cdf, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("signing: %s: %w", in, err)
	}
	imprint, _, err := authenticode.DigestMSI(cdf, crypto.SHA256, true)
	if err != nil {
		return fmt.Errorf("signing: %s: %w", in, err)
	}
	ts, err := authenticode.SignMSIImprint(ctx, imprint, crypto.SHA256, cert, s.opus())
	if err != nil {
		return fmt.Errorf("signing: %s: %w", in, err)
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
		return fmt.Errorf("signing: %w", err)
	}
	defer w.Close()
	wdoc, err := comdoc.WriteFile(w)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := authenticode.InsertMSISignature(wdoc, ts.Raw, exsig); err != nil {
		return fmt.Errorf("signing: inserting MSI signature: %w", err)
	}
	if err := wdoc.Close(); err != nil {
		return fmt.Errorf("signing: writing MSI: %w", err)
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	s.logger().Debug("signed MSI", "file", out, "signer", s.Certificate.Subject.CommonName, "thumbprint", Thumbprint(s.Certificate))
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
	digest, err := fileDigest(ctx, path, crypto.SHA256)
	if err != nil {
		return err
	}
	b := pkcs7.NewBuilder(cert.Signer(), cert.Chain(), crypto.SHA256)
	if err := b.SetDetachedContent(pkcs7.OidData, digest); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := b.AddAuthenticatedAttribute(pkcs7.OidAttributeSigningTime, s.now().UTC()); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	psd, err := b.Sign()
	if err != nil {
		return fmt.Errorf("signing: %s: %w", path, err)
	}
	if ts := cert.Timestamper; ts != nil {
		// relic's TimestampAndMarshal self-checks with the content in
		// memory, which a streamed detached signature does not have; the
		// token goes in the same unsigned attribute it would write.
		si := &psd.Content.SignerInfos[0]
		token, err := ts.Timestamp(ctx, &pkcs9.Request{EncryptedDigest: si.EncryptedDigest, Hash: crypto.SHA256})
		if err != nil {
			return fmt.Errorf("signing: %s: %w", path, err)
		}
		if err := pkcs9.AddStampToSignedData(si, *token); err != nil {
			return fmt.Errorf("signing: %s: %w", path, err)
		}
	}
	der, err := psd.Marshal()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
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

// fileDigest hashes a file, checking ctx between blocks so that a cancelled
// caller does not wait for a huge file.
func fileDigest(ctx context.Context, path string, h crypto.Hash) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	d := h.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := f.Read(buf)
		d.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("signing: reading %s: %w", path, err)
		}
	}
	return d.Sum(nil), nil
}

// tempPath reserves a temporary file name in the directory of path, so that
// the final rename is atomic.
func tempPath(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".sign-*")
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	name := f.Name()
	f.Close()
	return name, nil
}

func copyFile(src *os.File, dst string, perm os.FileMode) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, perm)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return fmt.Errorf("signing: copying: %w", err)
	}
	if err := w.Chmod(perm); err != nil {
		w.Close()
		return fmt.Errorf("signing: %w", err)
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
		return fmt.Errorf("signing: %w", err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return nil
}

// Format is the file format that decides how a file is signed.
type Format string

// The formats DetectFormat reports.
const (
	// FormatPE is a PE/COFF image: a Windows .exe, .dll or .sys.
	FormatPE Format = "pe"
	// FormatMSI is a compound document, as Windows Installer packages are.
	FormatMSI Format = "msi"
	// FormatOther is any other file; it is signed with a detached signature.
	FormatOther Format = "other"
)

// DetachedSuffix is appended to a file's name to name its detached
// signature.
const DetachedSuffix = ".p7s"

var compoundMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// DetectFormat reads the first bytes of a file to tell PE images ("MZ") and
// compound documents (MSI) from other files. The extension is not used.
func DetectFormat(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("signing: reading %s: %w", path, err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("MZ")):
		return FormatPE, nil
	case bytes.Equal(head, compoundMagic):
		return FormatMSI, nil
	default:
		return FormatOther, nil
	}
}
