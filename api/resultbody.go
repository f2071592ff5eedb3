package api

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/qbconnect/qbconnect"
)

// Result bodies are the only large request bodies: a sync page's qbXML, up
// to Config.MaxResultDecoded once inflated. Three rules keep one tenant from
// exhausting the server's memory with them:
//
//   - the credential and the work item's ownership are checked before a
//     byte of the body is read (handleResult);
//   - a gzip body is inflated as a stream, and the limits hold while it is
//     read: the decoded size, and the inflation ratio, so that a
//     compression bomb (about 1000:1) is refused after its first MiB
//     instead of after 512 MiB;
//   - the bytes of all result bodies held at once are bounded by
//     Config.MaxResultMemory: a body that would pass it is answered 503
//     with Retry-After (the connector retries), never queued in memory.

// maxInflateRatio is the largest decoded/compressed ratio accepted once a
// body has inflated past inflateRatioFloor. qbXML compressed by the
// connector (gzip, best speed) inflates 5 to 20 times; deflate cannot go
// past about 1032, and bombs sit near that.
const (
	maxInflateRatio   = 100
	inflateRatioFloor = 1 << 20
)

// byteBudget bounds the bytes of result bodies held at once.
type byteBudget struct {
	mu        sync.Mutex
	capacity  int64
	used      int64
	highWater int64
}

func newByteBudget(capacity int64) *byteBudget { return &byteBudget{capacity: capacity} }

// tryAcquire takes n bytes when they fit, without waiting: a request that
// waited for budget would hold its share while others wait for it.
func (b *byteBudget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.capacity {
		return false
	}
	b.used += n
	b.highWater = max(b.highWater, b.used)
	return true
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// inUse returns the bytes held now and the most ever held at once.
func (b *byteBudget) inUse() (now, highWater int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.highWater
}

var (
	errInflateRatio = errors.New("inflate ratio")
	errBudget       = errors.New("result memory budget exhausted")
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// guardedReader enforces the decoded limit, the inflation ratio (when
// compressed is set) and the memory budget on every read.
type guardedReader struct {
	r          io.Reader
	compressed *countingReader // nil for an identity body
	limit      int64
	budget     *byteBudget
	decoded    int64
	held       int64
}

func (g *guardedReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.decoded += int64(n)
	switch {
	case g.decoded > g.limit:
		return n, errTooLarge
	case g.compressed != nil && g.decoded > inflateRatioFloor && g.decoded > maxInflateRatio*max(g.compressed.n, 1):
		return n, errInflateRatio
	case n > 0 && !g.budget.tryAcquire(int64(n)):
		return n, errBudget
	}
	g.held += int64(n)
	return n, err
}

// release returns the budget the body held; call it once the body's bytes
// are no longer referenced.
func (g *guardedReader) release() {
	g.budget.release(g.held)
	g.held = 0
}

// readResultBody reads a result body that may be gzip-compressed: at most
// limit bytes as sent and at most decodedLimit once decompressed, under the
// server's result memory budget. Call release when done with the bytes.
func (s *Server) readResultBody(w http.ResponseWriter, r *http.Request) (data []byte, release func(), err error) {
	limit, decodedLimit := s.cfg.MaxResultBody, min(s.cfg.MaxResultDecoded, s.cfg.MaxResultMemory)
	raw := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	g := &guardedReader{limit: decodedLimit, budget: s.resultBudget}
	release = g.release
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		g.r, g.limit = raw, min(limit, decodedLimit)
	case "gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			if errors.As(err, new(*http.MaxBytesError)) {
				return nil, release, bodyReadError(err, limit)
			}
			return nil, release, qbconnect.Errorf(qbconnect.EInvalid, "Content-Encoding is gzip but the body is not gzip data: %v", err)
		}
		g.r, g.compressed = zr, raw
	default:
		return nil, release, qbconnect.Errorf(qbconnect.EInvalid, "Content-Encoding %q is not supported; use gzip or none", enc)
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, g)
	switch {
	case err == nil:
		return buf.Bytes(), release, nil
	case errors.Is(err, errTooLarge):
		return nil, release, bodyReadError(errTooLarge, g.limit)
	case errors.Is(err, errInflateRatio):
		s.metrics.resultsRefused.WithLabelValues("inflate_ratio").Inc()
		return nil, release, &qbconnect.Error{Code: qbconnect.ETooLarge,
			Message:    fmt.Sprintf("the gzip body inflates more than %d times its size; refused as a compression bomb", maxInflateRatio),
			Resolution: "Send the result uncompressed, or compressed normally."}
	case errors.Is(err, errBudget):
		s.metrics.resultsRefused.WithLabelValues("memory_budget").Inc()
		return nil, release, &qbconnect.Error{Code: qbconnect.EUnavailable, Retryable: true,
			Message:    "the server is receiving too many large results at once",
			Resolution: "Send the result again in a moment."}
	case errors.As(err, new(*http.MaxBytesError)):
		return nil, release, bodyReadError(err, limit)
	case g.compressed != nil:
		return nil, release, qbconnect.Errorf(qbconnect.EInvalid, "the gzip body is corrupt: %v", err)
	default:
		return nil, release, bodyReadError(err, limit)
	}
}

// ResultMemory reports the bytes of result bodies held in memory now and
// the most held at once since the server started.
func (s *Server) ResultMemory() (held, peak int64) { return s.resultBudget.inUse() }
