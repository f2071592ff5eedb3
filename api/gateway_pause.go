package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Pausing a connection has two owners, one per change: the end user on the
// connector (a gateway.PauseChange in a state report) and the client
// through the REST API (POST .../pause and .../resume). The platform keeps
// the level; each side sends changes, never the level, so that neither
// undoes the other by merely reporting in. The connector learns about a
// REST change from its next state answer, which a poll asks for at once
// (PollResponse.ReportState).

func (s *Server) registerPause(rs *routeSet) {
	const base = "/v1/companies/{companyId}/connections/{connectionId}"
	rs.add("POST", base+"/pause", AuthAPIKey, s.pauseConnection)
	rs.add("POST", base+"/resume", AuthAPIKey, s.resumeConnection)
}

// Health texts of a paused connection, by who paused it.
const (
	pausedLocallyMessage       = "Syncing is paused on the QuickBooks computer."
	pausedLocallyResolution    = "Resume syncing in the qbconnect connector on the QuickBooks computer."
	pausedByPlatformMessage    = "Syncing is paused through the qbconnect API."
	pausedByPlatformResolution = "Resume the connection through the API (POST /v1/companies/{companyId}/connections/{connectionId}/resume)."
)

// pauseLedger remembers what is per connector session rather than per
// connection, and so per process: the last level a legacy connector
// reported (so that only its level changes count) and what each connector
// was last told. Who paused a connection, and which connector change was
// applied last, are kept with the connection (Connection.PausedBy and
// PauseChangeAt), so that every process sharing the database agrees.
type pauseLedger struct {
	mu     sync.Mutex
	legacy map[string]bool
	// told is, per connector, what the last state answer (or poll asking
	// for a report) told it about its connections, so that a change made
	// while it was not waiting in a poll is announced by its next poll.
	told map[string]map[string]pauseSignature
}

func newPauseLedger() *pauseLedger {
	return &pauseLedger{legacy: map[string]bool{}, told: map[string]map[string]pauseSignature{}}
}

// tell records what a connector was told about its connections.
func (l *pauseLedger) tell(connectorID string, sigs map[string]pauseSignature) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.told[connectorID] = sigs
}

// stale reports whether the connector's connections changed since it was
// last told about them (never when this process told it nothing), and
// counts it as told now, so that a report that fails is not asked for in
// a loop: the heartbeat retries it.
func (l *pauseLedger) stale(connectorID string, sigs map[string]pauseSignature) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	told, ok := l.told[connectorID]
	if !ok || sameSignatures(told, sigs) {
		return false
	}
	l.told[connectorID] = sigs
	return true
}

// legacyLevel records a legacy connector's reported level and returns the
// previous one (known is false the first time).
func (l *pauseLedger) legacyLevel(id string, paused bool) (prev, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, known = l.legacy[id]
	l.legacy[id] = paused
	return prev, known
}

// validatePauseChange checks a connector's pause change.
func validatePauseChange(i int, p *gateway.PauseChange) error {
	if err := p.Validate(); err != nil {
		return invalid("files[%d].pauseChange: %s", i, err.Error()[len("pause change: "):])
	}
	return nil
}

// applyPause applies what a state report says about the pause of conn: a
// pause change, or a legacy connector's level when it changed. It returns
// the connection as it now is.
func (s *Server) applyPause(ctx context.Context, conn *qbconnect.Connection, f gateway.FileState) (*qbconnect.Connection, error) {
	p := qbconnect.Pause{By: qbconnect.PausedByConnector}
	switch {
	case f.PauseChange != nil:
		at := f.PauseChange.At.UTC()
		if conn.PauseChangeAt != nil && !at.After(*conn.PauseChangeAt) {
			return conn, nil // already applied; the answer was lost
		}
		p.Paused, p.Until, p.ChangeAt = f.PauseChange.Paused, f.PauseChange.Until, &at
		if p.Until != nil {
			u := p.Until.UTC()
			p.Until = &u
		}
	case f.Paused != nil:
		prev, known := s.pauses.legacyLevel(conn.ID, *f.Paused)
		switch {
		case known && prev != *f.Paused:
		case !known && *f.Paused && !conn.Paused:
			// First report since this process started: a local pause
			// must show on the platform; a "not paused" says nothing.
		default:
			return conn, nil
		}
		p.Paused = *f.Paused
	default:
		return conn, nil
	}
	updated, err := s.cfg.Connections.SetPaused(ctx, conn.OrgID, conn.ID, p)
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "gateway: pause changed on the connector", "connection", conn.ID, "paused", p.Paused, "until", p.Until)
	return updated, nil
}

// pausedAt reports whether conn is paused at now (a pause whose end has
// passed is over).
func pausedAt(conn *qbconnect.Connection, now time.Time) bool {
	return conn.Paused && (conn.PausedUntil == nil || now.Before(*conn.PausedUntil))
}

