package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
)

// releaseEnv is what the release commands take from their environment, so
// that tests control the clock.
type releaseEnv struct {
	now func() time.Time
}

// newReleaseCmd returns `qbconnect release`, the connector release tooling.
func newReleaseCmd() *cobra.Command {
	return releaseCmd(releaseEnv{now: time.Now})
}

func releaseCmd(env releaseEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Sign, verify, publish and roll out connector releases",
		Long: "Release tooling: sign Windows executables and installers with Authenticode and other\n" +
			"files with detached PKCS#7 signatures, and verify signatures.",
	}
	// One line per sub-command.
	cmd.AddCommand(
		releaseSignCmd(env),
		releaseVerifyCmd(env),
		releaseTSACmd(env),          // release_tsa.go
		releasePublishCmd(env),      // release_platform.go
		releaseListCmd(env),         // release_platform.go
		releaseRolloutCmd(env),      // release_platform.go
		releaseRevokeCmd(env),       // release_platform.go
		releaseCampaignsCmd(env),    // release_platform.go
		releaseContactsCmd(env),     // release_platform.go
		releaseCertificatesCmd(env), // release_platform.go
		releaseTestCertCmd(env),     // release_testcert.go
	)
	return cmd
}

// expiryWarning is how close to its expiry a signing certificate draws a
// warning from `release sign`.
const expiryWarning = 30 * 24 * time.Hour

func releaseSignCmd(env releaseEnv) *cobra.Command {
	var certFile, keyFile, chainFile, description, url, tsURL string
	var allowExpired bool
	cmd := &cobra.Command{
		Use:   "sign --cert CERT --key KEY [--chain FILE] FILE...",
		Short: "Sign files: Authenticode for .exe/.dll/.msi, detached PKCS#7 (FILE.p7s) for others",
		Long: "Sign each FILE with the code-signing certificate CERT and its private key KEY (PEM,\n" +
			"PKCS#1, SEC 1 or PKCS#8, unencrypted). Windows PE images and MSI packages get an\n" +
			"embedded Authenticode SHA-256 signature, in place, replacing any existing one; any\n" +
			"other file gets a detached PKCS#7 signature written to FILE.p7s. --chain adds\n" +
			"intermediate CA certificates to the signatures. --timestamp-url asks an RFC 3161\n" +
			"time-stamping authority to countersign each signature (the Authenticode timestamp for\n" +
			".exe/.msi, a timestamp token in FILE.p7s), so that it keeps verifying after the\n" +
			"certificate expires; without it the signature stops verifying on the certificate's\n" +
			"expiry date. All files are checked before any is signed.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if certFile == "" || keyFile == "" {
				return errors.New("release sign: --cert and --key are required")
			}
			signer, err := sign.Load(certFile, keyFile, chainFile)
			if err != nil {
				return fmt.Errorf("release sign: %w", err)
			}
			signer.Description = description
			signer.URL = url
			signer.Now = env.now
			signer.TimestampURL = tsURL
			cert := signer.Certificate
			now := env.now()
			switch {
			case now.After(cert.NotAfter) && !allowExpired:
				return fmt.Errorf("release sign: certificate %q expired on %s; signatures made with it are invalid (use --allow-expired to sign anyway)",
					cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.RFC3339))
			case now.Before(cert.NotBefore) && !allowExpired:
				return fmt.Errorf("release sign: certificate %q is not valid before %s (use --allow-expired to sign anyway)",
					cert.Subject.CommonName, cert.NotBefore.UTC().Format(time.RFC3339))
			case cert.NotAfter.Sub(now) < expiryWarning && now.Before(cert.NotAfter):
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: certificate %q expires on %s, in %d days: plan a rotation\n",
					cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.RFC3339), int(cert.NotAfter.Sub(now).Hours()/24))
			}
			if tsURL == "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: no --timestamp-url: these signatures stop verifying when certificate %q expires on %s, "+
					"and connectors then refuse to install them; sign with --timestamp-url to keep them valid\n",
					cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.DateOnly))
			}
			// Check every file first, so a typo does not leave half a
			// release signed.
			for _, f := range files {
				info, err := os.Stat(f)
				if err != nil {
					return fmt.Errorf("release sign: %w", err)
				}
				if !info.Mode().IsRegular() {
					return fmt.Errorf("release sign: %s is not a regular file", f)
				}
				if _, err := signing.DetectFormat(f); err != nil {
					return fmt.Errorf("release sign: %w", err)
				}
			}
			out := cmd.OutOrStdout()
			for _, f := range files {
				kind, written, err := signer.SignFile(cmd.Context(), f)
				if err != nil {
					return fmt.Errorf("release sign: %w", err)
				}
				if written != f {
					fmt.Fprintf(out, "signed %s (%s) -> %s\n", f, kind, written)
				} else {
					fmt.Fprintf(out, "signed %s (%s)\n", f, kind)
				}
			}
			fmt.Fprintf(out, "signer %s, thumbprint %s, valid until %s\n", cert.Subject.CommonName,
				signing.Thumbprint(cert), cert.NotAfter.UTC().Format(time.RFC3339))
			if tsURL != "" {
				fmt.Fprintf(out, "timestamped by %s: the signatures stay valid after the certificate expires\n", tsURL)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&certFile, "cert", "", "signing certificate, PEM (required)")
	fl.StringVar(&keyFile, "key", "", "private key of the certificate, PEM (required)")
	fl.StringVar(&chainFile, "chain", "", "intermediate CA certificates to embed, PEM")
	fl.StringVar(&description, "description", "", "program description stored in Authenticode signatures")
	fl.StringVar(&url, "url", "", "information URL stored in Authenticode signatures")
	fl.BoolVar(&allowExpired, "allow-expired", false, "sign even with a certificate outside its validity")
	fl.StringVar(&tsURL, "timestamp-url", "", "RFC 3161 time-stamping authority to countersign the signatures (recommended)")
	return cmd
}

