package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// hub wakes waiters in this process. Each key (a connector or connection ID)
// has one channel that is closed, and forgotten, on the next notification.
//
// Every notification passes through observer first (the dispatcher, which
// keeps what it knows about each connector), so that a waiter it wakes
// never reads what the notification made out of date.
//
// With PostgreSQL a process hears its own notifications twice: at once
// after its commit (notify) and again through LISTEN (notifyRemote).
// PostgreSQL delivers notifications in commit order, so the echo of a
// local commit comes before any later commit's: echoes counts, per key,
// the local ones whose echo has not arrived yet, and notifyRemote drops
// that many, so that an echo neither wakes waiters nor makes the
// dispatcher query again for nothing. An echo that does not come within
// echoWindow (lost with the listener's connection) is no longer waited
// for.
type hub struct {
	mu       sync.Mutex
	chans    map[string]chan struct{}
	observer interface {
		notified(key string)
		notifiedAll()
	}
	// listening: a listener delivers this process's own notifications
	// back.
	listening bool
	echoes    map[string]echo
}

type echo struct {
	n  int
	at time.Time
}

const echoWindow = 5 * time.Second

func newHub() *hub {
	return &hub{chans: make(map[string]chan struct{}), echoes: make(map[string]echo)}
}

// expectEchoes is called just before a commit that sends keys: their
// echoes may arrive before the commit returns. PostgreSQL delivers in
// commit order, so a notification of an earlier commit that arrives
// meanwhile is taken for the echo; the local notify after the commit
// covers it.
func (h *hub) expectEchoes(keys []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.listening {
		return
	}
	now := time.Now()
	for _, key := range keys {
		e := h.echoes[key]
		if now.Sub(e.at) > echoWindow {
			e.n = 0
		}
		h.echoes[key] = echo{n: e.n + 1, at: now}
	}
}

// commitFailed undoes expectEchoes and notifies keys: a notification
// taken for an echo meanwhile is not lost.
func (h *hub) commitFailed(keys []string) {
	h.mu.Lock()
	for _, key := range keys {
		if e, ok := h.echoes[key]; ok {
			if e.n--; e.n <= 0 {
				delete(h.echoes, key)
			} else {
				h.echoes[key] = e
			}
		}
	}
	h.mu.Unlock()
	for _, key := range keys {
		h.notify(key)
	}
}

// notifyRemote is notify for a notification heard through LISTEN.
func (h *hub) notifyRemote(key string) {
	h.mu.Lock()
	if e, ok := h.echoes[key]; ok {
		if e.n--; e.n <= 0 || time.Since(e.at) > echoWindow {
			delete(h.echoes, key)
		} else {
			h.echoes[key] = e
		}
		if time.Since(e.at) <= echoWindow {
			h.mu.Unlock()
			return // the echo of a local commit, already notified
		}
	}
	h.mu.Unlock()
	h.notify(key)
}

func (h *hub) wait(key string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.chans[key]
	if !ok {
		ch = make(chan struct{})
		h.chans[key] = ch
	}
	return ch
}

func (h *hub) notify(key string) {
	if h.observer != nil {
		h.observer.notified(key)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch, ok := h.chans[key]; ok {
		close(ch)
		delete(h.chans, key)
	}
}

func (h *hub) notifyAll() {
	if h.observer != nil {
		h.observer.notifiedAll()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.echoes)
	for k, ch := range h.chans {
		close(ch)
		delete(h.chans, k)
	}
}

// startListener connects the LISTEN connection before Open returns, so that
// a notification sent by another process after Open is never missed, then
// keeps it alive in a goroutine that Close stops.
func (db *DB) startListener(ctx context.Context, dsn string) error {
	conn, err := db.listenConn(ctx, dsn)
	if err != nil {
		return err
	}
	db.hub.mu.Lock()
	db.hub.listening = true
	db.hub.mu.Unlock()
	lctx, cancel := context.WithCancel(context.Background())
	db.stopListener = cancel
	db.listenerDone = make(chan struct{})
	go db.listenLoop(lctx, dsn, conn)
	return nil
}

func (db *DB) listenConn(ctx context.Context, dsn string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("listen: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("listen: %w", err)
	}
	return conn, nil
}

// listenLoop fans notifications out to the hub. When the connection drops it
// reconnects with back-off and then wakes every waiter, since notifications
// sent meanwhile are lost.
func (db *DB) listenLoop(ctx context.Context, dsn string, conn *pgx.Conn) {
	defer close(db.listenerDone)
	backoff := 100 * time.Millisecond
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				conn.Close(context.Background())
				conn = nil
				if ctx.Err() != nil {
					return
				}
				db.log.Warn("queue listener lost its connection", "err", err)
				break
			}
			backoff = 100 * time.Millisecond
			db.hub.notifyRemote(n.Payload)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		backoff = min(backoff*2, 10*time.Second)
		var err error
		conn, err = db.listenConn(ctx, dsn)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			db.log.Warn("queue listener cannot reconnect", "err", err)
			continue
		}
		db.hub.notifyAll()
	}
}
