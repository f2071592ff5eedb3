package connector

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbxml"
)

// StampName is the name of the private DataExt in which the connector keeps
// a company file's identity (the platform's file ID).
const StampName = "qbconnect file ID"

// QuickBooksOptions configure a QuickBooks.
type QuickBooksOptions struct {
	// NewProcessor returns a new request processor (a qbd driver).
	// Required.
	NewProcessor func() (qbd.RequestProcessor, error)
	// App is the identity the connector connects as. Required: App.Name.
	App qbd.App
	// Prefs are the authorization preferences declared before each session.
	Prefs qbd.AuthPreferences
	// Mode is the file mode sessions ask for.
	Mode qbd.FileMode
	// OwnerID is the GUID of the connector's private data. Required.
	OwnerID string
	// BeginTimeout bounds BeginSession, which waits while QuickBooks shows
	// its authorization dialog; 0 means 15 seconds. The condition is then
	// auth_pending, and the dialog stays up.
	BeginTimeout time.Duration
	// OnAuthPending, when set, is called (on a goroutine of its own, and
	// never after BeginSession returned) once BeginSession on path has
	// waited AuthPendingAfter: QuickBooks blocks the call while it shows
	// its authorization dialog, so the person at the PC is told at once
	// rather than when BeginTimeout ends.
	OnAuthPending func(path string)
	// AuthPendingAfter is how long BeginSession waits before
	// OnAuthPending; 0 means one second. QuickBooks answers a session on
	// an authorised file in well under that.
	AuthPendingAfter time.Duration
	// Logger may be nil.
	Logger *slog.Logger
}

// QuickBooks is the connector's one connection to QuickBooks: at most one
// session, on one company file, whose identity was checked when the
// session began. It is safe for concurrent use; calls are serialised, since
// QuickBooks runs one request at a time.
type QuickBooks struct {
	opt QuickBooksOptions
	log *slog.Logger

	mu     sync.Mutex
	rp     qbd.RequestProcessor
	ticket string
	file   OpenFile // the session's file, checked
	// lastUsed is when the session last served a request.
	lastUsed time.Time
}

// OpenFile is what the connector learned about the company file a session
// is on.
type OpenFile struct {
	Path        string
	CompanyName string
	// FileID is the identity stamp; "" when the file was never stamped.
	FileID string
}

// Identity returns the file as the gateway names files.
func (o OpenFile) Identity() gateway.FileIdentity {
	return gateway.FileIdentity{Path: o.Path, CompanyName: o.CompanyName, FileID: o.FileID}
}

// NewQuickBooks returns a QuickBooks with no connection open yet.
func NewQuickBooks(opt QuickBooksOptions) (*QuickBooks, error) {
	if opt.NewProcessor == nil {
		return nil, errors.New("connector: no QuickBooks driver")
	}
	if err := opt.App.Validate(); err != nil {
		return nil, err
	}
	if opt.OwnerID == "" {
		return nil, errors.New("connector: the owner ID of the connector's private data is required")
	}
	if opt.BeginTimeout <= 0 {
		opt.BeginTimeout = 15 * time.Second
	}
	if opt.AuthPendingAfter <= 0 {
		opt.AuthPendingAfter = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &QuickBooks{opt: opt, log: opt.Logger}, nil
}

// WrongFileError says the company file QuickBooks has open is not the
// expected one. The connector never runs work against it.
type WrongFileError struct {
	Open     OpenFile
	Expected gateway.FileIdentity
}

func (e *WrongFileError) Error() string {
	return fmt.Sprintf("the open company file %q (%s, stamp %q) is not the linked %q (%s, stamp %q)",
		e.Open.CompanyName, e.Open.Path, e.Open.FileID, e.Expected.CompanyName, e.Expected.Path, e.Expected.FileID)
}

// Close ends the session and the connection, if any.
func (q *QuickBooks) Close(ctx context.Context) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closeLocked(ctx)
}