func releaseVerifyCmd(env releaseEnv) *cobra.Command {
	var rootsFile, tsRootsFile, chainFile, at string
	var crlFiles, revoked []string
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "verify [--roots FILE] [--crl FILE]... FILE...",
		Short: "Verify the signatures of files; exit non-zero unless all are valid",
		Long: "Verify each FILE's signature: the embedded Authenticode signature of a PE image or MSI\n" +
			"package, or FILE.p7s for any other file. Prints the signer, its thumbprint, its\n" +
			"validity and whether the chain is trusted. Trusted roots come from --roots (PEM), or\n" +
			"from the system's pool when it is not given; certificates embedded in the signature\n" +
			"and --chain serve as intermediates. --crl and --revoked add revocation lists and\n" +
			"revoked thumbprints; --at sets the verification time (RFC 3339 or a date, default now).\n" +
			"A signature whose trusted RFC 3161 timestamp lies inside the certificate's validity\n" +
			"stays valid after the certificate expires, and the output says so (\"timestamped\n" +
			"2026-05-01, certificate expired 2026-08-16\"); timestamp authorities are trusted from\n" +
			"--timestamp-roots, or --roots when it is not given.\n" +
			"Exits non-zero when a signature is missing, broken, untrusted, expired or revoked.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			v := &signing.Verifier{Now: env.now, RevokedThumbprints: revoked}
			if rootsFile != "" {
				pool, err := signing.LoadCertPool(rootsFile)
				if err != nil {
					return fmt.Errorf("release verify: --roots: %w", err)
				}
				v.Roots = pool
			}
			if tsRootsFile != "" {
				pool, err := signing.LoadCertPool(tsRootsFile)
				if err != nil {
					return fmt.Errorf("release verify: --timestamp-roots: %w", err)
				}
				v.TimestampRoots = pool
			}
			if chainFile != "" {
				certs, err := signing.LoadCertificates(chainFile)
				if err != nil {
					return fmt.Errorf("release verify: --chain: %w", err)
				}
				v.Intermediates = certs
			}
			for _, f := range crlFiles {
				crl, err := signing.LoadCRL(f)
				if err != nil {
					return fmt.Errorf("release verify: --crl: %w", err)
				}
				v.CRLs = append(v.CRLs, crl)
			}
			if at != "" {
				t, err := parseAt(at)
				if err != nil {
					return fmt.Errorf("release verify: --at: %w", err)
				}
				v.Now = func() time.Time { return t }
			}
			out := cmd.OutOrStdout()
			var failed []string
			var reports []signatureReport
			for _, f := range files {
				sig, err := v.VerifyFile(cmd.Context(), f)
				if err != nil {
					return fmt.Errorf("release verify: %w", err)
				}
				if *format == cliout.Text {
					printSignature(out, sig)
				} else {
					reports = append(reports, reportOf(sig))
				}
				if !sig.Valid() {
					failed = append(failed, fmt.Sprintf("%s (%s)", f, sig.Verdict))
				}
			}
			if *format != cliout.Text {
				if err := cliout.List(out, *format, reports, nil); err != nil {
					return err
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("release verify: not valid: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&rootsFile, "roots", "", "trusted root certificates, PEM (default: the system's roots)")
	fl.StringVar(&tsRootsFile, "timestamp-roots", "", "roots trusted for timestamp authorities, PEM (default: --roots)")
	fl.StringVar(&chainFile, "chain", "", "extra intermediate CA certificates, PEM")
	fl.StringArrayVar(&crlFiles, "crl", nil, "certificate revocation list, PEM or DER (repeatable)")
	fl.StringArrayVar(&revoked, "revoked", nil, "revoked certificate thumbprint, SHA-1 or SHA-256 hex (repeatable)")
	fl.StringVar(&at, "at", "", "verify as of this time, RFC 3339 or YYYY-MM-DD (default: now)")
	format = formatFlags(cmd)
	return cmd
}

// parseAt reads --at: an RFC 3339 time or a date (midnight UTC).
func parseAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 like 2026-01-02T15:04:05Z, or a date like 2026-01-02", s)
}

func printSignature(w io.Writer, sig *signing.Signature) {
	head := strings.ToUpper(string(sig.Verdict))
	if sig.ValidByTimestamp {
		head += " (" + sig.Note() + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", sig.Path, head)
	row := func(k, v string) { fmt.Fprintf(w, "  %-16s %s\n", k+":", v) }
	row("signature", string(sig.Kind))
	if sig.SignaturePath != "" {
		row("signature file", sig.SignaturePath)
	}
	if sig.Reason != "" {
		row("problem", sig.Reason)
	}
	if sig.Signer == nil {
		return
	}
	row("signer", sig.Subject)
	row("issuer", sig.Issuer)
	row("thumbprint", sig.Thumbprint+" (SHA-1)")
	row("sha256", sig.SHA256)
	row("serial", sig.Serial)
	validity := fmt.Sprintf("%s to %s", sig.NotBefore.UTC().Format(time.RFC3339), sig.NotAfter.UTC().Format(time.RFC3339))
	if sig.Trusted && !sig.TimeValid {
		validity += " (not valid at " + sig.VerifiedAt.UTC().Format(time.RFC3339) + ")"
	}
	row("validity", validity)
	if sig.Trusted {
		row("chain", "trusted: "+chainNames(sig.Chain))
	} else {
		row("chain", "NOT trusted")
	}
	digest := "does NOT match"
	if sig.DigestOK {
		digest = "matches"
	}
	if sig.DigestAlgorithm != "" {
		digest = sig.DigestAlgorithm + ", " + digest
	}
	row("digest", digest)
	if sig.Description != "" {
		row("description", sig.Description)
	}
	if !sig.SigningTime.IsZero() {
		row("signing time", sig.SigningTime.UTC().Format(time.RFC3339))
	}
	switch {
	case sig.Timestamped:
		ts := sig.TimestampTime.UTC().Format(time.RFC3339)
		if sig.TimestampAuthority != nil {
			ts += " by " + sig.TimestampAuthority.Subject.CommonName
		}
		if sig.TimestampTrusted {
			ts += " (trusted)"
		}
		row("timestamp", ts)
		if note := sig.Note(); note != "" {
			row("time", note)
		}
	case sig.Kind != signing.KindUnsigned:
		row("timestamp", "none: the signature stops verifying when the certificate expires")
	}
}

func chainNames(chain []*x509.Certificate) string {
	names := make([]string, len(chain))
	for i, c := range chain {
		names[i] = c.Subject.CommonName
	}
	return strings.Join(names, " <- ")
}

// signatureReport is the JSON form of a verification result.
type signatureReport struct {
	Path          string            `json:"path"`
	SignaturePath string            `json:"signaturePath,omitempty"`
	Kind          signing.Kind      `json:"kind"`
	Verdict       signing.Verdict   `json:"verdict"`
	Reason        string            `json:"reason,omitempty"`
	Signer        *signing.Identity `json:"signer,omitempty"`
	Trusted       bool              `json:"trusted"`
	TimeValid     bool              `json:"timeValid"`
	Timestamp     *time.Time        `json:"timestamp,omitempty"`
	TimestampOK   bool              `json:"timestampTrusted"`
	ByTimestamp   bool              `json:"validByTimestamp"`
	Note          string            `json:"note,omitempty"`
	Revoked       bool              `json:"revoked"`
	DigestOK      bool              `json:"digestOK"`
	Digest        string            `json:"digestAlgorithm,omitempty"`
	Chain         []string          `json:"chain,omitempty"`
	VerifiedAt    time.Time         `json:"verifiedAt"`
}

func reportOf(sig *signing.Signature) signatureReport {
	r := signatureReport{
		Path: sig.Path, SignaturePath: sig.SignaturePath, Kind: sig.Kind, Verdict: sig.Verdict, Reason: sig.Reason,
		Trusted: sig.Trusted, TimeValid: sig.TimeValid, Revoked: sig.IsRevoked, DigestOK: sig.DigestOK,
		Digest: sig.DigestAlgorithm, VerifiedAt: sig.VerifiedAt,
		TimestampOK: sig.TimestampTrusted, ByTimestamp: sig.ValidByTimestamp, Note: sig.Note(),
	}
	if sig.Timestamped {
		t := sig.TimestampTime
		r.Timestamp = &t
	}
	if sig.Signer != nil {
		id := sig.Identity
		r.Signer = &id
	}
	for _, c := range sig.Chain {
		r.Chain = append(r.Chain, c.Subject.CommonName)
	}
	return r
}
