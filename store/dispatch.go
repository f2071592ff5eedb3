package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Dispatcher is what one process knows about each connector, so that a
// connector's idle long-poll costs no database query: whether runnable
// work may exist for it (Claim), its connections (ConnectorConnections)
// and its credential (AuthenticateConnector). One exists per DB
// (DB.Dispatcher).
//
// It learns of changes from the notifications every write transaction
// already sends (tx.notify): in this process after commit and, with
// PostgreSQL, from every process through LISTEN. Any notification naming
// a connector (work enqueued, an item finished or re-queued, a connection
// paused, resumed, linked, unlinked or its health changed, a lease handed
// out by any process) marks its work "may exist"; a change to one of its
// connections (connectionsKey, sent beside the connector's own key) also
// drops its cached connections, which work coming and going leaves as
// they were; a revocation drops its cached credential. When the listener
// loses its connection, everything is forgotten.
//
// Nothing it keeps is authoritative: a Claim that runs queries the
// database and its transaction decides, as Lease always did. Memory only
// decides when to skip the query: after a Claim found nothing and no
// notification for the connector arrived since, until the earliest time
// work may become runnable by itself (a back-off or not-before ending, a
// timed pause ending, a lease expiring) or a backstop period, whichever
// comes first. The backstop, and the TTLs of the cached connections and
// credentials, bound what a missed notification could cost; with SQLite,
// whose other processes (the admin CLI) notify nobody, they are short.
type Dispatcher struct {
	db *DB

	mu         sync.Mutex
	connectors map[string]*connectorMemo
	creds      map[string]*credMemo // by credential hash
	// credEpoch counts revocations (and lost notifications), so that a
	// credential read before one is not cached after it.
	credEpoch uint64
	// seen is when each connector last authenticated through the cache,
	// until FlushSeen writes it.
	seen map[string]time.Time
	// apiKeys are the API keys read, by secret hash (PostgreSQL only);
	// apiKeyEpoch counts revocations, as credEpoch does.
	apiKeys     map[string]*apiKeyMemo
	apiKeyEpoch uint64

	// Counters, for tests and metrics.
	claimsSkipped, claimsRun, credHits, connHits uint64
}

// connectorMemo is what the dispatcher knows about one connector.
type connectorMemo struct {
	// gen counts the notifications that named the connector.
	gen uint64
	// idle: the last claim found no runnable work and gen has not changed
	// since; it holds until idleUntil.
	idle      bool
	idleUntil time.Time
	// connsGen counts the notifications that changed one of the
	// connector's connections; conns are the connections as read while
	// it did not change, kept until connsUntil.
	connsGen   uint64
	conns      []*qbconnect.Connection
	connsUntil time.Time
	hasConns   bool
	// lastUsed lets Forget drop connectors gone quiet.
	lastUsed time.Time
	// written is when this process last wrote the connector's
	// last_seen_at.
	written time.Time
}

type credMemo struct {
	connector *qbconnect.Connector
	until     time.Time
}

type apiKeyMemo struct {
	key   qbconnect.APIKey
	until time.Time
}

// Notification keys other than a connector's or connection's ID.
const (
	leasedPrefix      = "leased:"
	credentialPrefix  = "credential:"
	connectionsPrefix = "connections:"
	// apiKeysKey: an API key was revoked.
	apiKeysKey = "api-keys"
)

func leasedKey(connectorID string) string      { return leasedPrefix + connectorID }
func credentialKey(connectorID string) string  { return credentialPrefix + connectorID }
func connectionsKey(connectorID string) string { return connectionsPrefix + connectorID }

// notifyConnectionsChanged wakes, after commit, the connector serving a
// connection that tx changed as the connector sees it (linked, unlinked,
// paused, resumed, its health), and makes every dispatcher read the
// connector's connections again. connectorID "" is none.
func notifyConnectionsChanged(ctx context.Context, tx *tx, connectorID string) error {
	if connectorID == "" {
		return nil
	}
	if err := tx.notify(ctx, connectionsKey(connectorID)); err != nil {
		return err
	}
	return tx.notify(ctx, connectorID)
}

func newDispatcher(db *DB) *Dispatcher {
	return &Dispatcher{db: db, connectors: map[string]*connectorMemo{}, creds: map[string]*credMemo{}, seen: map[string]time.Time{},
		apiKeys: map[string]*apiKeyMemo{}}
}

// Dispatcher returns the database's dispatcher.
func (db *DB) Dispatcher() *Dispatcher { return db.dispatch }

// Periods after which what the dispatcher remembers is read again even
// though no notification said it changed. With PostgreSQL every change is
// notified; with SQLite another process (the admin CLI) may write the file
// without telling this one, so memory is kept no longer than a long-poll.
func (d *Dispatcher) periods() (idle, conns, creds time.Duration) {
	if d.db.dialect == Postgres {
		return 5 * time.Minute, 5 * time.Minute, 2 * time.Minute
	}
	return 30 * time.Second, 30 * time.Second, 30 * time.Second
}