func (q *QuickBooks) closeLocked(ctx context.Context) {
	if q.rp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if q.ticket != "" {
		if err := q.rp.EndSession(ctx, q.ticket); err != nil {
			q.log.Debug("connector: ending the QuickBooks session", "err", err)
		}
	}
	if err := q.rp.CloseConnection(ctx); err != nil {
		q.log.Debug("connector: closing the QuickBooks connection", "err", err)
	}
	if c, ok := q.rp.(io.Closer); ok {
		c.Close()
	}
	q.rp, q.ticket, q.file = nil, "", OpenFile{}
}

// CloseIdle closes the session if it has not been used for idle.
func (q *QuickBooks) CloseIdle(ctx context.Context, now time.Time, idle time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rp != nil && now.Sub(q.lastUsed) >= idle {
		q.log.Debug("connector: closing the idle QuickBooks session")
		q.closeLocked(ctx)
	}
}

// HasSession reports whether a session is open.
func (q *QuickBooks) HasSession() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ticket != ""
}

// connectLocked opens a connection if none is open.
func (q *QuickBooks) connectLocked(ctx context.Context) error {
	if q.rp != nil {
		return nil
	}
	rp, err := q.opt.NewProcessor()
	if err != nil {
		return err
	}
	if err := rp.OpenConnection(ctx, q.opt.App); err != nil {
		if c, ok := rp.(io.Closer); ok {
			c.Close()
		}
		return err
	}
	q.rp = rp
	if err := rp.SetAuthPreferences(ctx, q.opt.Prefs); err != nil {
		q.closeLocked(ctx)
		return err
	}
	return nil
}

// beginLocked begins a session on path ("" for the open file) and reads the
// file's identity.
//
// forPath is the linked file the session is for, which OnAuthPending names:
// path itself, or the expected file while the open one is looked up.
func (q *QuickBooks) beginLocked(ctx context.Context, path, forPath string) error {
	if err := q.connectLocked(ctx); err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, q.opt.BeginTimeout)
	stopWaiting := q.whileBeginWaits(forPath)
	ticket, err := q.rp.BeginSession(bctx, path, q.opt.Mode)
	stopWaiting()
	cancel()
	if err != nil {
		if !errors.Is(err, qbd.ErrAuthPending) {
			// The connection may be unusable (QuickBooks closed): start
			// afresh next time.
			q.closeLocked(ctx)
		}
		return err
	}
	q.ticket = ticket
	open, err := q.readIdentityLocked(ctx)
	if err != nil {
		q.closeLocked(ctx)
		return err
	}
	q.file = open
	return nil
}

// whileBeginWaits arranges OnAuthPending for a BeginSession on path that
// waits longer than AuthPendingAfter; the returned function, called when
// the call returned, cancels it, or waits for a callback already running,
// so that no callback comes after the call's own outcome.
func (q *QuickBooks) whileBeginWaits(path string) func() {
	if q.opt.OnAuthPending == nil {
		return func() {}
	}
	var mu sync.Mutex
	returned := false
	t := time.AfterFunc(q.opt.AuthPendingAfter, func() {
		mu.Lock()
		defer mu.Unlock()
		if !returned {
			q.opt.OnAuthPending(path)
		}
	})
	return func() {
		t.Stop()
		mu.Lock()
		returned = true
		mu.Unlock()
	}
}

// readIdentityLocked asks the session's QuickBooks for the file's path,
// company name and identity stamp.
func (q *QuickBooks) readIdentityLocked(ctx context.Context) (OpenFile, error) {
	path, err := q.rp.CurrentCompanyFileName(ctx, q.ticket)
	if err != nil {
		return OpenFile{}, err
	}
	req, err := qbxml.Marshal(&qbxml.MsgsRq{Requests: []qbxml.Element{&qbxml.CompanyQueryRq{RequestID: "identity", OwnerID: []string{q.opt.OwnerID}}}})
	if err != nil {
		return OpenFile{}, fmt.Errorf("connector: building the company query: %w", err)
	}
	resp, err := q.rp.ProcessRequest(ctx, q.ticket, req)
	if err != nil {
		return OpenFile{}, err
	}
	name, stamp, err := parseCompanyIdentity(resp)
	if err != nil {
		return OpenFile{}, err
	}
	return OpenFile{Path: path, CompanyName: name, FileID: stamp}, nil
}

