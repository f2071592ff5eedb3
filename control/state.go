package control

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// ReportState records the connector's own details and each file's health.
// File states for connections the connector does not serve are ignored:
// the answer lists the ones it does, so it learns about unlinked
// companies.
func (p *Plane) ReportState(ctx context.Context, c *qbconnect.Connector, st gateway.State) (*gateway.StateResponse, error) {
	if err := validateConnectorInfo(st.Connector); err != nil {
		return nil, err
	}
	if len(st.Files) > maxFileStates {
		return nil, invalid("at most %d files per report", maxFileStates)
	}
	for i, f := range st.Files {
		prefix := fmt.Sprintf("files[%d].", i)
		if err := CheckTexts(map[string]string{prefix + "connectionId": f.ConnectionID, prefix + "message": f.Message,
			prefix + "userMessage": f.UserMessage, prefix + "resolution": f.Resolution}); err != nil {
			return nil, err
		}
		switch {
		case f.ConnectionID == "":
			return nil, invalid("files[%d].connectionId is required", i)
		case !conditionRE.MatchString(f.Condition):
			return nil, invalid("files[%d].condition must be \"ok\" or a code such as \"qb_closed\", not %q", i, f.Condition)
		case f.HResult != "" && !hresultRE.MatchString(f.HResult):
			return nil, invalid("files[%d].hresult must look like \"0x80040408\", not %q", i, f.HResult)
		case len(f.Message) > 4096 || len(f.UserMessage) > 4096 || len(f.Resolution) > 4096:
			return nil, invalid("files[%d]: messages are limited to 4096 bytes each", i)
		case f.PauseChange != nil && f.Paused != nil:
			return nil, invalid("files[%d]: send pauseChange or the legacy paused level, not both", i)
		}
		if f.PauseChange != nil {
			if err := validatePauseChange(i, f.PauseChange); err != nil {
				return nil, err
			}
		}
	}
	now := p.cfg.Now()
	u := *c
	u.Version = st.Connector.Version
	u.Signer = st.Connector.Signer
	u.Thumbprint = strings.ToLower(st.Connector.Thumbprint)
	u.Hostname = st.Connector.Hostname
	u.LastSeenAt = &now
	if err := p.cfg.Connections.UpdateConnector(ctx, &u); err != nil {
		return nil, err
	}
	conns, err := p.connectorConnections(ctx, c, false)
	if err != nil {
		return nil, err
	}
	for _, f := range st.Files {
		conn := conns[f.ConnectionID]
		if conn == nil || conn.Status != qbconnect.StatusLinked {
			continue
		}
		// The pause is a change the connector sends once, never a level
		// its heartbeat re-asserts: a pause set through the API stays.
		conn, err := p.applyPause(ctx, conn, f)
		if err != nil {
			return nil, err
		}
		conns[conn.ID] = conn
		var h qbconnect.Health
		switch {
		case pausedAt(conn, now):
			h = pausedHealth(conn, now, f.LastRequest, f.LastSuccess)
		default:
			h = qbconnect.Health{
				Code: f.Condition, Message: f.UserMessage, Resolution: f.Resolution, QBCode: normalHRESULT(f.HResult),
				Since: now, LastRequestAt: f.LastRequest, LastSuccessAt: f.LastSuccess, NeedsUser: f.NeedsUser,
			}
			switch {
			case f.Condition == qbconnect.HealthOK && h.Message == "":
				h.Message = "Connected to QuickBooks."
			case h.Message == "":
				h.Message = f.Message
			}
		}
		if err := p.conns.SetHealth(ctx, conn.ID, h); err != nil {
			return nil, err
		}
		if f.Handover != nil {
			p.reportHandover(ctx, c, conn.ID, f.Handover)
		}
	}
	resp := &gateway.StateResponse{Connections: []gateway.Connection{}}
	names := p.names()
	for _, conn := range conns {
		wire, err := names.wire(ctx, conn)
		if err != nil {
			return nil, err
		}
		resp.Connections = append(resp.Connections, wire)
	}
	slices.SortFunc(resp.Connections, func(a, b gateway.Connection) int { return strings.Compare(a.ID, b.ID) })
	resp.Revoked = p.revocation(ctx, c, st.Connector.Version)
	told := make([]*qbconnect.Connection, 0, len(conns))
	for _, conn := range conns {
		told = append(told, conn)
	}
	p.pauses.tell(c.ID, signatures(told))
	return resp, nil
}

// Revocations tells which releases the publisher revoked (package release
// implements it).
type Revocations interface {
	// Revocation returns the revocation of the release with that version;
	// ENotFound when the version is no revoked release.
	Revocation(ctx context.Context, version string) (*qbconnect.Revocation, error)
}

// revocation returns the revocation of the release a connector runs, for
// the answer to its state report; nil when it stands (or cannot be told
// now: the connector hears at its next report).
func (p *Plane) revocation(ctx context.Context, c *qbconnect.Connector, version string) *gateway.Revocation {
	if p.cfg.Revocations == nil || version == "" {
		return nil
	}
	rv, err := p.cfg.Revocations.Revocation(ctx, version)
	if err != nil {
		if qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
			p.cfg.Logger.WarnContext(ctx, "connector: looking up the revocation of its release", "connector", c.ID, "version", version, "err", err)
		}
		return nil
	}
	return &gateway.Revocation{Version: version, Reason: rv.Reason, RevokedAt: rv.At}
}

// HandoverReporter records a connector's certificate-handover step for one
// of its connections in the rotation campaigns that cover it (package
// release implements it). ENotFound when no active campaign covers it.
type HandoverReporter interface {
	ReportHandover(ctx context.Context, connectorID, connectionID string, state qbconnect.CampaignState, subState string) error
}

// reportHandover passes a file's handover step to the releases. A step no
// campaign covers (none active) is not an error of the report: the
// connector's state was recorded.
func (p *Plane) reportHandover(ctx context.Context, c *qbconnect.Connector, connectionID string, h *gateway.Handover) {
	if p.cfg.Handovers == nil {
		return
	}
	err := p.cfg.Handovers.ReportHandover(ctx, c.ID, connectionID, qbconnect.CampaignState(h.State), h.SubState)
	if err != nil && qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		p.cfg.Logger.WarnContext(ctx, "connector: recording a handover step", "connector", c.ID, "connection", connectionID, "state", h.State, "err", err)
	}
}
