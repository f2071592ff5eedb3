package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/notify/mailtest"
	"github.com/qbconnect/qbconnect/store"
)

// mailEnv is a SQLite store, a River client on it, a real SMTP server and
// an outbox sending to it.
type mailEnv struct {
	db     *store.DB
	rs     *store.ReleaseStore
	smtp   *mailtest.Server
	jobs   *notify.Jobs
	outbox *notify.Outbox
	tries  chan error
}

func newMailEnv(tb testing.TB, dbPath string, smtpOpts mailtest.Options, start bool) *mailEnv {
	tb.Helper()
	ctx := context.Background()
	if dbPath == "" {
		dbPath = filepath.Join(tb.TempDir(), "mail.db")
	}
	db, err := store.Open(ctx, "sqlite:"+dbPath, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e := &mailEnv{db: db, rs: store.NewReleaseStore(db), smtp: mailtest.NewServer(tb, smtpOpts), tries: make(chan error, 100)}
	cfg := notify.SMTPConfig{Host: e.smtp.Host, Port: e.smtp.Port, From: "qbconnect <noreply@qbconnect.test>", TLS: notify.SMTPPlain}
	if smtpOpts.TLS {
		cfg.TLS, cfg.TLSConfig = notify.SMTPStartTLS, e.smtp.ClientTLS
	}
	cfg.Username, cfg.Password = smtpOpts.Username, smtpOpts.Password
	mailer, err := notify.NewMailer(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		tb.Fatal(err)
	}
	e.jobs, err = notify.NewJobs(notify.JobsConfig{SQLite: db.SQLDB(), PollInterval: 50 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	e.outbox, err = notify.NewOutbox(notify.OutboxConfig{Store: e.rs, Sender: mailer, Jobs: e.jobs, MaxAttempts: 3,
		OnAttempt: func(_ string, err error) { e.tries <- err }})
	if err != nil {
		tb.Fatal(err)
	}
	if start {
		e.start(tb)
	}
	return e
}

func (e *mailEnv) start(tb testing.TB) {
	tb.Helper()
	if err := e.jobs.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.jobs.Stop(ctx)
	})
}

// waitStatus polls the outbox until the message has the status.
func (e *mailEnv) waitStatus(tb testing.TB, id string, want qbconnect.MailStatus) *qbconnect.Mail {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := e.rs.FindMail(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		if m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mail %s is %s (attempts %d, %q), want %s", id, m.Status, m.Attempts, m.LastError, want)
		}
		select {
		case <-e.tries:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func testMail(to ...string) *qbconnect.Mail {
	return &qbconnect.Mail{Kind: "test", To: to, Subject: "Café déjà vu: ünïcode subject",
		Text: "Hello,\nline two with a very long line that goes on and on beyond seventy-six characters so quoted-printable must wrap it.\n",
		HTML: "<p>Hello <b>there</b></p>"}
}

func TestOutboxSendsOverStartTLSWithPassword(t *testing.T) {
	e := newMailEnv(t, "", mailtest.Options{TLS: true, Username: "relay", Password: "s3cret"}, true)
	m, err := e.outbox.Queue(context.Background(), testMail("Ann Client <ann@client.test>", "ops@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	got := e.smtp.Wait(t, 1, 20*time.Second)[0]
	if !got.TLS || got.User != "relay" {
		t.Errorf("message came with TLS=%v user=%q, want STARTTLS as relay", got.TLS, got.User)
	}
	if diff := cmp.Diff([]string{"ann@client.test", "ops@client.test"}, got.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	if got.Subject() != "Café déjà vu: ünïcode subject" {
		t.Errorf("subject = %q", got.Subject())
	}
	if !strings.Contains(got.Text, "so quoted-printable must wrap it.") || got.HTML != "<p>Hello <b>there</b></p>" {
		t.Errorf("text %q / html %q", got.Text, got.HTML)
	}
	if !strings.Contains(got.Header.Get("Message-Id"), m.ID) {
		t.Errorf("Message-ID %q does not carry the outbox ID %s", got.Header.Get("Message-Id"), m.ID)
	}
	sent := e.waitStatus(t, m.ID, qbconnect.MailSent)
	if sent.Attempts != 1 || sent.SentAt == nil {
		t.Errorf("attempts %d, sentAt %v", sent.Attempts, sent.SentAt)
	}
}

func TestOutboxRetriesTemporaryFailures(t *testing.T) {
	e := newMailEnv(t, "", mailtest.Options{}, true)
	e.smtp.FailNext(451, 421)
	m, err := e.outbox.Queue(context.Background(), testMail("a@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	sent := e.waitStatus(t, m.ID, qbconnect.MailSent)
	if sent.Attempts != 3 {
		t.Errorf("attempts = %d, want 3 (two refusals, then delivered)", sent.Attempts)
	}
	if n := len(e.smtp.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

func TestOutboxGivesUpOnPermanentRefusal(t *testing.T) {
	e := newMailEnv(t, "", mailtest.Options{}, true)
	e.smtp.FailNext(550)
	m, err := e.outbox.Queue(context.Background(), testMail("nobody@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	failed := e.waitStatus(t, m.ID, qbconnect.MailFailed)
	if failed.Attempts != 1 || !strings.Contains(failed.LastError, "550") {
		t.Errorf("attempts %d, last error %q: want one attempt and the 550", failed.Attempts, failed.LastError)
	}
}

func TestOutboxGivesUpAfterMaxAttempts(t *testing.T) {
	e := newMailEnv(t, "", mailtest.Options{}, true)
	e.smtp.FailNext(451, 451, 451)
	m, err := e.outbox.Queue(context.Background(), testMail("a@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	failed := e.waitStatus(t, m.ID, qbconnect.MailFailed)
	if failed.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", failed.Attempts)
	}
}

func TestOutboxDedupeKeySendsOnce(t *testing.T) {
	e := newMailEnv(t, "", mailtest.Options{}, true)
	ctx := context.Background()
	a := testMail("a@client.test")
	a.DedupeKey = "campaign:1:org:1"
	first, err := e.outbox.Queue(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	b := testMail("a@client.test")
	b.DedupeKey = "campaign:1:org:1"
	second, err := e.outbox.Queue(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Errorf("second queue got %s, want the first message %s", second.ID, first.ID)
	}
	e.waitStatus(t, first.ID, qbconnect.MailSent)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

func TestOutboxMessageSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "restart.db")
	// First process: the job queue is down, the message is only in the
	// outbox when the process ends.
	before := newMailEnv(t, path, mailtest.Options{}, false)
	m, err := before.outbox.Queue(context.Background(), testMail("a@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	before.db.Close()

	after := newMailEnv(t, path, mailtest.Options{}, true)
	n, err := after.outbox.Resume(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Resume = %d, %v; want 1 message", n, err)
	}
	after.waitStatus(t, m.ID, qbconnect.MailSent)
	got := after.smtp.Wait(t, 1, 10*time.Second)
	if len(got) != 1 || got[0].Subject() != m.Subject {
		t.Errorf("arrived %d messages, want the one queued before the restart", len(got))
	}
	// Resuming again sends nothing more.
	if n, err := after.outbox.Resume(context.Background()); err != nil || n != 0 {
		t.Errorf("second Resume = %d, %v; want 0", n, err)
	}
}

func TestMailerRefusesPasswordWithoutTLS(t *testing.T) {
	_, err := notify.NewMailer(notify.SMTPConfig{Host: "mail.example.com", TLS: notify.SMTPPlain, Username: "u", Password: "p",
		From: "x@example.com"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("err = %v, want a refusal to send the password in clear", err)
	}
	_, err = notify.NewMailer(notify.SMTPConfig{Host: "mail.example.com", From: "not an address"}, nil, nil)
	if err == nil {
		t.Error("a bad sender address was accepted")
	}
}

func TestMailerWrongPasswordIsPermanent(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Username: "u", Password: "right"})
	m, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: notify.SMTPPlain, Username: "u", Password: "wrong",
		From: "x@qbconnect.test"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), testMail("a@client.test"))
	var perm *notify.PermanentError
	if err == nil || !errorsAs(err, &perm) {
		t.Errorf("err = %v, want a permanent error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message arrived despite the wrong password")
	}
}

func TestBuildMessageHeaders(t *testing.T) {
	from, _ := mail.ParseAddress("qbconnect <noreply@qbconnect.test>")
	msg := testMail("Zoë <zoe@client.test>")
	msg.ID = "msg_1"
	data, err := notify.BuildMessage(from, msg, time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d bytes", len(line))
		}
	}
	if got := parsed.Header.Get("Message-Id"); got != "<msg_1@qbconnect.test>" {
		t.Errorf("Message-ID = %q", got)
	}
	to, err := parsed.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Zoë" {
		t.Errorf("To = %v, %v", to, err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