// session makes sure a session is open on want's file and that the file is
// the linked one, and returns the ticket.
func (q *QuickBooks) sessionLocked(ctx context.Context, want gateway.FileIdentity) (string, error) {
	if q.ticket != "" && !qbd.SameFile(q.file.Path, want.Path) {
		q.closeLocked(ctx) // another company file's session
	}
	if q.ticket == "" {
		if err := q.beginLocked(ctx, want.Path, want.Path); err != nil {
			if hr, ok := qbd.HRESULTOf(err); ok && hr == qbd.HROtherFileOpen {
				return "", q.whichFileLocked(ctx, want, err)
			}
			return "", err
		}
	}
	if !sameIdentity(q.file, want) {
		open := q.file
		q.closeLocked(ctx)
		return "", &WrongFileError{Open: open, Expected: want}
	}
	return q.ticket, nil
}

// whichFileLocked learns which file QuickBooks has open after it refused
// the expected one, so that the message can name both.
func (q *QuickBooks) whichFileLocked(ctx context.Context, want gateway.FileIdentity, cause error) error {
	if err := q.beginLocked(ctx, "", want.Path); err != nil {
		if errors.Is(err, qbd.ErrAuthPending) {
			// QuickBooks asks about the file it has open.
			return err
		}
		return cause
	}
	open := q.file
	q.closeLocked(ctx)
	return &WrongFileError{Open: open, Expected: want}
}

// sameIdentity decides whether the open file is the linked one: the stamp
// decides when the link has one; otherwise the path and company name.
func sameIdentity(open OpenFile, want gateway.FileIdentity) bool {
	if want.FileID != "" {
		return open.FileID == want.FileID
	}
	return qbd.SameFile(open.Path, want.Path) && open.CompanyName == want.CompanyName
}

// Check begins (or reuses) a session on want's file and checks its
// identity, without running anything else. fresh ends an open session
// first, so that QuickBooks is asked again from the start (what Perform
// Sync does: it also makes QuickBooks show its authorization dialog).
func (q *QuickBooks) Check(ctx context.Context, want gateway.FileIdentity, fresh bool) (OpenFile, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if fresh {
		q.closeLocked(ctx)
	}
	if q.ticket != "" {
		// A round trip on the open session shows whether QuickBooks still
		// answers (a modal dialog, QuickBooks closed).
		if open, err := q.readIdentityLocked(ctx); err != nil {
			q.closeLocked(ctx)
		} else {
			q.file = open
		}
	}
	if _, err := q.sessionLocked(ctx, want); err != nil {
		return OpenFile{}, err
	}
	// A check leaves no session behind: QuickBooks users cannot close a
	// company file while an application holds a session on it.
	open := q.file
	q.closeLocked(ctx)
	return open, nil
}

// Process runs one qbXML request against want's file, after checking the
// file's identity. A session that QuickBooks ended meanwhile is begun again
// once (an invalid ticket means the request was not processed).
func (q *QuickBooks) Process(ctx context.Context, want gateway.FileIdentity, request []byte) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.processLocked(ctx, want, request, nil)
}

// ProcessWith is Process with a callback run after the session is checked
// and immediately before the request is sent (the journal's sent mark).
func (q *QuickBooks) ProcessWith(ctx context.Context, want gateway.FileIdentity, request []byte, beforeSend func() error) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.processLocked(ctx, want, request, beforeSend)
}

