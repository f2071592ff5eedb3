package connector

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/signing"
)

// Unsigned is the signer reported by a connector whose executable carries no
// signature.
const Unsigned = "unsigned"

// Identity is what the connector knows about itself: its version and the
// certificate its executable is signed with.
type Identity struct {
	// Version is set at build time (-ldflags "-X main.version=...").
	Version string
	// Program is the path of the running executable.
	Program string
	// Signer is the subject of the signing certificate, or "unsigned".
	Signer string
	// Thumbprint is the SHA-1 thumbprint of the signing certificate in
	// lowercase hex; "" when unsigned.
	Thumbprint string
	// Verdict is the signature's verdict from the verifier's point of view
	// ("valid", "untrusted", "expired", ...); informative only, since
	// QuickBooks decides what it trusts.
	Verdict string
	// Hostname is the computer's name.
	Hostname string
	// NotAfter is when the signing certificate expires (zero when
	// unsigned); Timestamped whether the signature carries a timestamp
	// that keeps it valid after that.
	NotAfter    time.Time
	Timestamped bool
}

// ProgramVerifier verifies the signature of a file; *signing.Verifier
// satisfies it.
type ProgramVerifier interface {
	VerifyFile(ctx context.Context, path string) (*signing.Signature, error)
}

// LoadIdentity returns the identity of program (the running executable when
// ""), verified with v. A nil v verifies against the publisher roots
// pinned beside the program (PROGRAM.roots.pem, which the installer puts
// there and self-update trusts), else against the system's roots. The
// pinned roots are checked in Go; the system's, on Windows, by CryptoAPI,
// whose chain building never returns in a service started by Wine's
// service manager (it returns in a console): see the Wine test. A file
// that cannot be read or verified is reported as unsigned.
func LoadIdentity(ctx context.Context, version, program string, v ProgramVerifier) Identity {
	if version == "" {
		version = "dev"
	}
	id := Identity{Version: version, Signer: Unsigned, Verdict: string(signing.Unsigned)}
	id.Hostname, _ = os.Hostname()
	if program == "" {
		if p, err := os.Executable(); err == nil {
			program = p
		}
	}
	id.Program = program
	if program == "" {
		return id
	}
	if v == nil {
		sv := &signing.Verifier{}
		if roots, err := LoadRoots(program); err == nil {
			sv.Roots = roots
		}
		v = sv
	}
	sig, err := v.VerifyFile(ctx, program)
	if err != nil || sig == nil || sig.Signer == nil {
		return id
	}
	id.Signer = sig.Signer.Subject.String()
	id.Thumbprint = strings.ToLower(signing.Thumbprint(sig.Signer))
	id.Verdict = string(sig.Verdict)
	id.NotAfter = sig.Signer.NotAfter
	id.Timestamped = sig.Timestamped && sig.TimestampTrusted
	return id
}

// Info returns the identity as the gateway protocol reports it.
func (id Identity) Info() gateway.ConnectorInfo {
	return gateway.ConnectorInfo{Version: id.Version, Signer: id.Signer, Thumbprint: id.Thumbprint, Hostname: id.Hostname}
}
