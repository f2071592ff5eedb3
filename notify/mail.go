package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/qbconnect/qbconnect"
)

// TLS modes of an SMTP connection.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (required)
	SMTPTLS      = "tls"      // TLS from the first byte (port 465)
	SMTPPlain    = "none"     // no TLS: only for a relay on the same host or tests
)

// SMTPConfig says how to reach the mail server. Host and From are
// required.
type SMTPConfig struct {
	Host string
	// Port; 0 means 465 with TLS "tls", 587 otherwise.
	Port int
	// TLS is SMTPStartTLS (the default), SMTPTLS or SMTPPlain.
	TLS string
	// TLSConfig, when set, is used for TLS (tests trust their own CA with
	// it); nil verifies the server against the system roots.
	TLSConfig *tls.Config
	// Username and Password authenticate with AUTH PLAIN when Username is
	// set. The password is never logged. Authentication over a plain
	// connection is refused unless the host is a loopback address.
	Username, Password string
	// From is the sender address, "qbconnect <noreply@example.com>".
	From string
	// HelloName is the name given in EHLO; "" means "localhost".
	HelloName string
	// Timeout bounds one delivery; 0 means 30 seconds.
	Timeout time.Duration
}

// Mailer sends messages over SMTP, one connection per message.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
	log  *slog.Logger
	now  func() time.Time
}

// NewMailer fills cfg's defaults and validates it. logger and now may be
// nil.
func NewMailer(cfg SMTPConfig, logger *slog.Logger, now func() time.Time) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("notify: SMTP host is required")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP sender %q: %w", cfg.From, err)
	}
	if cfg.TLS == "" {
		cfg.TLS = SMTPStartTLS
	}
	switch cfg.TLS {
	case SMTPStartTLS, SMTPTLS, SMTPPlain:
	default:
		return nil, fmt.Errorf("notify: SMTP TLS mode %q: want %s, %s or %s", cfg.TLS, SMTPStartTLS, SMTPTLS, SMTPPlain)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == SMTPTLS {
			cfg.Port = 465
		}
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("notify: SMTP port %d is out of range", cfg.Port)
	}
	if cfg.Username != "" && cfg.TLS == SMTPPlain && !isLoopback(cfg.Host) {
		return nil, fmt.Errorf("notify: refusing to send the SMTP password to %s without TLS; use starttls or tls", cfg.Host)
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Mailer{cfg: cfg, from: from, log: logger, now: now}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PermanentError is a delivery the server refused for good (a 5xx answer):
// sending it again would fail again.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent SMTP failure: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Send delivers one message. A 5xx answer from the server is a
// *PermanentError; anything else may succeed later.
func (m *Mailer) Send(ctx context.Context, msg *qbconnect.Mail) error {
	if len(msg.To) == 0 {
		return &PermanentError{errors.New("no recipient")}
	}
	var rcpts []string
	for _, to := range msg.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return &PermanentError{fmt.Errorf("recipient %q: %w", to, err)}
		}
		rcpts = append(rcpts, a.Address)
	}
	data, err := BuildMessage(m.from, msg, m.now())
	if err != nil {
		return &PermanentError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	c, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// go-smtp has no context: closing the client ends a stuck exchange.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if m.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", m.cfg.Username, m.cfg.Password)); err != nil {
			return classify(fmt.Errorf("SMTP authentication as %s: %w", m.cfg.Username, err))
		}
	}
	if err := c.SendMail(m.from.Address, rcpts, bytes.NewReader(data)); err != nil {
		return classify(fmt.Errorf("SMTP delivery to %s: %w", strings.Join(rcpts, ", "), err))
	}
	if err := c.Quit(); err != nil {
		m.log.Debug("mail: QUIT failed after delivery", "err", err)
	}
	m.log.Info("mail: sent", "id", msg.ID, "kind", msg.Kind, "to", strings.Join(rcpts, ", "), "subject", msg.Subject)
	return nil
}

func (m *Mailer) dial(ctx context.Context) (*smtp.Client, error) {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	tlsConfig := m.cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = m.cfg.Host
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to SMTP server %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var c *smtp.Client
	switch m.cfg.TLS {
	case SMTPTLS:
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS with SMTP server %s: %w", addr, err)
		}
		c = smtp.NewClient(tc)
	case SMTPStartTLS:
		c, err = smtp.NewClientStartTLS(conn, tlsConfig)
		if err != nil {
			conn.Close()
			return nil, classify(fmt.Errorf("STARTTLS with SMTP server %s: %w", addr, err))
		}
	default:
		c = smtp.NewClient(conn)
	}
	if err := c.Hello(m.cfg.HelloName); err != nil {
		c.Close()
		return nil, classify(fmt.Errorf("SMTP greeting with %s: %w", addr, err))
	}
	return c, nil
}

// classify wraps 5xx answers as permanent.
func classify(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return &PermanentError{err}
	}
	return err
}

// BuildMessage returns msg as an RFC 5322 message: multipart/alternative
// with a quoted-printable text part and, when msg.HTML is set, an HTML
// part. The Message-ID derives from msg.ID, so a server that receives the
// same message twice (an answer lost after delivery) can tell.
func BuildMessage(from *mail.Address, msg *qbconnect.Mail, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	var to []string
	for _, t := range msg.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %w", t, err)
		}
		to = append(to, a.String())
	}
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	h("Date", now.Format(time.RFC1123Z))
	domain := "qbconnect.invalid"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	h("Message-ID", fmt.Sprintf("<%s@%s>", msg.ID, domain))
	h("MIME-Version", "1.0")
	if msg.Kind != "" {
		h("X-Qbconnect-Kind", msg.Kind)
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	parts := []struct{ typ, body string }{{"text/plain; charset=utf-8", msg.Text}}
	if msg.HTML != "" {
		parts = append(parts, struct{ typ, body string }{"text/html; charset=utf-8", msg.HTML})
	}
	for _, p := range parts {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(w)
		if _, err := qw.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(p.body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