func (q *QuickBooks) processLocked(ctx context.Context, want gateway.FileIdentity, request []byte, beforeSend func() error) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		ticket, err := q.sessionLocked(ctx, want)
		if err != nil {
			return nil, err
		}
		if beforeSend != nil {
			if err := beforeSend(); err != nil {
				return nil, err
			}
		}
		resp, err := q.rp.ProcessRequest(ctx, ticket, request)
		q.lastUsed = time.Now()
		if err == nil {
			return resp, nil
		}
		hr, isQB := qbd.HRESULTOf(err)
		if isQB && hr == qbd.HRInvalidTicket && attempt == 0 {
			q.closeLocked(ctx)
			continue
		}
		if !isQB || hr != qbd.HRParseError {
			q.closeLocked(ctx) // QuickBooks closed or the session is gone
		}
		return nil, err
	}
}

// Open begins a session on path ("" for the file QuickBooks has open) and
// returns the file's identity, for linking.
func (q *QuickBooks) Open(ctx context.Context, path string) (OpenFile, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closeLocked(ctx)
	if err := q.beginLocked(ctx, path, path); err != nil {
		return OpenFile{}, err
	}
	q.lastUsed = time.Now()
	return q.file, nil
}

// Stamp writes fileID into the open session's company file as the
// connector's private DataExt, defining it first when needed.
func (q *QuickBooks) Stamp(ctx context.Context, fileID string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ticket == "" {
		return errors.New("connector: no QuickBooks session to stamp")
	}
	def := &qbxml.DataExtDefAddRq{RequestID: "def", DataExtDefAdd: &qbxml.DataExtDefAdd{
		OwnerID: qbxml.String(q.opt.OwnerID), DataExtName: qbxml.String(StampName),
		DataExtType: qbxml.String("STR255TYPE"), AssignToObject: []string{"Company"},
	}}
	add := &qbxml.DataExtAddRq{RequestID: "stamp", DataExtAdd: &qbxml.DataExtAdd{
		OwnerID: qbxml.String(q.opt.OwnerID), DataExtName: qbxml.String(StampName),
		OtherDataExtType: qbxml.String("Company"), DataExtValue: qbxml.String(fileID),
	}}
	mod := &qbxml.DataExtModRq{RequestID: "restamp", DataExtMod: &qbxml.DataExtMod{
		OwnerID: qbxml.String(q.opt.OwnerID), DataExtName: qbxml.String(StampName),
		OtherDataExtType: qbxml.String("Company"), DataExtValue: qbxml.String(fileID),
	}}
	run := func(rq qbxml.Element) (string, string, error) {
		req, err := qbxml.Marshal(&qbxml.MsgsRq{Requests: []qbxml.Element{rq}})
		if err != nil {
			return "", "", fmt.Errorf("connector: building the stamp: %w", err)
		}
		resp, err := q.rp.ProcessRequest(ctx, q.ticket, req)
		if err != nil {
			return "", "", err
		}
		return firstStatus(resp)
	}
	// 3100 ("already in use"): the definition, or a value, exists from an
	// earlier link; the value is then replaced.
	code, msg, err := run(def)
	if err == nil && code != "0" && code != "3100" {
		err = fmt.Errorf("connector: QuickBooks refused the identity stamp's definition: status %s: %s", code, msg)
	}
	if err == nil {
		code, msg, err = run(add)
	}
	if err == nil && code == "3100" {
		code, msg, err = run(mod)
	}
	if err == nil && code != "0" {
		err = fmt.Errorf("connector: QuickBooks refused the identity stamp: status %s: %s", code, msg)
	}
	if err != nil {
		return err
	}
	open, err := q.readIdentityLocked(ctx)
	if err != nil {
		return err
	}
	if open.FileID != fileID {
		return fmt.Errorf("connector: the identity stamp did not stick (read back %q)", open.FileID)
	}
	q.file = open
	return nil
}

// QuickBooks' answers are read with qbxml's decoder, whose tokenizer
// bounds depth, attributes, names and text: the connector reads them as
// carefully as the platform does.

