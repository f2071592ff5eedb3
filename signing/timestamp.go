package signing

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"time"

	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
	"github.com/sassoftware/relic/v8/lib/x509tools"
)

// This file holds both sides of RFC 3161 time-stamping. The token format
// (TimeStampReq, TimeStampResp, TSTInfo and the CMS SignedData around it)
// is relic's (lib/pkcs9, lib/pkcs7); relic has the client side but no
// authority, so the authority below builds its answer from relic's types.
//
// A timestamp proves that a signature existed at a time vouched for by a
// third party. Verifiers (Windows, osslsigncode, ours) then judge the
// signer certificate at that time instead of now, so a signature made
// while the certificate was valid keeps verifying after it expires.

// timestampContentType is the media type of RFC 3161 requests (§3.4).
const (
	timestampQueryType = "application/timestamp-query"
	timestampReplyType = "application/timestamp-reply"
)

// maxTimestampMessage bounds requests and replies read from the network: a
// request is a few hundred bytes, a reply a few kilobytes with certificates.
const maxTimestampMessage = 1 << 20

// TimestampAuthority is an RFC 3161 time-stamping authority: an
// http.Handler that answers application/timestamp-query POSTs with a
// timestamp token signed by Certificate. It is meant for staging and
// tests; production signatures should be stamped by a public authority
// whose root Windows trusts.
type TimestampAuthority struct {
	// Certificate is the authority's certificate; required. Verifiers
	// (OpenSSL, Windows) require the time-stamping extended key usage, as
	// the only and critical usage.
	Certificate *x509.Certificate
	// Key is the private key of Certificate; required.
	Key crypto.Signer
	// Chain holds intermediate certificates embedded in each token. May be
	// empty.
	Chain []*x509.Certificate
	// Policy is the TSA policy OID written in each token. Nil means
	// anyPolicy (2.5.29.32.0): this authority makes no policy promise.
	Policy asn1.ObjectIdentifier
	// Now gives the time stamped. Nil means time.Now.
	Now func() time.Time
	// Logger receives one record per request. Nil discards.
	Logger *slog.Logger
}

// LoadTimestampAuthority builds an authority from PEM files like
// [LoadKeyPair], and checks that the certificate may stamp time.
func LoadTimestampAuthority(certFile, keyFile, chainFile string) (*TimestampAuthority, error) {
	cert, key, chain, err := LoadKeyPair(certFile, keyFile, chainFile)
	if err != nil {
		return nil, err
	}
	tsa := &TimestampAuthority{Certificate: cert, Key: key, Chain: chain}
	if err := tsa.check(); err != nil {
		return nil, err
	}
	return tsa, nil
}

