package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
	"github.com/sassoftware/relic/v8/lib/x509tools"
)

// Kind is the kind of signature a file carries.
type Kind string

// The kinds of signature.
const (
	// KindUnsigned means no signature was found.
	KindUnsigned Kind = "unsigned"
	// KindAuthenticodePE is an Authenticode signature embedded in a PE image.
	KindAuthenticodePE Kind = "authenticode-pe"
	// KindAuthenticodeMSI is an Authenticode signature embedded in an MSI.
	KindAuthenticodeMSI Kind = "authenticode-msi"
	// KindPKCS7Detached is a detached PKCS#7 signature in FILE.p7s.
	KindPKCS7Detached Kind = "pkcs7-detached"
)

// Verdict is the outcome of verifying a signature. When several problems
// apply, the first in this order wins: Unsigned, Tampered, Untrusted,
// Revoked, Expired.
type Verdict string

// The verdicts.
const (
	// Valid: intact signature, chain to a trusted root, signer certificate
	// within its validity at the verification time, not revoked.
	Valid Verdict = "valid"
	// Unsigned: the file carries no signature (or has no FILE.p7s).
	Unsigned Verdict = "unsigned"
	// Tampered: the signature is malformed or does not verify, or the file's
	// digest no longer matches the signed digest.
	Tampered Verdict = "tampered"
	// Untrusted: the signature is intact but its certificate does not chain
	// to a trusted root for code signing (unknown CA, wrong key usage, ...).
	Untrusted Verdict = "untrusted"
	// Revoked: the signer certificate, or a CA certificate in its chain, is
	// on the revocation list.
	Revoked Verdict = "revoked"
	// Expired: everything else is fine, but at the verification time the
	// signer certificate (or a CA in its chain) is outside its validity
	// window: expired, or not valid yet (NotBefore in the future).
	Expired Verdict = "expired"
)

// Errors returned by [Signature.Err], one per verdict other than Valid, for
// use with errors.Is.
var (
	ErrUnsigned  = errors.New("file is not signed")
	ErrTampered  = errors.New("signature is broken or the file was modified after signing")
	ErrUntrusted = errors.New("signature does not chain to a trusted root")
	ErrRevoked   = errors.New("signing certificate is revoked")
	ErrExpired   = errors.New("signing certificate is not valid at this time")
)

// Identity identifies the signer of a program.
//
// Two signatures have the same signer exactly when their signer
// certificates are the same certificate (identical DER, so identical
// Thumbprint and SHA256): a program re-signed with a renewed certificate is
// a different application even when the subject, issuer and key are
// unchanged, as QuickBooks treats it. Use [Identity.Same] to compare and
// Thumbprint as a storage key. The zero Identity is the identity of an
// unsigned program and is the same as nothing.
type Identity struct {
	// Thumbprint is the SHA-1 of the signer certificate, upper-case hex, as
	// Windows shows it.
	Thumbprint string `json:"thumbprint"`
	// SHA256 is the SHA-256 fingerprint of the signer certificate.
	SHA256 string `json:"sha256"`
	// Subject is the signer's distinguished name (RFC 2253 style).
	Subject string `json:"subject"`
	// CommonName is the CN of the subject, what Windows shows as publisher.
	CommonName string `json:"commonName"`
	// Issuer is the issuer's distinguished name.
	Issuer string `json:"issuer"`
	// IssuerCommonName is the CN of the issuer.
	IssuerCommonName string `json:"issuerCommonName"`
	// Serial is the certificate serial number in upper-case hex.
	Serial string `json:"serial"`
	// NotBefore and NotAfter bound the certificate's validity.
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
}

// IdentityOf returns the identity of a signer certificate.
func IdentityOf(cert *x509.Certificate) Identity {
	return Identity{
		Thumbprint:       Thumbprint(cert),
		SHA256:           Fingerprint256(cert),
		Subject:          cert.Subject.String(),
		CommonName:       cert.Subject.CommonName,
		Issuer:           cert.Issuer.String(),
		IssuerCommonName: cert.Issuer.CommonName,
		Serial:           serialHex(cert),
		NotBefore:        cert.NotBefore,
		NotAfter:         cert.NotAfter,
	}
}