// parseCompanyIdentity reads CompanyName and the stamp from a CompanyQuery
// response.
func parseCompanyIdentity(resp []byte) (name, stamp string, err error) {
	dec := newAnswerDecoder(resp)
	it, err := dec.Next()
	if err != nil {
		return "", "", fmt.Errorf("connector: reading QuickBooks' company answer: %w", err)
	}
	if it.Response.StatusCode != 0 {
		return "", "", fmt.Errorf("connector: QuickBooks answered the company query with status %d: %s", it.Response.StatusCode, it.Response.StatusMessage)
	}
	it, err = dec.Next()
	if err != nil || it.Kind != qbxml.ItemRecord || it.Record.ElementName() != "CompanyRet" {
		if err == nil || err == io.EOF {
			err = errors.New("no CompanyRet")
		}
		return "", "", fmt.Errorf("connector: reading QuickBooks' company answer: %w", err)
	}
	ret := it.Record.ToNode()
	name, _ = ret.ChildText("CompanyName")
	for _, e := range ret.ChildrenNamed("DataExtRet") {
		if n, _ := e.ChildText("DataExtName"); n == StampName {
			stamp, _ = e.ChildText("DataExtValue")
		}
	}
	return name, stamp, nil
}

func newAnswerDecoder(resp []byte) *qbxml.Decoder {
	return qbxml.NewDecoder(bytes.NewReader(resp), &qbxml.Options{Generic: true})
}

// firstStatus returns the status of the first response of a message set.
func firstStatus(resp []byte) (code, message string, err error) {
	it, err := newAnswerDecoder(resp).Next()
	if err == io.EOF {
		err = errors.New("the answer holds no response")
	}
	if err != nil {
		return "", "", fmt.Errorf("connector: reading QuickBooks' answer: %w", err)
	}
	return strconv.Itoa(it.Response.StatusCode), it.Response.StatusMessage, nil
}

// messageSetStatus returns the messageSetStatusCode of a response ("" when
// absent): "600" answers an oldMessageSetID QuickBooks does not know.
func messageSetStatus(resp []byte) (string, error) {
	dec := newAnswerDecoder(resp)
	// The message set's attributes are read with its first response, or
	// by the end of a message set without one.
	if _, err := dec.Next(); err != nil && err != io.EOF {
		return "", fmt.Errorf("connector: reading QuickBooks' answer: %w", err)
	}
	return dec.MessageSet().MessageSetStatusCode, nil
}

var (
	msgsRqTag    = regexp.MustCompile(`<QBXMLMsgsRq\b[^>]*>`)
	newMsgSetRE  = regexp.MustCompile(`\snewMessageSetID\s*=\s*("([^"]*)"|'([^']*)')`)
	writeRequest = regexp.MustCompile(`<[A-Za-z]+(Add|Mod|Del|Void)Rq\b`)
)

// IsWrite reports whether a qbXML request changes the company file.
func IsWrite(request string) bool { return writeRequest.MatchString(request) }

// withMessageSetID returns request with newMessageSetID set to id on its
// QBXMLMsgsRq, and the ID actually used: a request that already names a
// message set keeps its own.
func withMessageSetID(request, id string) (string, string, error) {
	loc := msgsRqTag.FindStringIndex(request)
	if loc == nil {
		return "", "", errors.New("connector: the request has no QBXMLMsgsRq element")
	}
	tag := request[loc[0]:loc[1]]
	if m := newMsgSetRE.FindStringSubmatch(tag); m != nil {
		return request, m[2] + m[3], nil
	}
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(id))
	attr := ` newMessageSetID="` + strings.ReplaceAll(esc.String(), `"`, "&quot;") + `"`
	insert := loc[0] + len("<QBXMLMsgsRq")
	return request[:insert] + attr + request[insert:], id, nil
}

// recoveryRequest asks QuickBooks for the stored answer of message set id.
func recoveryRequest(id string) []byte {
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(id))
	return []byte(qbxml.Header + `<QBXML><QBXMLMsgsRq onError="stopOnError" oldMessageSetID="` +
		strings.ReplaceAll(esc.String(), `"`, "&quot;") + `"></QBXMLMsgsRq></QBXML>`)
}
