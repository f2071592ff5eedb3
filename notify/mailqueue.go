package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/qbconnect/qbconnect"
)

// MailStore is the outbox table. store.ReleaseStore implements it.
type MailStore interface {
	// AddMail stores a Queued message; with a DedupeKey already used it
	// returns the existing message and created false.
	AddMail(ctx context.Context, m *qbconnect.Mail) (stored *qbconnect.Mail, created bool, err error)
	// FindMail returns ENotFound for an unknown ID.
	FindMail(ctx context.Context, id string) (*qbconnect.Mail, error)
	// ListMail returns messages with a status ("" for all), oldest first.
	ListMail(ctx context.Context, status qbconnect.MailStatus) ([]*qbconnect.Mail, error)
	// MailAttempt records an attempt: sent when errText is "", Failed for
	// good when final. It reports false for a message already Sent.
	MailAttempt(ctx context.Context, id, errText string, final bool) (sent bool, err error)
}

// Sender delivers one message; *Mailer implements it. A *PermanentError
// stops the retries.
type Sender interface {
	Send(ctx context.Context, msg *qbconnect.Mail) error
}

// SendMailArgs is the River job that sends one outbox message.
type SendMailArgs struct {
	MailID string `json:"mailId"`
}

// Kind names the job in River's tables.
func (SendMailArgs) Kind() string { return "qbconnect.mail.send" }

// OutboxConfig configures an Outbox. Store, Sender and Jobs are required.
type OutboxConfig struct {
	Store  MailStore
	Sender Sender
	Jobs   *Jobs
	// MaxAttempts is how often a message is tried before it is marked
	// Failed; 0 means 8 (about two hours with the default back-off).
	MaxAttempts int
	// Logger may be nil.
	Logger *slog.Logger
	// OnAttempt, when set, is called after every attempt with the message
	// ID and the attempt's error (nil when sent). Tests wait on it.
	OnAttempt func(id string, err error)
}

// Outbox queues email durably and sends it through River: a message is in
// the outbox table before Queue returns, a job sends it, failed attempts
// are retried with back-off, and Resume queues again whatever a restart
// interrupted. A message is marked Sent once; a job for a Sent message does
// nothing.
type Outbox struct {
	cfg OutboxConfig
	log *slog.Logger
}

// NewOutbox validates cfg and registers the send worker on cfg.Jobs, which
// must not be started yet.
func NewOutbox(cfg OutboxConfig) (*Outbox, error) {
	if cfg.Store == nil || cfg.Sender == nil || cfg.Jobs == nil {
		return nil, errors.New("notify: the outbox needs a store, a sender and jobs")
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{cfg: cfg, log: cfg.Logger}
	if err := river.AddWorkerSafely(cfg.Jobs.Workers(), &sendMailWorker{o: o}); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return o, nil
}

// Queue stores a message and schedules its sending. With a DedupeKey
// already used, nothing new is queued and the earlier message is returned.
// When the job cannot be scheduled (the job queue is down), the message
// stays Queued and Resume sends it later; Queue still succeeds.
func (o *Outbox) Queue(ctx context.Context, m *qbconnect.Mail) (*qbconnect.Mail, error) {
	stored, created, err := o.cfg.Store.AddMail(ctx, m)
	if err != nil {
		return nil, err
	}
	if !created {
		return stored, nil
	}
	if err := o.schedule(ctx, stored.ID); err != nil {
		o.log.Warn("mail: queued but not scheduled yet; it will be sent on resume", "id", stored.ID, "err", err)
	}
	return stored, nil
}

func (o *Outbox) schedule(ctx context.Context, id string) error {
	return o.cfg.Jobs.Insert(ctx, SendMailArgs{MailID: id}, &river.InsertOpts{
		MaxAttempts: o.cfg.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	})
}

// Resume schedules every message still Queued (after a restart, or one
// whose job could not be scheduled) and returns how many. Messages with a
// job already pending are not scheduled twice.
func (o *Outbox) Resume(ctx context.Context) (int, error) {
	list, err := o.cfg.Store.ListMail(ctx, qbconnect.MailQueued)
	if err != nil {
		return 0, err
	}
	for _, m := range list {
		if err := o.schedule(ctx, m.ID); err != nil {
			return 0, fmt.Errorf("mail: resume %s: %w", m.ID, err)
		}
	}
	if len(list) > 0 {
		o.log.Info("mail: resumed queued messages", "count", len(list))
	}
	return len(list), nil
}

type sendMailWorker struct {
	river.WorkerDefaults[SendMailArgs]
	o *Outbox
}

func (w *sendMailWorker) Work(ctx context.Context, job *river.Job[SendMailArgs]) error {
	o := w.o
	m, err := o.cfg.Store.FindMail(ctx, job.Args.MailID)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return river.JobCancel(fmt.Errorf("mail %s is not in the outbox", job.Args.MailID))
	}
	if err != nil {
		return err
	}
	if m.Status != qbconnect.MailQueued {
		return nil
	}
	sendErr := o.cfg.Sender.Send(ctx, m)
	var perm *PermanentError
	final := errors.As(sendErr, &perm) || job.Attempt >= job.MaxAttempts
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	}
	if _, err := o.cfg.Store.MailAttempt(context.WithoutCancel(ctx), m.ID, errText, final); err != nil {
		// Sent but not recorded: the next attempt would send it again, so
		// only retry the bookkeeping when the sending failed anyway.
		o.log.Error("mail: recording the attempt failed", "id", m.ID, "err", err)
	}
	if o.cfg.OnAttempt != nil {
		o.cfg.OnAttempt(m.ID, sendErr)
	}
	switch {
	case sendErr == nil:
		return nil
	case final:
		o.log.Error("mail: giving up", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", job.Attempt, "err", sendErr)
		return river.JobCancel(sendErr)
	default:
		o.log.Warn("mail: sending failed; will retry", "id", m.ID, "attempt", job.Attempt, "err", sendErr)
		return sendErr
	}
}