// Same reports whether both identities are the same signer certificate.
// Two unsigned (zero) identities are not the same signer.
func (id Identity) Same(other Identity) bool {
	return id.SHA256 != "" && id.SHA256 == other.SHA256
}

// IsZero reports whether id is the identity of an unsigned file.
func (id Identity) IsZero() bool { return id.SHA256 == "" }

// String returns "CN (thumbprint)" or "unsigned".
func (id Identity) String() string {
	if id.IsZero() {
		return "unsigned"
	}
	return fmt.Sprintf("%s (%s)", id.CommonName, id.Thumbprint)
}

// Signature is what verifying a file found. Identity fields are set whenever
// a signer certificate could be read, even for Tampered and Untrusted
// signatures.
type Signature struct {
	Identity
	// Path is the verified file.
	Path string
	// SignaturePath is the detached signature file, for KindPKCS7Detached.
	SignaturePath string
	// Format is the file's format, which decides the kind of signature
	// looked for.
	Format Format
	// Kind is the kind of signature found; KindUnsigned if none.
	Kind Kind
	// Verdict is the overall outcome; Reason explains any verdict but Valid
	// in a sentence.
	Verdict Verdict
	Reason  string
	// DigestAlgorithm is the file digest's algorithm ("SHA256", "SHA1").
	DigestAlgorithm string
	// DigestOK reports that the signature verifies and the file's digest
	// matches the signed one.
	DigestOK bool
	// Trusted reports a chain from the signer to a trusted root, evaluated
	// as if at a time inside the signer's validity (expiry is reported by
	// TimeValid).
	Trusted bool
	// TimeValid reports that the certificates of the chain are within their
	// validity at the verification time (VerifiedAt).
	TimeValid bool
	// IsRevoked reports that the signer or a CA of its chain is revoked.
	IsRevoked bool
	// VerifiedAt is the verification time used for validity.
	VerifiedAt time.Time
	// SigningTime is the signing time the signer claims (a signed attribute
	// of detached signatures) or, if present, the time of a timestamp
	// counter-signature. Zero when absent. It is informative only: it does
	// not change how expiry is judged.
	SigningTime time.Time
	// Timestamped reports an intact RFC 3161 (or legacy Authenticode)
	// timestamp counter-signature over the signature; TimestampTime is its
	// time and TimestampAuthority the certificate that signed it.
	Timestamped        bool
	TimestampTime      time.Time
	TimestampAuthority *x509.Certificate
	// TimestampTrusted reports that the timestamp's authority chains to a
	// trusted root for time stamping at TimestampTime. Only a trusted
	// timestamp can stand in for the verification time.
	TimestampTrusted bool
	// TimestampProblem says why a timestamp present could not be used
	// ("" when it could or when there is none).
	TimestampProblem string
	// ValidByTimestamp reports a Valid signature whose signer certificate
	// is outside its validity at VerifiedAt but was inside it at the
	// trusted TimestampTime: Windows and osslsigncode accept it, and so do
	// we. See [Signature.Note].
	ValidByTimestamp bool
	// Description is the Authenticode program description, if any.
	Description string
	// Signer is the signer certificate; nil when unsigned or unreadable.
	Signer *x509.Certificate
	// Certificates are all certificates embedded in the signature.
	Certificates []*x509.Certificate
	// Chain is the verified chain from the signer to a trusted root, or nil
	// when untrusted.
	Chain []*x509.Certificate

	counter *pkcs9.CounterSignature
}

// Note returns what a reader must know besides the verdict about time:
// "timestamped 2026-05-01, certificate expired 2026-08-16" for a signature
// valid only by its timestamp, "timestamped 2026-05-01" for a trusted
// timestamp otherwise, why a timestamp was ignored, or "".
func (s *Signature) Note() string {
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	switch {
	case s.ValidByTimestamp && s.Signer != nil && s.VerifiedAt.Before(s.Signer.NotBefore):
		return fmt.Sprintf("timestamped %s, certificate not valid before %s", day(s.TimestampTime), day(s.Signer.NotBefore))
	case s.ValidByTimestamp && s.Signer != nil:
		return fmt.Sprintf("timestamped %s, certificate expired %s", day(s.TimestampTime), day(s.Signer.NotAfter))
	case s.TimestampProblem != "":
		return "timestamp not used: " + s.TimestampProblem
	case s.Timestamped && s.TimestampTrusted:
		return "timestamped " + day(s.TimestampTime)
	}
	return ""
}

