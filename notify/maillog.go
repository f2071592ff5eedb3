package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// LogOutbox stands in for the outbox when no SMTP server is configured: it
// records each message in the outbox table (so a DedupeKey still makes it
// unique, across restarts and processes) and writes it to the log in
// full, headers and whole text body, for the operator to read or forward
// by hand. The stored message is marked Failed with the reason, because
// it was not sent; configuring SMTP later does not send it after the fact.
type LogOutbox struct {
	store MailStore
	log   *slog.Logger
}

// NotSentReason is the LastError of a message LogOutbox logged.
const NotSentReason = "not sent: SMTP is not configured; the message was logged in full"

// NewLogOutbox returns a LogOutbox over store; logger nil discards (which
// defeats its purpose: pass the platform's).
func NewLogOutbox(store MailStore, logger *slog.Logger) (*LogOutbox, error) {
	if store == nil {
		return nil, errors.New("notify: the log outbox needs a mail store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &LogOutbox{store: store, log: logger}, nil
}

// Queue records m and logs it in full, once per DedupeKey: a message whose
// key was already used is returned as stored and not logged again.
func (o *LogOutbox) Queue(ctx context.Context, m *qbconnect.Mail) (*qbconnect.Mail, error) {
	stored, created, err := o.store.AddMail(ctx, m)
	if err != nil {
		return nil, err
	}
	if !created {
		return stored, nil
	}
	o.log.Warn("email not sent (no SMTP server configured); the whole message follows",
		"id", stored.ID, "kind", stored.Kind, "to", strings.Join(stored.To, ", "), "subject", stored.Subject,
		"message", FormatMail(stored))
	if _, err := o.store.MailAttempt(ctx, stored.ID, NotSentReason, true); err != nil {
		return stored, err
	}
	return o.store.FindMail(ctx, stored.ID)
}

// Resume logs in full, and marks not sent, every message still Queued in
// the outbox: those another process queued (`qbconnect release publish`
// writes straight to the database) while no SMTP server is configured. It
// returns how many it logged.
func (o *LogOutbox) Resume(ctx context.Context) (int, error) {
	list, err := o.store.ListMail(ctx, qbconnect.MailQueued)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range list {
		if _, err := o.store.MailAttempt(ctx, m.ID, NotSentReason, true); err != nil {
			return n, err
		}
		o.log.Warn("email not sent (no SMTP server configured); the whole message follows",
			"id", m.ID, "kind", m.Kind, "to", strings.Join(m.To, ", "), "subject", m.Subject, "message", FormatMail(m))
		n++
	}
	return n, nil
}

// FormatMail renders a message as the plain-text email it would be: To and
// Subject headers, a blank line, the text body.
func FormatMail(m *qbconnect.Mail) string {
	return fmt.Sprintf("To: %s\nSubject: %s\n\n%s", strings.Join(m.To, ", "), m.Subject, m.Text)
}
