package control

import (
	"context"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Pausing a connection has two owners, one per change: the end user on the
// connector (a gateway.PauseChange in a state report) and the client
// through the REST API (SetPause). The platform keeps the level; each side
// sends changes, never the level, so that neither undoes the other by
// merely reporting in. The connector learns about a REST change from its
// next state answer, which a poll asks for at once
// (PollResponse.ReportState).

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
	if !l.changedLocked(connectorID, sigs) {
		return false
	}
	l.told[connectorID] = sigs
	return true
}

// changed is stale without counting the connector as told: a result's
// answer leaves the telling to the poll it then makes.
func (l *pauseLedger) changed(connectorID string, sigs map[string]pauseSignature) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changedLocked(connectorID, sigs)
}

func (l *pauseLedger) changedLocked(connectorID string, sigs map[string]pauseSignature) bool {
	told, ok := l.told[connectorID]
	return ok && !sameSignatures(told, sigs)
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
func (p *Plane) applyPause(ctx context.Context, conn *qbconnect.Connection, f gateway.FileState) (*qbconnect.Connection, error) {
	pz := qbconnect.Pause{By: qbconnect.PausedByConnector}
	switch {
	case f.PauseChange != nil:
		at := f.PauseChange.At.UTC()
		if conn.PauseChangeAt != nil && !at.After(*conn.PauseChangeAt) {
			return conn, nil // already applied; the answer was lost
		}
		pz.Paused, pz.Until, pz.ChangeAt = f.PauseChange.Paused, f.PauseChange.Until, &at
		if pz.Until != nil {
			u := pz.Until.UTC()
			pz.Until = &u
		}
	case f.Paused != nil:
		prev, known := p.pauses.legacyLevel(conn.ID, *f.Paused)
		switch {
		case known && prev != *f.Paused:
		case !known && *f.Paused && !conn.Paused:
			// First report since this process started: a local pause
			// must show on the platform; a "not paused" says nothing.
		default:
			return conn, nil
		}
		pz.Paused = *f.Paused
	default:
		return conn, nil
	}
	updated, err := p.conns.SetPaused(ctx, conn.OrgID, conn.ID, pz)
	if err != nil {
		return nil, err
	}
	p.cfg.Logger.InfoContext(ctx, "gateway: pause changed on the connector", "connection", conn.ID, "paused", pz.Paused, "until", pz.Until)
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
func pausedHealth(conn *qbconnect.Connection, now time.Time, lastReq, lastOK *time.Time) qbconnect.Health {
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
func (p *Plane) connectionsChanged(ctx context.Context, c *qbconnect.Connector, before map[string]pauseSignature) (bool, error) {
	conns, err := p.cfg.Dispatch.ConnectorConnections(ctx, c.ID)
	if err != nil {
		return false, err
	}
	now := signatures(conns)
	if sameSignatures(before, now) {
		return false, nil
	}
	p.pauses.tell(c.ID, now)
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

// SetPause pauses (until until, nil meaning until resumed) or resumes a
// connection through the REST API, which then owns the pause even over one
// set on the connector, and returns the connection as it now is. EConflict
// for an unlinked or deauthorized connection.
func (p *Plane) SetPause(ctx context.Context, conn *qbconnect.Connection, paused bool, until *time.Time) (*qbconnect.Connection, error) {
	if conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized {
		return nil, qbconnect.Errorf(qbconnect.EConflict, "the connection is %s; there is nothing to pause or resume", conn.Status)
	}
	updated, err := p.conns.SetPaused(ctx, conn.OrgID, conn.ID, qbconnect.Pause{Paused: paused, Until: until, By: qbconnect.PausedByAPI})
	if err != nil {
		return nil, err
	}
	now := p.cfg.Now()
	h := updated.Health
	switch {
	case paused:
		h = pausedHealth(updated, now, h.LastRequestAt, h.LastSuccessAt)
	case h.Code == qbconnect.HealthPaused:
		// The connector (asked to report at once) or the Web Connector's
		// next session says how QuickBooks is.
		h = qbconnect.Health{Code: qbconnect.HealthOK, Message: "Syncing resumed.", Since: now,
			LastRequestAt: h.LastRequestAt, LastSuccessAt: h.LastSuccessAt}
	}
	if h != updated.Health {
		if err := p.conns.SetHealth(ctx, conn.ID, h); err != nil {
			return nil, err
		}
	}
	if updated, err = p.cfg.Connections.FindConnection(ctx, conn.OrgID, conn.ID); err != nil {
		return nil, err
	}
	p.cfg.Logger.InfoContext(ctx, "api: connection pause changed", "connection", conn.ID, "paused", paused, "until", until)
	return updated, nil
}