// Valid reports whether the verdict is Valid.
func (s *Signature) Valid() bool { return s.Verdict == Valid }

// Err returns nil for a Valid signature, otherwise an error that wraps the
// verdict's sentinel (ErrUnsigned, ErrTampered, ...) and gives the reason.
func (s *Signature) Err() error {
	var base error
	switch s.Verdict {
	case Valid:
		return nil
	case Unsigned:
		base = ErrUnsigned
	case Tampered:
		base = ErrTampered
	case Untrusted:
		base = ErrUntrusted
	case Revoked:
		base = ErrRevoked
	case Expired:
		base = ErrExpired
	default:
		return fmt.Errorf("signing: %s: unknown verdict %q", s.Path, s.Verdict)
	}
	if s.Reason == "" {
		return fmt.Errorf("%s: %w", s.Path, base)
	}
	return fmt.Errorf("%s: %w: %s", s.Path, base, s.Reason)
}

// Verifier verifies signatures against a trust configuration. The zero
// value trusts the system's roots at the current time with no revocation.
// A Verifier is safe for concurrent use; do not change its fields while it
// is in use.
type Verifier struct {
	// Roots are the trusted root certificates. Nil means the system pool
	// (an empty pool where the system has none).
	Roots *x509.CertPool
	// TimestampRoots are the roots trusted for time-stamping authorities.
	// Nil means Roots.
	TimestampRoots *x509.CertPool
	// Intermediates are extra CA certificates used to build chains, besides
	// those embedded in signatures. Optional.
	Intermediates []*x509.Certificate
	// RevokedThumbprints lists revoked certificates by SHA-1 thumbprint or
	// SHA-256 fingerprint (hex; case, spaces and colons are ignored). It
	// applies to the signer and to the CAs of its chain.
	RevokedThumbprints []string
	// CRLs are revocation lists. A CRL applies to certificates whose issuer
	// is the CRL's issuer, and only if its signature verifies with that
	// issuer's certificate from the verified chain; one that does not is
	// ignored with a warning. An entry counts whatever its revocation time
	// and the CRL's NextUpdate: a revocation is never undone by a CRL going
	// stale, and untimestamped signatures cannot prove they predate it.
	CRLs []*x509.RevocationList
	// Now gives the verification time. Nil means time.Now.
	Now func() time.Time
	// Logger receives warnings (ignored CRLs) and one debug record per
	// verification. Nil discards.
	Logger *slog.Logger
}

func (v *Verifier) logger() *slog.Logger {
	if v.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return v.Logger
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Verifier) roots() *x509.CertPool {
	if v.Roots != nil {
		return v.Roots
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		return x509.NewCertPool()
	}
	return pool
}

// VerifyFile verifies the signature of the file at path: the embedded
// Authenticode signature of a PE image or MSI package, and for any other
// file the detached signature in path+".p7s". Problems with the signature
// or the file's content are reported in the returned Signature's Verdict;
// the error is only for a file that cannot be read.
func (v *Verifier) VerifyFile(ctx context.Context, path string) (sig *Signature, err error) {
	format, err := DetectFormat(path)
	if err != nil {
		return nil, err
	}
	// The parsers below read whatever file a caller names; a malformed one
	// must give a Tampered verdict, never take the process down.
	defer recoverMalformed(&sig, &err, path, format)
	switch format {
	case FormatPE:
		return v.verifyPE(path)
	case FormatMSI:
		return v.verifyMSI(path)
	default:
		return v.VerifyDetached(ctx, path, path+DetachedSuffix)
	}
}

func recoverMalformed(sig **Signature, err *error, path string, format Format) {
	if r := recover(); r != nil {
		*err = nil
		kind := map[Format]Kind{FormatPE: KindAuthenticodePE, FormatMSI: KindAuthenticodeMSI}[format]
		if kind == "" {
			kind = KindPKCS7Detached
		}
		*sig = &Signature{Path: path, Format: format, Kind: kind, Verdict: Tampered,
			Reason: fmt.Sprintf("the file or its signature is malformed (%v)", r)}
	}
}

