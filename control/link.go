package control

import (
	"context"
	"regexp"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Validation of the connector protocol's input.
var (
	conditionRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	hresultRE    = regexp.MustCompile(`^0x[0-9A-Fa-f]{8}$`)
	thumbprintRE = regexp.MustCompile(`^[0-9a-fA-F]{0,128}$`)
)

// Limits of the connector protocol's fields, as the REST API has them for
// the same fields.
const (
	maxFileStates = 200
	maxPathLen    = 1024
	maxNameLen    = 200
)

func validateConnectorInfo(ci gateway.ConnectorInfo) error {
	if err := CheckNames(map[string]string{"connector.version": ci.Version, "connector.signer": ci.Signer,
		"connector.hostname": ci.Hostname, "connector.thumbprint": ci.Thumbprint}); err != nil {
		return err
	}
	switch {
	case ci.Version == "" || len(ci.Version) > 64:
		return invalid("connector.version is required and at most 64 bytes")
	case len(ci.Signer) > 512:
		return invalid("connector.signer is longer than 512 bytes")
	case !thumbprintRE.MatchString(ci.Thumbprint):
		return invalid("connector.thumbprint must be hexadecimal")
	case len(ci.Hostname) > 255:
		return invalid("connector.hostname is longer than 255 bytes")
	}
	return nil
}

func validateFile(prefix string, f gateway.FileIdentity) error {
	if err := CheckNames(map[string]string{prefix + ".path": f.Path, prefix + ".companyName": f.CompanyName,
		prefix + ".fileId": f.FileID}); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(f.Path) == "":
		return invalid("%s.path is required", prefix)
	case len(f.Path) > maxPathLen:
		return invalid("%s.path is longer than %d bytes", prefix, maxPathLen)
	case len(f.CompanyName) > maxNameLen:
		return invalid("%s.companyName is longer than %d bytes", prefix, maxNameLen)
	case len(f.FileID) > 128:
		return invalid("%s.fileId is longer than 128 bytes", prefix)
	}
	return nil
}

func validateFailure(f *gateway.Failure) error {
	if err := CheckTexts(map[string]string{"failure.message": f.Message, "failure.userMessage": f.UserMessage,
		"failure.resolution": f.Resolution}); err != nil {
		return err
	}
	switch {
	case !conditionRE.MatchString(f.Condition):
		return invalid("failure.condition must be a code such as \"qb_closed\" (lowercase letters, digits, _), not %q", f.Condition)
	case f.HResult != "" && !hresultRE.MatchString(f.HResult):
		return invalid("failure.hresult must look like \"0x80040408\", not %q", f.HResult)
	case len(f.Message) > 4096 || len(f.UserMessage) > 4096 || len(f.Resolution) > 4096:
		return invalid("failure messages are limited to 4096 bytes each")
	}
	return nil
}

func connectionWire(c *qbconnect.Connection) gateway.Connection {
	return gateway.Connection{
		ID:          c.ID,
		CompanyID:   c.CompanyID,
		Status:      string(c.Status),
		File:        gateway.FileIdentity(c.File),
		Paused:      c.Paused,
		PausedUntil: c.PausedUntil,
	}
}

// Link redeems a link code for connector c (nil for a new connector). A
// code that is unknown, used or expired is EUnauthorized.
func (p *Plane) Link(ctx context.Context, c *qbconnect.Connector, req gateway.LinkRequest) (*gateway.LinkResponse, error) {
	req.Code = strings.TrimSpace(req.Code)
	if req.Code == "" || len(req.Code) > 64 {
		return nil, invalid("code is required (the link code shown to the client, such as 7KQ2-M9XD)")
	}
	if err := validateFile("file", req.File); err != nil {
		return nil, err
	}
	if err := validateConnectorInfo(req.Connector); err != nil {
		return nil, err
	}
	connectorID := ""
	if c != nil {
		connectorID = c.ID
	}
	about := &qbconnect.Connector{Version: req.Connector.Version, Signer: req.Connector.Signer,
		Thumbprint: strings.ToLower(req.Connector.Thumbprint), Hostname: req.Connector.Hostname}
	// One transaction: a failure leaves the code unused and the connection
	// as it was, never linked to a connector that did not get its
	// credential.
	conn, connector, credential, err := p.conns.RedeemLink(ctx, req.Code, connectorID, qbconnect.FileIdentity(req.File), about)
	if err != nil {
		if code := qbconnect.ErrorCodeOf(err); code == qbconnect.EUnauthorized || code == qbconnect.ENotFound || code == qbconnect.EConflict {
			return nil, &qbconnect.Error{Code: qbconnect.EUnauthorized,
				Message:     "unknown, used or expired link code",
				UserMessage: "This link code is not valid: it may be mistyped, already used, or expired.",
				Resolution:  "Ask for a new link code and enter it within an hour.", Err: err}
		}
		return nil, err
	}
	p.online.touch(connector.ID, p.cfg.Now())
	p.cfg.Logger.InfoContext(ctx, "gateway: connector linked", "connector", connector.ID,
		"connection", conn.ID, "company", conn.CompanyID, "newConnector", credential != "")
	wire, err := p.names().wire(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &gateway.LinkResponse{ConnectorID: connector.ID, Credential: credential, Connection: wire}, nil
}

// nameBook looks up company and organisation names once per request.
type nameBook struct {
	p         *Plane
	companies map[string]string
	orgs      map[string]string
}

func (p *Plane) names() *nameBook {
	return &nameBook{p: p, companies: map[string]string{}, orgs: map[string]string{}}
}

// wire returns conn as the gateway sends it, with its company's and
// organisation's names. A name that cannot be found is left empty.
func (b *nameBook) wire(ctx context.Context, conn *qbconnect.Connection) (gateway.Connection, error) {
	out := connectionWire(conn)
	if out.PausedUntil != nil {
		u := out.PausedUntil.UTC()
		out.PausedUntil = &u
	}
	name, ok := b.companies[conn.CompanyID]
	if !ok {
		c, err := b.p.cfg.Companies.FindCompany(ctx, conn.OrgID, conn.CompanyID)
		switch {
		case err == nil:
			name = c.Name
		case qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound:
			return out, err
		}
		b.companies[conn.CompanyID] = name
	}
	org, ok := b.orgs[conn.OrgID]
	if !ok {
		o, err := b.p.cfg.Orgs.FindOrg(ctx, conn.OrgID)
		switch {
		case err == nil:
			org = o.Name
		case qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound:
			return out, err
		}
		b.orgs[conn.OrgID] = org
	}
	out.CompanyName, out.OrgName = name, org
	return out, nil
}