// jitter spreads d over [0.75d, d), so that connectors first seen
// together do not all query again in the same second.
func jitter(d time.Duration) time.Duration {
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

func (d *Dispatcher) memo(id string, now time.Time) *connectorMemo {
	m := d.connectors[id]
	if m == nil {
		m = &connectorMemo{}
		d.connectors[id] = m
	}
	m.lastUsed = now
	return m
}

// notified is called for every notification, before its waiters wake.
func (d *Dispatcher) notified(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case key == apiKeysKey:
		d.apiKeyEpoch++
		clear(d.apiKeys)
		return
	case strings.HasPrefix(key, credentialPrefix):
		id := strings.TrimPrefix(key, credentialPrefix)
		d.credEpoch++
		for h, c := range d.creds {
			if c.connector.ID == id {
				delete(d.creds, h)
			}
		}
		return
	case strings.HasPrefix(key, leasedPrefix):
		// A lease handed out: the connector's next poll re-offers it
		// should it have been lost; its connections did not change.
		if m := d.connectors[strings.TrimPrefix(key, leasedPrefix)]; m != nil {
			m.gen++
			m.idle = false
		}
		return
	case strings.HasPrefix(key, connectionsPrefix):
		if m := d.connectors[strings.TrimPrefix(key, connectionsPrefix)]; m != nil {
			m.gen++
			m.idle = false
			m.connsGen++
			m.hasConns, m.conns = false, nil
		}
		return
	}
	if m := d.connectors[key]; m != nil {
		m.gen++
		m.idle = false
	}
}

// notifiedAll is called when notifications may have been lost.
func (d *Dispatcher) notifiedAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.connectors {
		m.gen++
		m.idle = false
		m.connsGen++
		m.hasConns, m.conns = false, nil
	}
	d.credEpoch++
	clear(d.creds)
	d.apiKeyEpoch++
	clear(d.apiKeys)
}

// Claim leases the connector's next runnable item, as QueueStore.Lease does,
// unless the dispatcher knows there is none: then it returns nil without
// a query. With reoffer (the first claim of a poll) it also ends the
// connector's live leases first, as QueueStore.ReofferLeases does, and returns
// how many it ended; a connector known to hold none is not asked.
func (d *Dispatcher) Claim(ctx context.Context, connectorID string, ttl time.Duration, reoffer bool) (*qbconnect.Lease, int, error) {
	now := d.db.opts.Now()
	d.mu.Lock()
	m := d.memo(connectorID, now)
	if m.idle && now.Before(m.idleUntil) {
		d.claimsSkipped++
		d.mu.Unlock()
		return nil, 0, nil
	}
	gen := m.gen
	d.claimsRun++
	d.mu.Unlock()

	c, err := NewQueueStore(d.db).claim(ctx, connectorID, "", ttl, reoffer)
	if err != nil {
		return nil, 0, err
	}
	if c.lease == nil && c.reoffered == 0 {
		idle, _, _ := d.periods()
		until := now.Add(jitter(idle))
		if !c.retryAt.IsZero() && c.retryAt.Before(until) {
			until = c.retryAt
		}
		d.mu.Lock()
		if m.gen == gen {
			m.idle, m.idleUntil = true, until
		}
		d.mu.Unlock()
	}
	return c.lease, c.reoffered, nil
}

// Wait returns a channel closed when work may be available for the
// connector, as QueueStore.Wait does.
func (d *Dispatcher) Wait(connectorID string) <-chan struct{} { return d.db.hub.wait(connectorID) }

// ConnectorConnections returns the connections the connector serves, as
// ConnectionStore.ConnectorConnections does, from memory when no
// notification said one of them changed since they were read. Each call returns
// copies the caller may change.
func (d *Dispatcher) ConnectorConnections(ctx context.Context, connectorID string) ([]*qbconnect.Connection, error) {
	now := d.db.opts.Now()
	d.mu.Lock()
	m := d.memo(connectorID, now)
	if m.hasConns && now.Before(m.connsUntil) {
		d.connHits++
		out := copyConnections(m.conns)
		d.mu.Unlock()
		return out, nil
	}
	gen := m.connsGen
	d.mu.Unlock()

	conns, err := NewConnectionStore(d.db).ConnectorConnections(ctx, connectorID)
	if err != nil {
		return nil, err
	}
	_, ttl, _ := d.periods()
	d.mu.Lock()
	if m.connsGen == gen {
		m.conns, m.connsUntil, m.hasConns = copyConnections(conns), now.Add(jitter(ttl)), true
	}
	d.mu.Unlock()
	return conns, nil
}

func copyConnections(list []*qbconnect.Connection) []*qbconnect.Connection {
	out := make([]*qbconnect.Connection, len(list))
	for i, c := range list {
		cp := *c
		out[i] = &cp
	}
	return out
}