func (v *Verifier) verifyPE(path string) (*Signature, error) {
	sig := &Signature{Path: path, Format: FormatPE, Kind: KindAuthenticodePE, VerifiedAt: v.now()}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	return v.finishAuthenticode(sig, "PE", "image")(verifyPEFile(f))
}

func (v *Verifier) verifyMSI(path string) (*Signature, error) {
	sig := &Signature{Path: path, Format: FormatMSI, Kind: KindAuthenticodeMSI, VerifiedAt: v.now()}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	return v.finishAuthenticode(sig, "MSI", "package")(verifyMSIFile(f))
}

// finishAuthenticode turns what reading an embedded signature found into
// a verdict: the signer is recorded even when the file turns out to be
// modified.
func (v *Verifier) finishAuthenticode(sig *Signature, format, noun string) func(*authenticodeSignature, error, error) (*Signature, error) {
	return func(as *authenticodeSignature, digestErr, err error) (*Signature, error) {
		if err != nil {
			return v.finishBroken(sig, err, format)
		}
		sig.DigestAlgorithm = hashName(as.hash)
		sig.Description = as.description
		v.fillSigner(sig, as.TimestampedSignature)
		if digestErr != nil {
			return v.tampered(sig, fmt.Sprintf("the %s does not match its signature: %v", noun, digestErr)), nil
		}
		sig.DigestOK = true
		v.evaluate(sig, as.TimestampedSignature.Signature)
		return sig, nil
	}
}

// finishBroken turns a failure to read an embedded signature into Unsigned
// or Tampered.
func (v *Verifier) finishBroken(sig *Signature, err error, what string) (*Signature, error) {
	if errors.Is(err, errNotSigned) {
		sig.Kind = KindUnsigned
		sig.Verdict = Unsigned
		sig.Reason = fmt.Sprintf("the %s file has no Authenticode signature", what)
		return sig, nil
	}
	return v.tampered(sig, fmt.Sprintf("the %s signature is invalid: %v", what, err)), nil
}

func (v *Verifier) tampered(sig *Signature, reason string) *Signature {
	sig.Verdict = Tampered
	sig.Reason = reason
	sig.DigestOK = false
	v.logger().Debug("signature verified", "file", sig.Path, "verdict", sig.Verdict, "reason", reason)
	return sig
}

// VerifyDetached verifies the detached PKCS#7 signature in sigPath (DER or
// PEM) over the file at path. A missing sigPath gives an Unsigned verdict.
func (v *Verifier) VerifyDetached(ctx context.Context, path, sigPath string) (*Signature, error) {
	sig := &Signature{Path: path, SignaturePath: sigPath, Format: FormatOther, Kind: KindPKCS7Detached, VerifiedAt: v.now()}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if format, err := DetectFormat(path); err == nil {
		sig.Format = format
	}
	blob, err := os.ReadFile(sigPath)
	if errors.Is(err, os.ErrNotExist) {
		sig.Kind = KindUnsigned
		sig.SignaturePath = ""
		sig.Verdict = Unsigned
		sig.Reason = fmt.Sprintf("no detached signature %s", sigPath)
		return sig, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if der := pemBlock(blob, "PKCS7", "CMS"); der != nil {
		blob = der
	}
	psd, err := pkcs7.Unmarshal(blob)
	if err != nil {
		return v.tampered(sig, fmt.Sprintf("%s is not a PKCS#7 signature: %v", sigPath, err)), nil
	}
	if content, err := psd.Content.ContentInfo.Bytes(); err != nil || content != nil {
		return v.tampered(sig, fmt.Sprintf("%s is not a detached signature (it embeds content)", sigPath)), nil
	}
	if len(psd.Content.SignerInfos) != 1 {
		return v.tampered(sig, fmt.Sprintf("%s has %d signers; exactly one is supported", sigPath, len(psd.Content.SignerInfos))), nil
	}
	si := &psd.Content.SignerInfos[0]
	hash, err := x509tools.PkixDigestToHashE(si.DigestAlgorithm)
	if err != nil {
		return v.tampered(sig, fmt.Sprintf("unsupported digest: %v", err)), nil
	}
	sig.DigestAlgorithm = hashName(hash)
	var p7sig pkcs7.Signature
	if len(si.AuthenticatedAttributes) > 0 {
		// The signature covers the signed attributes; the file is covered
		// through the messageDigest attribute, so the file can be streamed.
		p7sig, err = psd.Content.Verify(nil, true)
		if err != nil {
			return v.tampered(sig, fmt.Sprintf("the signature does not verify: %v", err)), nil
		}
		if t, err := si.SigningTime(); err == nil {
			sig.SigningTime = t
		}
		tsig, err := pkcs9.VerifyOptionalTimestamp(p7sig)
		v.fillSigner(sig, tsig)
		if err != nil {
			return v.tampered(sig, fmt.Sprintf("the timestamp does not verify: %v", err)), nil
		}
		var md []byte
		if err := si.AuthenticatedAttributes.GetOne(pkcs7.OidAttributeMessageDigest, &md); err != nil {
			return v.tampered(sig, "the signature has no message digest"), nil
		}
		digest, err := FileDigest(ctx, path, hash)
		if err != nil {
			return nil, err
		}
		if !hmac.Equal(digest, md) {
			return v.tampered(sig, "the file does not match its signature (digest mismatch)"), nil
		}
	} else {
		// A signature straight over the content: rare, and only verifiable
		// with the content in memory.
		content, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		p7sig, err = psd.Content.Verify(content, false)
		if err != nil {
			if skip, err2 := psd.Content.Verify(nil, true); err2 == nil {
				v.fillSigner(sig, pkcs9.TimestampedSignature{Signature: skip})
			}
			return v.tampered(sig, fmt.Sprintf("the file does not match its signature: %v", err)), nil
		}
		tsig, err := pkcs9.VerifyOptionalTimestamp(p7sig)
		v.fillSigner(sig, tsig)
		if err != nil {
			return v.tampered(sig, fmt.Sprintf("the timestamp does not verify: %v", err)), nil
		}
	}
	sig.DigestOK = true
	v.evaluate(sig, p7sig)
	return sig, nil
}

func pemBlock(data []byte, types ...string) []byte {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return nil
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil
	}
	for _, t := range types {
		if block.Type == t {
			return block.Bytes
		}
	}
	return nil
}

