package connector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LogLine is one log record kept for the local UI's log view.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	// Attrs are the record's attributes as "key=value" text.
	Attrs string `json:"attrs,omitempty"`
	// Connection is the record's "connection" attribute, if any.
	Connection string `json:"connection,omitempty"`
}

// LogBuffer keeps the most recent log records at level Info and above.
type LogBuffer struct {
	mu    sync.Mutex
	lines []LogLine
	next  int
	full  bool
}

// NewLogBuffer returns a buffer of n records.
func NewLogBuffer(n int) *LogBuffer { return &LogBuffer{lines: make([]LogLine, n)} }

func (b *LogBuffer) add(l LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines[b.next] = l
	b.next = (b.next + 1) % len(b.lines)
	if b.next == 0 {
		b.full = true
	}
}

// Lines returns up to n records of a connection ("" for all), newest first.
func (b *LogBuffer) Lines(connection string, n int) []LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []LogLine
	count := b.next
	if b.full {
		count = len(b.lines)
	}
	for i := 1; i <= count && len(out) < n; i++ {
		l := b.lines[(b.next-i+len(b.lines))%len(b.lines)]
		if connection == "" || l.Connection == "" || l.Connection == connection {
			out = append(out, l)
		}
	}
	return out
}

// Tee returns a handler that sends records to next and keeps those at Info
// and above.
func (b *LogBuffer) Tee(next slog.Handler) slog.Handler { return &teeHandler{buf: b, next: next} }

type teeHandler struct {
	buf   *LogBuffer
	next  slog.Handler
	attrs []slog.Attr
}

func (h *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		l := LogLine{Time: r.Time, Level: r.Level.String(), Message: r.Message}
		var sb strings.Builder
		add := func(a slog.Attr) bool {
			if a.Key == "connection" {
				l.Connection = a.Value.String()
			}
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			fmt.Fprintf(&sb, "%s=%v", a.Key, a.Value)
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		r.Attrs(add)
		l.Attrs = sb.String()
		h.buf.add(l)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &teeHandler{buf: h.buf, next: h.next.WithAttrs(attrs), attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{buf: h.buf, next: h.next.WithGroup(name), attrs: h.attrs}
}