// AuthenticateConnector returns the connector for a credential, as
// ConnectionStore.AuthenticateConnector does, from memory for a
// credential seen within the credential period and not revoked since
// (every process hears of a revocation). It records the connector as seen;
// FlushSeen writes that.
func (d *Dispatcher) AuthenticateConnector(ctx context.Context, credential string) (*qbconnect.Connector, error) {
	if !strings.HasPrefix(credential, connectorCredentialPrefix) {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown connector credential")
	}
	hash := string(hashSecret(credential))
	now := d.db.opts.Now()
	d.mu.Lock()
	if c := d.creds[hash]; c != nil && now.Before(c.until) {
		d.credHits++
		d.seen[c.connector.ID] = now
		out := *c.connector
		d.mu.Unlock()
		seen := now.UTC()
		out.LastSeenAt = &seen
		return &out, nil
	}
	epoch := d.credEpoch
	d.mu.Unlock()

	c, err := NewConnectionStore(d.db).AuthenticateConnector(ctx, credential)
	if err != nil {
		return nil, err
	}
	_, _, ttl := d.periods()
	d.mu.Lock()
	if d.credEpoch == epoch {
		cp := *c
		d.creds[hash] = &credMemo{connector: &cp, until: now.Add(jitter(ttl))}
	}
	// AuthenticateConnector wrote last_seen_at if it was old.
	if c.LastSeenAt != nil {
		m := d.memo(c.ID, now)
		m.written = *c.LastSeenAt
	}
	d.mu.Unlock()
	return c, nil
}

// apiKey returns a copy of the API key remembered for a secret hash, or
// nil, and the revocation epoch to pass to rememberAPIKey. Only with
// PostgreSQL, where every revocation reaches every process: SQLite's
// other processes (the admin CLI) revoke without telling this one.
func (d *Dispatcher) apiKey(hash string, now time.Time) (*qbconnect.APIKey, uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m := d.apiKeys[hash]; m != nil && now.Before(m.until) {
		k := m.key
		return &k, d.apiKeyEpoch
	}
	return nil, d.apiKeyEpoch
}

// rememberAPIKey remembers k, unless a key was revoked since epoch.
func (d *Dispatcher) rememberAPIKey(hash string, k *qbconnect.APIKey, epoch uint64, now time.Time) {
	if d.db.dialect != Postgres {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.apiKeyEpoch != epoch {
		return
	}
	until := now.Add(jitter(2 * time.Minute))
	if m := d.apiKeys[hash]; m != nil && now.Before(m.until) {
		until = m.until
	}
	d.apiKeys[hash] = &apiKeyMemo{key: *k, until: until}
}

// FlushSeen writes the last_seen_at of the connectors that authenticated
// from memory, for those whose stored time is older than
// lastSeenGranularity, in a few statements. The server's sweep calls it
// (and Close), so other processes (SweepOffline) see the connectors this
// one serves. It returns how many connectors it wrote.
func (d *Dispatcher) FlushSeen(ctx context.Context) (int, error) {
	d.mu.Lock()
	// Seen times, rounded down to 5 s so that one statement writes many.
	groups := map[int64][]string{}
	for id, t := range d.seen {
		m := d.memo(id, t)
		if t.Sub(m.written) < lastSeenGranularity {
			continue
		}
		at := t.UTC().Truncate(5 * time.Second)
		groups[micros(at)] = append(groups[micros(at)], id)
		m.written = at
	}
	clear(d.seen)
	d.mu.Unlock()
	n := 0
	for at, ids := range groups {
		slices.Sort(ids)
		for chunk := range slices.Chunk(ids, 500) {
			args := []any{at, at}
			for _, id := range chunk {
				args = append(args, id)
			}
			err := d.db.inTx(ctx, func(tx *tx) error {
				_, err := tx.exec(ctx, "UPDATE connectors SET last_seen_at = ? WHERE (last_seen_at IS NULL OR last_seen_at < ?) AND id IN (?"+
					strings.Repeat(", ?", len(chunk)-1)+")", args...)
				return err
			})
			if err != nil {
				return n, fmt.Errorf("record connectors seen: %w", err)
			}
			n += len(chunk)
		}
	}
	return n, nil
}

// Forget drops what the dispatcher keeps about connectors it has not
// served for idle: a connector it knows nothing about is asked about
// again, so forgetting is always safe. The sweep calls it.
func (d *Dispatcher) Forget(idle time.Duration) int {
	now := d.db.opts.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for id, m := range d.connectors {
		if now.Sub(m.lastUsed) > idle {
			if _, pending := d.seen[id]; pending {
				continue
			}
			delete(d.connectors, id)
			n++
		}
	}
	for h, c := range d.creds {
		if !now.Before(c.until) {
			delete(d.creds, h)
		}
	}
	return n
}

// DispatchStats counts what the dispatcher answered from memory.
type DispatchStats struct {
	Connectors                      int
	ClaimsSkipped, ClaimsRun        uint64
	CredentialHits, ConnectionsHits uint64
	CachedCredentials               int
}

// Stats returns the dispatcher's counters.
func (d *Dispatcher) Stats() DispatchStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DispatchStats{Connectors: len(d.connectors), ClaimsSkipped: d.claimsSkipped, ClaimsRun: d.claimsRun,
		CredentialHits: d.credHits, ConnectionsHits: d.connHits, CachedCredentials: len(d.creds)}
}
