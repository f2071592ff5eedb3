package control

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
)

// onlineSet remembers when each connector last made a request to this
// process and how many of its polls are open.
type onlineSet struct {
	mu      sync.Mutex
	last    map[string]time.Time
	polling map[string]int
}

func newOnlineSet() *onlineSet {
	return &onlineSet{last: make(map[string]time.Time), polling: make(map[string]int)}
}

func (o *onlineSet) touch(id string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last[id] = now
}

// startPoll and endPoll bracket a long-poll: a connector waiting in a poll is
// online however long ago the poll began.
func (o *onlineSet) startPoll(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.polling[id]++
}

func (o *onlineSet) endPoll(id string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last[id] = now
	if o.polling[id]--; o.polling[id] <= 0 {
		delete(o.polling, id)
	}
}

func (o *onlineSet) openPolls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, k := range o.polling {
		n += k
	}
	return n
}

func (o *onlineSet) count(now time.Time, window time.Duration) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for id, t := range o.last {
		if o.polling[id] > 0 || now.Sub(t) <= window {
			n++
		}
	}
	return n
}

// expire forgets and returns the connectors silent for longer than window.
func (o *onlineSet) expire(now time.Time, window time.Duration) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ids []string
	for id, t := range o.last {
		if o.polling[id] == 0 && now.Sub(t) > window {
			ids = append(ids, id)
			delete(o.last, id)
		}
	}
	return ids
}

// Authenticate returns the connector holding credential and counts it
// online in this process (the store records LastSeenAt). An unknown or
// revoked credential is EUnauthorized, alike, so that an answer never tells
// one from the other; other failures pass through.
func (p *Plane) Authenticate(ctx context.Context, credential string) (*qbconnect.Connector, error) {
	c, err := p.cfg.Dispatch.AuthenticateConnector(ctx, credential)
	if err != nil {
		if code := qbconnect.ErrorCodeOf(err); code == qbconnect.EUnauthorized || code == qbconnect.ENotFound {
			return nil, &qbconnect.Error{Code: qbconnect.EUnauthorized, Message: "unknown or revoked connector credential", Err: err}
		}
		return nil, err
	}
	p.online.touch(c.ID, p.cfg.Now())
	return c, nil
}

// OnlineConnectors counts the connectors that made a request to this
// process within the online window, or wait in a poll.
func (p *Plane) OnlineConnectors() int { return p.online.count(p.cfg.Now(), p.cfg.OnlineWindow) }

// OpenPolls counts the long-polls open in this process.
func (p *Plane) OpenPolls() int { return p.online.openPolls() }

// connectorFinder is implemented by connection services that can look up a
// connector by ID; SweepOffline then checks the shared LastSeenAt, so that a
// connector polling another process is not marked offline here.
type connectorFinder interface {
	FindConnector(ctx context.Context, id string) (*qbconnect.Connector, error)
}

// SweepOffline marks the connections of every connector that has been
// silent for longer than the online window (and that this process saw) as
// connector_offline. The server's background loop calls it periodically; it
// returns the number of connections marked.
//
// A connector that polls another process sharing the database is not
// marked offline when the connection service can tell its LastSeenAt; in any
// case its next poll, wherever it lands, marks its connections online again.
func (p *Plane) SweepOffline(ctx context.Context) (int, error) {
	now := p.cfg.Now()
	n := 0
	for _, id := range p.online.expire(now, p.cfg.OnlineWindow) {
		if f, ok := p.cfg.Connections.(connectorFinder); ok {
			c, err := f.FindConnector(ctx, id)
			if err != nil && qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
				return n, fmt.Errorf("sweep offline connector %s: %w", id, err)
			}
			if c != nil && c.LastSeenAt != nil && now.Sub(*c.LastSeenAt) <= p.cfg.OnlineWindow {
				continue
			}
		}
		conns, err := p.cfg.Connections.ConnectorConnections(ctx, id)
		if err != nil {
			return n, fmt.Errorf("sweep offline connector %s: %w", id, err)
		}
		for _, conn := range conns {
			if conn.Status != qbconnect.StatusLinked || conn.Health.Code == qbconnect.HealthConnectorOffline {
				continue
			}
			h := qbconnect.Health{
				Code:          qbconnect.HealthConnectorOffline,
				Message:       "The qbconnect connector on the QuickBooks computer is not reachable.",
				Resolution:    "Turn on the computer that runs QuickBooks, log in to Windows and make sure the qbconnect connector is running.",
				Since:         now,
				LastRequestAt: conn.Health.LastRequestAt,
				LastSuccessAt: conn.Health.LastSuccessAt,
				NeedsUser:     true,
			}
			if err := p.conns.SetHealth(ctx, conn.ID, h); err != nil {
				return n, fmt.Errorf("sweep offline connection %s: %w", conn.ID, err)
			}
			n++
		}
	}
	return n, nil
}
