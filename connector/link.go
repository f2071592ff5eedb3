package connector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// LinkRequest is what `qbconnector link` asks for.
type LinkRequest struct {
	// Platform is the platform's base URL; it may be "" when the connector
	// is already linked to one.
	Platform string `json:"platform,omitempty"`
	// Code is the link code the client application gave the end user.
	Code string `json:"code"`
	// File is the company file to link; "" means the one open in
	// QuickBooks.
	File string `json:"file,omitempty"`
}

// Linker links company files. It changes Config in memory; the caller
// saves it.
type Linker struct {
	Config     *Config
	QuickBooks *QuickBooks
	// Gateway returns the platform client for a base URL and credential.
	Gateway  func(platform, credential string) (gateway.Service, error)
	Identity Identity
	Now      func() time.Time
}

// Link reads the identity of the company file (stamping it with a new
// private file ID if it has none), redeems the link code with the platform,
// and adds the file to the configuration. Nothing changes when the code is
// refused, except the stamp, which is harmless and reused next time.
func (l *Linker) Link(ctx context.Context, req LinkRequest) (*LinkedFile, error) {
	req.Code = strings.TrimSpace(req.Code)
	req.Platform = strings.TrimRight(strings.TrimSpace(req.Platform), "/")
	if req.Code == "" {
		return nil, errors.New("connector: the link code is required (--code)")
	}
	platform := l.Config.PlatformURL
	switch {
	case req.Platform == "" && platform == "":
		return nil, errors.New("connector: the platform's address is required (--platform URL)")
	case req.Platform != "" && platform != "" && req.Platform != platform && len(l.Config.Files) > 0:
		return nil, fmt.Errorf("connector: this connector is linked to %s; unlink its company files before linking to %s", platform, req.Platform)
	case req.Platform != "":
		platform = req.Platform
	}
	open, err := l.QuickBooks.Open(ctx, req.File)
	if err != nil {
		return nil, openProblem(err, req.File)
	}
	defer l.QuickBooks.Close(ctx)
	for _, f := range l.Config.Files {
		if (open.FileID != "" && f.File.FileID == open.FileID) || (open.FileID == "" && qbd.SameFile(f.File.Path, open.Path)) {
			return nil, fmt.Errorf("connector: %q (%s) is already linked (connection %s)", open.CompanyName, open.Path, f.ConnectionID)
		}
	}
	if open.FileID == "" {
		id, err := newFileID()
		if err != nil {
			return nil, err
		}
		if err := l.QuickBooks.Stamp(ctx, id); err != nil {
			return nil, fmt.Errorf("connector: cannot stamp the company file's identity: %w", err)
		}
		open.FileID = id
	}
	cred := ""
	if platform == l.Config.PlatformURL {
		cred = l.Config.Credential
	}
	gw, err := l.Gateway(platform, cred)
	if err != nil {
		return nil, err
	}
	resp, err := gw.Link(ctx, gateway.LinkRequest{Code: req.Code, File: open.Identity(), Connector: l.Identity.Info()})
	if err != nil {
		return nil, PlatformProblem(platform, "the link", err)
	}
	if got := resp.Connection.File.FileID; got != "" && got != open.FileID {
		if err := l.QuickBooks.Stamp(ctx, got); err != nil {
			return nil, fmt.Errorf("connector: cannot stamp the company file with the platform's file ID: %w", err)
		}
		open.FileID = got
	}
	l.Config.PlatformURL = platform
	l.Config.ConnectorID = resp.ConnectorID
	if resp.Credential != "" {
		l.Config.Credential = resp.Credential
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	lf := LinkedFile{
		ConnectionID: resp.Connection.ID, CompanyID: resp.Connection.CompanyID,
		CompanyName: resp.Connection.CompanyName, OrgName: resp.Connection.OrgName,
		File: open.Identity(), LinkedAt: now().UTC(), AuthorizedThumbprint: l.Identity.Thumbprint,
	}
	if c := resp.Connection; c.PausedAt(now()) {
		// Paused on the platform before the file was linked.
		lf.Paused, lf.PausedUntil, lf.PausedBy = true, c.PausedUntil, PausedByPlatform
	}
	l.Config.Files = append(l.Config.Files, lf)
	return &lf, nil
}

// openProblem explains why QuickBooks did not open the company file to
// link: the state QuickBooks' answer maps to, with what to do worded for
// the link command.
func openProblem(err error, file string) error {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	cond := qbd.DiagnoseFile(err, "", file)
	if errors.Is(err, qbd.ErrAuthPending) {
		// Not a failure: the link timed out while QuickBooks still asks.
		return &Problem{Code: cond.Code, What: cond.Message, Do: forLinking(cond.Resolution)}
	}
	what := cond.Message
	if unreachable(err) {
		// Only the simulator's driver talks over the network.
		return &Problem{Code: cond.Code, What: "The QuickBooks simulator did not answer: nothing listens at its address (--qbdsim).",
			Do: "Start the simulator (\"qbdsim serve\") and give the address it prints with --qbdsim, then run the link command again.", Err: err}
	}
	if cond.Code == qbd.CondUnknown {
		what = "QuickBooks did not open the company file, with an error the connector does not know."
	}
	return &Problem{Code: cond.Code, What: what, Do: forLinking(cond.Resolution), Err: err}
}

func newFileID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "fid_" + hex.EncodeToString(b), nil
}