func (v *Verifier) fillSigner(sig *Signature, ts pkcs9.TimestampedSignature) {
	if ts.Certificate == nil {
		return
	}
	sig.Signer = ts.Certificate
	sig.Identity = IdentityOf(ts.Certificate)
	sig.Certificates = ts.Intermediates
	if ts.CounterSignature != nil {
		sig.Timestamped = true
		sig.SigningTime = ts.CounterSignature.SigningTime
		sig.TimestampTime = ts.CounterSignature.SigningTime
		sig.TimestampAuthority = ts.CounterSignature.Certificate
		sig.counter = ts.CounterSignature
	}
}

// evaluate judges trust, time and revocation of an intact signature and
// sets the verdict.
func (v *Verifier) evaluate(sig *Signature, p7 pkcs7.Signature) {
	defer func() {
		v.logger().Debug("signature verified", "file", sig.Path, "kind", sig.Kind, "signer", sig.CommonName,
			"thumbprint", sig.Thumbprint, "verdict", sig.Verdict, "reason", sig.Reason)
	}()
	leaf := p7.Certificate
	inter := x509.NewCertPool()
	for _, c := range p7.Intermediates {
		inter.AddCert(c)
	}
	for _, c := range v.Intermediates {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{
		Roots:         v.roots(),
		Intermediates: inter,
		CurrentTime:   sig.VerifiedAt,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	chains, err := leaf.Verify(opts)
	timeErr := ""
	var invalid x509.CertificateInvalidError
	if err != nil && errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		timeErr = validityReason(invalid.Cert, sig.VerifiedAt)
		stamped := false
		if at, ok := v.timestamp(sig, inter); ok {
			// A trusted timestamp stands in for the verification time:
			// the chain must hold at the stamped time.
			opts.CurrentTime = at
			if c, err2 := leaf.Verify(opts); err2 == nil {
				chains, err, stamped = c, nil, true
			} else if errors.As(err2, &invalid) && invalid.Reason == x509.Expired {
				sig.TimestampProblem = fmt.Sprintf("the timestamp (%s) lies outside the certificate's validity", at.UTC().Format(time.RFC3339))
			}
		}
		if stamped {
			sig.ValidByTimestamp = true
		} else {
			// Judge trust apart from time: at the middle of the signer's
			// validity the chain either holds or not for other reasons.
			opts.CurrentTime = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
			chains, err = leaf.Verify(opts)
		}
	} else if sig.counter != nil {
		v.timestamp(sig, inter) // only to report whether it is trusted
	}
	if err != nil {
		sig.Verdict = Untrusted
		sig.Reason = untrustedReason(err)
		return
	}
	sig.Trusted = true
	sig.Chain = chains[0]
	sig.TimeValid = timeErr == ""
	if reason := v.revocation(sig.Chain); reason != "" {
		sig.IsRevoked = true
		sig.Verdict = Revoked
		sig.Reason = reason
		return
	}
	if timeErr != "" && !sig.ValidByTimestamp {
		sig.Verdict = Expired
		sig.Reason = timeErr
		if sig.Timestamped && sig.TimestampProblem != "" {
			sig.Reason += "; " + sig.TimestampProblem
		} else if !sig.Timestamped {
			sig.Reason += "; the signature is not timestamped"
		}
		return
	}
	sig.Verdict = Valid
}

// timestamp checks the signature's timestamp authority: a chain to the
// timestamp roots for time stamping, at the stamped time. It returns the
// stamped time and whether it may stand in for the verification time, and
// records the outcome in sig.
func (v *Verifier) timestamp(sig *Signature, inter *x509.CertPool) (time.Time, bool) {
	cs := sig.counter
	if cs == nil || cs.Certificate == nil {
		return time.Time{}, false
	}
	roots := v.TimestampRoots
	if roots == nil {
		roots = v.roots()
	}
	for _, c := range cs.Intermediates {
		inter.AddCert(c)
	}
	_, err := cs.Certificate.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: cs.SigningTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		sig.TimestampProblem = fmt.Sprintf("the timestamp authority %q is not trusted: %s", cs.Certificate.Subject.CommonName, untrustedReason(err))
		return time.Time{}, false
	}
	if r := v.revocation([]*x509.Certificate{cs.Certificate}); r != "" {
		sig.TimestampProblem = "the timestamp authority's " + r
		return time.Time{}, false
	}
	sig.TimestampTrusted = true
	return cs.SigningTime, true
}