// pausedHealth is the health of a paused connection, in the words of who
// paused it (Connection.PausedBy). A connection paused before the platform
// kept that keeps a health already saying "paused"; anything else reads as
// the API's pause. Since is kept while the connection stays paused.
func (s *Server) pausedHealth(conn *qbconnect.Connection, now time.Time, lastReq, lastOK *time.Time) qbconnect.Health {
	h := qbconnect.Health{Code: qbconnect.HealthPaused, Since: now, LastRequestAt: lastReq, LastSuccessAt: lastOK}
	if conn.Health.Code == qbconnect.HealthPaused {
		h.Since = conn.Health.Since
	}
	switch {
	case conn.PausedBy == "" && conn.Health.Code == qbconnect.HealthPaused:
		h.Message, h.Resolution, h.NeedsUser = conn.Health.Message, conn.Health.Resolution, conn.Health.NeedsUser
	case conn.PausedBy == qbconnect.PausedByConnector:
		h.Message, h.Resolution, h.NeedsUser = pausedLocallyMessage, pausedLocallyResolution, true
	default:
		h.Message, h.Resolution = pausedByPlatformMessage, pausedByPlatformResolution
	}
	return h
}

// pauseRequest is the optional body of POST .../pause.
type pauseRequest struct {
	// Until ends the pause by itself; absent means until resumed.
	Until *time.Time `json:"until"`
}

// pauseConnection pauses a connection: its queued work waits, and its
// connector shows the pause on the company file's card.
func (s *Server) pauseConnection(w http.ResponseWriter, r *http.Request) error {
	var req pauseRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	now := s.cfg.Now()
	if req.Until != nil {
		if !req.Until.After(now) {
			return invalid("until must be in the future, not %s", req.Until.UTC().Format(time.RFC3339))
		}
		u := req.Until.UTC()
		req.Until = &u
	}
	return s.setPause(w, r, true, req.Until)
}

// resumeConnection ends a connection's pause, whoever set it.
func (s *Server) resumeConnection(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	return s.setPause(w, r, false, nil)
}

func (s *Server) setPause(w http.ResponseWriter, r *http.Request, paused bool, until *time.Time) error {
	ctx := r.Context()
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	if conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized {
		return qbconnect.Errorf(qbconnect.EConflict, "the connection is %s; there is nothing to pause or resume", conn.Status)
	}
	// The API's pause owns it now, even over a pause on the connector.
	updated, err := s.cfg.Connections.SetPaused(ctx, conn.OrgID, conn.ID, qbconnect.Pause{Paused: paused, Until: until, By: qbconnect.PausedByAPI})
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	h := updated.Health
	switch {
	case paused:
		h = s.pausedHealth(updated, now, h.LastRequestAt, h.LastSuccessAt)
	case h.Code == qbconnect.HealthPaused:
		// The connector (asked to report at once) or the Web Connector's
		// next session says how QuickBooks is.
		h = qbconnect.Health{Code: qbconnect.HealthOK, Message: "Syncing resumed.", Since: now,
			LastRequestAt: h.LastRequestAt, LastSuccessAt: h.LastSuccessAt}
	}
	if h != updated.Health {
		if err := s.cfg.Connections.SetHealth(ctx, conn.ID, h); err != nil {
			return err
		}
	}
	if updated, err = s.cfg.Connections.FindConnection(ctx, conn.OrgID, conn.ID); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "api: connection pause changed", "connection", conn.ID, "paused", paused, "until", until)
	writeJSON(w, http.StatusOK, updated)
	return nil
}

// pauseSignature is what a connector must hear about at once when it
// changes on the platform.
type pauseSignature struct {
	status string
	paused bool
	until  time.Time
}

func signatures(conns []*qbconnect.Connection) map[string]pauseSignature {
	out := make(map[string]pauseSignature, len(conns))
	for _, c := range conns {
		sig := pauseSignature{status: string(c.Status), paused: c.Paused}
		if c.PausedUntil != nil {
			sig.until = *c.PausedUntil
		}
		out[c.ID] = sig
	}
	return out
}

// connectionsChanged reports whether the connector's connections changed
// (paused, resumed, linked or unlinked) since before was taken.
func (s *Server) connectionsChanged(ctx context.Context, c *qbconnect.Connector, before map[string]pauseSignature) (bool, error) {
	conns, err := s.dispatch().ConnectorConnections(ctx, c.ID) // dispatch hook: cached connections
	if err != nil {
		return false, err
	}
	now := signatures(conns)
	if sameSignatures(before, now) {
		return false, nil
	}
	s.pauses.tell(c.ID, now)
	return true, nil
}

func sameSignatures(a, b map[string]pauseSignature) bool {
	if len(a) != len(b) {
		return false
	}
	for id, sig := range a {
		if o, ok := b[id]; !ok || !o.until.Equal(sig.until) || o.paused != sig.paused || o.status != sig.status {
			return false
		}
	}
	return true
}

// nameBook looks up company and organisation names once per request.
type nameBook struct {
	s         *Server
	companies map[string]string
	orgs      map[string]string
}

func (s *Server) names() *nameBook {
	return &nameBook{s: s, companies: map[string]string{}, orgs: map[string]string{}}
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
		c, err := b.s.cfg.Companies.FindCompany(ctx, conn.OrgID, conn.CompanyID)
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
		o, err := b.s.cfg.Orgs.FindOrg(ctx, conn.OrgID)
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
