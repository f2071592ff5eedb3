package qbwc

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// loginLimiter bounds the password checks authenticate runs, since a
// bcrypt comparison is the most an unauthenticated caller can make the
// server spend. An address whose checks failed maxFailures times within
// window gets no more checks until the window has passed since its first
// failure; all addresses together share a bucket of rate checks per
// second (real time), holding burst; and at most maxInflight checks run at
// once, so that a flood from many addresses leaves the other CPUs to the
// API whatever a check costs on this machine (a check waits up to
// slotWait for its turn). Over an address's failures authenticate answers
// nvu at once; over the server's limits it answers busy, so that a Web
// Connector with the right password is told to come back, never that its
// password is wrong. Failures are counted per source address, never per
// user name, so wrong passwords sent from one place never lock the right
// password out for the Web Connector that has it.
type loginLimiter struct {
	now         func() time.Time // the failure window's clock (Config.Now)
	maxFailures int
	window      time.Duration
	rate        float64
	burst       float64
	maxInflight int
	slotWait    time.Duration
	// slots holds a token per check in flight; nil when unbounded.
	slots chan struct{}

	mu     sync.Mutex
	tokens float64
	last   time.Time // real time of the last refill
	addrs  map[string]*addrFailures
}

type addrFailures struct {
	n     int
	since time.Time
}

// maxTrackedAddrs bounds the memory of the per-address counts: past it,
// counts whose window has passed are dropped, then arbitrary ones (the
// shared bucket still bounds the checks of an attacker with many
// addresses).
const maxTrackedAddrs = 100_000

// defaultSlotWait is how long a password check waits for a check in
// flight to finish: a bcrypt comparison takes tens of milliseconds, so two
// Web Connectors logging in at once both get theirs.
const defaultSlotWait = 2 * time.Second

func newLoginLimiter(now func() time.Time, maxFailures int, window time.Duration, rate float64, burst, maxInflight int) *loginLimiter {
	l := &loginLimiter{now: now, maxFailures: maxFailures, window: window, rate: rate, burst: float64(burst), maxInflight: maxInflight,
		slotWait: defaultSlotWait, tokens: float64(burst), last: time.Now(), addrs: map[string]*addrFailures{}}
	if maxInflight > 0 {
		l.slots = make(chan struct{}, maxInflight)
	}
	return l
}

// refusal says why allow refused a check: the caller's address failed too
// often (answer nvu), or the server is at its limits (answer busy).
type refusal struct {
	busy bool
	why  string
}

// allow reports whether a password check from addr may run and, if so,
// takes its token from the shared bucket and its place among the checks in
// flight, waiting up to slotWait for one, which the caller gives back with
// done. A nil refusal means the check may run.
func (l *loginLimiter) allow(ctx context.Context, addr string) *refusal {
	if r := l.take(addr); r != nil {
		return r
	}
	if l.slots == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(l.slotWait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	return &refusal{busy: true, why: "too many logins in progress on this server"}
}

// take checks addr's failures and takes a token from the shared bucket.
func (l *loginLimiter) take(addr string) *refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.addrs[addr]; f != nil && f.n >= l.maxFailures {
		if l.now().Sub(f.since) < l.window {
			return &refusal{why: "too many failed logins from this address"}
		}
		delete(l.addrs, addr)
	}
	if l.rate > 0 {
		t := time.Now()
		l.tokens = min(l.burst, l.tokens+t.Sub(l.last).Seconds()*l.rate)
		l.last = t
		if l.tokens < 1 {
			return &refusal{busy: true, why: "too many logins on this server in the last seconds"}
		}
		l.tokens--
	}
	return nil
}

// done ends a check allow let run.
func (l *loginLimiter) done() {
	if l.slots != nil {
		<-l.slots
	}
}

// failed counts a failed check from addr.
func (l *loginLimiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.addrs[addr]
	if f == nil || now.Sub(f.since) >= l.window {
		if f == nil && len(l.addrs) >= maxTrackedAddrs {
			l.prune(now)
		}
		f = &addrFailures{since: now}
		l.addrs[addr] = f
	}
	f.n++
}

// succeeded forgets addr's failures: the caller there has the password.
func (l *loginLimiter) succeeded(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.addrs, addr)
}

func (l *loginLimiter) prune(now time.Time) {
	for a, f := range l.addrs {
		if now.Sub(f.since) >= l.window {
			delete(l.addrs, a)
		}
	}
	for a := range l.addrs {
		if len(l.addrs) < maxTrackedAddrs {
			break
		}
		delete(l.addrs, a)
	}
}

// remoteAddr is the default Config.ClientAddr: the connection's peer
// address, an IPv6 address as its /64 (one site's hosts usually share
// one, and any host may pick another address in it at will).
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
