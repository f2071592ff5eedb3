// Package mailtest runs a real SMTP server (emersion/go-smtp) in the test
// process and keeps what arrives, so that mail tests read the messages a
// mail server really received. It can require STARTTLS and a password and
// refuse deliveries on demand.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server. The zero value accepts everything without
// TLS or authentication.
type Options struct {
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1;
	// Server.ClientTLS trusts it.
	TLS bool
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
}

// Message is one delivered message.
type Message struct {
	From string
	To   []string
	Data []byte
	// Header is the parsed header; Text and HTML the decoded parts of a
	// multipart/alternative body (Text is the whole body otherwise).
	Header mail.Header
	Text   string
	HTML   string
	// TLS reports that the message came over an encrypted connection;
	// User is the authenticated user, if any.
	TLS  bool
	User string
}

// Subject returns the decoded Subject header.
func (m Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

// Server is an SMTP server on a loopback port.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// ClientTLS trusts the server's certificate (when Options.TLS).
	ClientTLS *tls.Config

	opts Options
	srv  *smtp.Server

	mu       sync.Mutex
	msgs     []Message
	failNext []int // SMTP codes to answer the next deliveries with
	arrived  chan struct{}
}

// NewServer starts a server and stops it at the end of the test.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, arrived: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "mailtest.localhost"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.AllowInsecureAuth = !opts.TLS
	if opts.TLS {
		cert, pool := selfSigned(tb)
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.ClientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		s.srv.Close()
		<-done
	})
	return s
}

// Addr is "host:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// FailNext makes the next deliveries fail with the given SMTP codes, one
// per delivery (4xx: try again later; 5xx: refused for good).
func (s *Server) FailNext(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, codes...)
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until at least n messages arrived and returns them; it fails
// the test after timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("mailtest: %d message(s) arrived within %s, want %d", got, timeout, n)
		}
	}
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && ss.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if _, isTLS := ss.conn.TLSConnectionState(); ss.s.opts.TLS && !isTLS {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue STARTTLS first"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	if len(s.failNext) > 0 {
		code := s.failNext[0]
		s.failNext = s.failNext[1:]
		s.mu.Unlock()
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "mailtest: refused on purpose"}
	}
	s.mu.Unlock()
	_, isTLS := ss.conn.TLSConnectionState()
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, TLS: isTLS, User: ss.user}
	if err := parse(&m); err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "mailtest: malformed message: " + err.Error()}
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// parse reads the header and the text and HTML parts, decoding
// quoted-printable and base64 (mime/multipart does both).
func parse(m *Message) error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return err
	}
	m.Header = msg.Header
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		body, err := io.ReadAll(msg.Body)
		m.Text = string(body)
		return err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		body, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			m.Text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html":
			m.HTML = strings.ReplaceAll(string(body), "\r\n", "\n")
		}
	}
}

func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