var (
	oidAnyPolicy            = asn1.ObjectIdentifier{2, 5, 29, 32, 0}
	oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

// essCertIDv2 and signingCertificateV2 are RFC 5035's attribute naming the
// authority's certificate; RFC 3161 §2.4.2 requires it and OpenSSL checks
// it. The hash algorithm is left out because SHA-256 is its DEFAULT, which
// DER omits. relic has no type for it.
type essCertIDv2 struct {
	CertHash []byte
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

func (a *TimestampAuthority) check() error {
	if a.Certificate == nil || a.Key == nil {
		return errors.New("signing: the timestamp authority needs a certificate and a private key")
	}
	if !samePublicKey(a.Certificate.PublicKey, a.Key.Public()) {
		return errors.New("signing: the private key does not match the timestamp authority's certificate")
	}
	for _, u := range a.Certificate.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping {
			return nil
		}
	}
	return fmt.Errorf("signing: certificate %q may not stamp time: it lacks the time-stamping extended key usage (1.3.6.1.5.5.7.3.8)",
		a.Certificate.Subject.CommonName)
}

func (a *TimestampAuthority) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// ServeHTTP answers one RFC 3161 request (§3.4: POST, body DER
// TimeStampReq). A request the authority refuses gets a TimeStampResp with
// the rejection status and the reason, as the RFC wants, not an HTTP error.
func (a *TimestampAuthority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an RFC 3161 TimeStampReq (application/timestamp-query)", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTimestampMessage+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxTimestampMessage {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	resp, err := a.Respond(body)
	if err != nil {
		a.logger().Error("timestamp authority failed", "err", err)
		http.Error(w, "timestamp authority failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", timestampReplyType)
	w.Write(resp)
}

// Respond answers one DER TimeStampReq with a DER TimeStampResp: a token
// stamping the authority's current time, or a rejection saying what is
// wrong with the request. The error is for the authority's own failures
// (its key cannot sign).
func (a *TimestampAuthority) Respond(der []byte) ([]byte, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	var req pkcs9.TimeStampReq
	rest, err := asn1.Unmarshal(der, &req)
	if err == nil && len(rest) > 0 {
		err = errors.New("trailing bytes after the request")
	}
	if err != nil {
		return a.reject(pkcs9.FailureBadDataFormat, fmt.Sprintf("not an RFC 3161 TimeStampReq: %v", err))
	}
	if req.Version != 1 {
		return a.reject(pkcs9.FailureBadRequest, fmt.Sprintf("request version %d; only 1 exists", req.Version))
	}
	hash, err := x509tools.PkixDigestToHashE(req.MessageImprint.HashAlgorithm)
	if err != nil || !hash.Available() {
		return a.reject(pkcs9.FailureBadAlg, fmt.Sprintf("unsupported hash algorithm %v", req.MessageImprint.HashAlgorithm.Algorithm))
	}
	if len(req.MessageImprint.HashedMessage) != hash.Size() {
		return a.reject(pkcs9.FailureBadDataFormat, fmt.Sprintf("the imprint is %d bytes; %s digests are %d", len(req.MessageImprint.HashedMessage), hash, hash.Size()))
	}
	if req.ReqPolicy != nil && !req.ReqPolicy.Equal(a.policy()) {
		return a.reject(pkcs9.FailureUnacceptedPolicy, fmt.Sprintf("policy %v is not offered; this authority stamps under %v", req.ReqPolicy, a.policy()))
	}
	if len(req.Extensions) > 0 {
		return a.reject(pkcs9.FailureUnacceptedExtension, "request extensions are not supported")
	}
	token, at, err := a.token(req)
	if err != nil {
		return nil, err
	}
	out, err := asn1.Marshal(pkcs9.TimeStampResp{Status: pkcs9.PKIStatusInfo{Status: pkcs9.StatusGranted}, TimeStampToken: *token})
	if err != nil {
		return nil, fmt.Errorf("signing: marshalling timestamp response: %w", err)
	}
	a.logger().Info("timestamp granted", "time", at, "hash", hash.String())
	return out, nil
}

func (a *TimestampAuthority) policy() asn1.ObjectIdentifier {
	if a.Policy == nil {
		return oidAnyPolicy
	}
	return a.Policy
}

func (a *TimestampAuthority) reject(failure int, reason string) ([]byte, error) {
	a.logger().Warn("timestamp request rejected", "reason", reason)
	info := asn1.BitString{Bytes: make([]byte, 4), BitLength: 32}
	info.Bytes[failure/8] |= 0x80 >> (failure % 8)
	info.BitLength = failure + 1
	info.Bytes = info.Bytes[:failure/8+1]
	out, err := asn1.Marshal(pkcs9.TimeStampResp{Status: pkcs9.PKIStatusInfo{
		Status: pkcs9.StatusRejection, StatusString: []string{reason}, FailInfo: info}})
	if err != nil {
		return nil, fmt.Errorf("signing: marshalling timestamp rejection: %w", err)
	}
	return out, nil
}

// token builds and signs the TSTInfo for a request.
func (a *TimestampAuthority) token(req pkcs9.TimeStampReq) (*pkcs7.ContentInfoSignedData, time.Time, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	// Whole seconds: GeneralizedTime without fractions is what every
	// verifier parses, and the stamp needs no better precision.
	at := now().UTC().Truncate(time.Second)
	genTime, err := asn1.MarshalWithParams(at, "generalized")
	if err != nil {
		return nil, at, fmt.Errorf("signing: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, at, fmt.Errorf("signing: %w", err)
	}
	info := pkcs9.TSTInfo{
		Version:        1,
		Policy:         a.policy(),
		MessageImprint: req.MessageImprint,
		SerialNumber:   serial.Add(serial, big.NewInt(1)),
		GenTime:        asn1.RawValue{FullBytes: genTime},
		Nonce:          req.Nonce,
	}
	infoDER, err := asn1.Marshal(info)
	if err != nil {
		return nil, at, fmt.Errorf("signing: marshalling TSTInfo: %w", err)
	}
	certHash := sha256.Sum256(a.Certificate.Raw)
	certs := append([]*x509.Certificate{a.Certificate}, withoutRoots(a.Chain)...)
	b := pkcs7.NewBuilder(a.Key, certs, crypto.SHA256)
	if err := b.SetContent(pkcs9.OidTSTInfo, infoDER); err != nil {
		return nil, at, fmt.Errorf("signing: %w", err)
	}
	if err := b.AddAuthenticatedAttribute(oidSigningCertificateV2, signingCertificateV2{Certs: []essCertIDv2{{CertHash: certHash[:]}}}); err != nil {
		return nil, at, fmt.Errorf("signing: %w", err)
	}
	token, err := b.Sign()
	if err != nil {
		return nil, at, fmt.Errorf("signing: signing timestamp: %w", err)
	}
	// CMS (RFC 5652 §5.1) wants version 3 when the content is not id-data.
	token.Content.Version = 3
	return token, at, nil
}

func withoutRoots(chain []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range chain {
		if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
			continue
		}
		out = append(out, c)
	}
	return out
}