func validityReason(cert *x509.Certificate, at time.Time) string {
	name := cert.Subject.CommonName
	if name == "" {
		name = cert.Subject.String()
	}
	if at.Before(cert.NotBefore) {
		return fmt.Sprintf("certificate %q is not valid before %s", name, cert.NotBefore.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("certificate %q expired on %s", name, cert.NotAfter.UTC().Format(time.RFC3339))
}

func untrustedReason(err error) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		issuer := ""
		if unknown.Cert != nil {
			issuer = unknown.Cert.Issuer.String()
		}
		return fmt.Sprintf("the certificate chain does not end at a trusted root (issuer %q is not trusted)", issuer)
	}
	return fmt.Sprintf("the certificate chain is not valid for code signing: %v", err)
}

// revocation returns why a certificate of chain is revoked, or "".
func (v *Verifier) revocation(chain []*x509.Certificate) string {
	revoked := make(map[string]bool, len(v.RevokedThumbprints))
	for _, t := range v.RevokedThumbprints {
		revoked[normalizeHex(t)] = true
	}
	for i, cert := range chain {
		if revoked[Thumbprint(cert)] || revoked[Fingerprint256(cert)] {
			return fmt.Sprintf("certificate %q (%s) is on the revocation list", cert.Subject.CommonName, Thumbprint(cert))
		}
		if i+1 >= len(chain) {
			continue // a root is not revoked by a CRL
		}
		issuer := chain[i+1]
		for _, crl := range v.CRLs {
			if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
				continue
			}
			if err := crl.CheckSignatureFrom(issuer); err != nil {
				v.logger().Warn("ignoring CRL that its issuer did not sign", "issuer", crl.Issuer.String(), "err", err)
				continue
			}
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return fmt.Sprintf("certificate %q (serial %s) was revoked by %q on %s", cert.Subject.CommonName,
						serialHex(cert), crl.Issuer.CommonName, e.RevocationTime.UTC().Format(time.RFC3339))
				}
			}
		}
	}
	return ""
}

func hashName(h crypto.Hash) string {
	return strings.ReplaceAll(h.String(), "-", "")
}
