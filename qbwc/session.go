package qbwc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbxml"
)

// The callbacks. Every one that takes a ticket loads the session it names
// and works only on that session's connection: the ticket is the whole
// binding between the Web Connector and one connection of one tenant.

// Answers of authenticate's second element.
const (
	authNVU  = "nvu"
	authNone = "none"
	authBusy = "busy"
)

// loginBusyPostpone is how long a Web Connector turned away as busy is
// asked to wait before it tries again.
const loginBusyPostpone = 30 * time.Second

// authenticate checks the credential and answers the four strings the Web
// Connector expects: ticket, company file (or nvu, none, busy), postpone
// seconds, minimum run interval in seconds. A caller over the login
// limits (see loginLimiter) is answered without a password check: nvu
// when its address failed too often, busy when the server is at its
// limits.
func (s *Server) authenticate(ctx context.Context, addr, user, password string) ([]string, error) {
	minRun := ""
	if s.cfg.MinRunEvery > 0 {
		minRun = strconv.Itoa(int(s.cfg.MinRunEvery / time.Second))
	}
	nvu := []string{"", authNVU, "", minRun}
	postpone := func(d time.Duration) string { return strconv.Itoa(int(max(d, time.Second) / time.Second)) }

	if r := s.logins.allow(ctx, addr); r != nil {
		s.cfg.Logger.WarnContext(ctx, "qbwc: login refused without a check", "addr", addr, "reason", r.why)
		if r.busy {
			// The server's limits, not the caller's password: the Web
			// Connector shows "Application Busy" and comes back.
			return []string{"", authBusy, postpone(loginBusyPostpone), minRun}, nil
		}
		return nvu, nil
	}
	checking := true
	checked := func() {
		if checking {
			checking = false
			s.logins.done()
		}
	}
	defer checked()
	cred, err := s.cfg.Store.CredentialByUser(ctx, user)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
		checked()
		s.logins.failed(addr)
		s.cfg.Logger.InfoContext(ctx, "qbwc: unknown user name", "user", truncate(user, 64), "addr", addr)
		return nvu, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	wrong := bcrypt.CompareHashAndPassword(cred.PasswordHash, []byte(password)) != nil
	checked()
	if wrong {
		s.logins.failed(addr)
		// The count per user name is kept for operators; it locks
		// nothing out.
		n, err := s.cfg.Store.RecordLoginFailure(ctx, user, s.cfg.LoginWindow)
		if err != nil {
			return nil, err
		}
		s.cfg.Logger.InfoContext(ctx, "qbwc: wrong password", "user", user, "addr", addr, "failures", n)
		return nvu, nil
	}
	s.logins.succeeded(addr)
	if cred.FailedLogins > 0 {
		if err := s.cfg.Store.ResetLoginFailures(ctx, user); err != nil {
			return nil, err
		}
	}
	conn, err := s.cfg.Control.Connections().LookupConnection(ctx, cred.ConnectionID)
	if err != nil {
		return nil, err
	}
	if conn.Kind != qbconnect.KindWebConnector || conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized {
		s.cfg.Logger.InfoContext(ctx, "qbwc: login for an inactive connection", "connection", conn.ID, "status", conn.Status)
		return nvu, nil
	}
	ticket, err := s.newTicket()
	if err != nil {
		return nil, err
	}
	sess := &qbconnect.WebConnectorSession{
		TicketHash: ticketHash(ticket), ConnectionID: conn.ID, OrgID: conn.OrgID, CompanyID: conn.CompanyID,
		Status: qbconnect.SessionClosed, ClosedAt: &now,
	}
	// closedWith stores a session that ends at once (none, busy) so that
	// the closeConnection and getLastError that follow find it.
	closedWith := func(answer string, wait time.Duration, msg string) ([]string, error) {
		sess.LastError = msg
		if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
			return nil, err
		}
		s.cfg.Logger.InfoContext(ctx, "qbwc: authenticated", "connection", conn.ID, "session", sess.ID, "answer", answer)
		return []string{ticket, answer, postpone(wait), minRun}, nil
	}
	if conn.Paused && (conn.PausedUntil == nil || conn.PausedUntil.After(now)) {
		wait := s.cfg.Postpone
		if conn.PausedUntil != nil {
			wait = conn.PausedUntil.Sub(now)
		}
		return closedWith(authNone, wait, "Syncing with QuickBooks is paused for this company.")
	}

	// One update at a time: a live session makes this one busy; a silent
	// one is taken over, with the operation it may still hold.
	others, err := s.cfg.Store.ConnectionSessions(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	var inherit *qbconnect.WebConnectorSession
	for _, o := range others {
		if o.Status == qbconnect.SessionOpen && now.Sub(o.UpdatedAt) < s.cfg.SessionIdle {
			return closedWith(authBusy, s.cfg.Postpone, "Another update of this company file is in progress.")
		}
	}
	for _, o := range others {
		if o.OpID != "" && inherit == nil {
			inherit = o
		}
		taken := *o
		if taken.Status == qbconnect.SessionOpen {
			taken.Status = qbconnect.SessionAbandoned
			taken.ClosedAt = &now
			taken.LastError = "This update stopped answering and a new one took over."
		}
		taken.OpID, taken.LeaseID, taken.Recovery = "", "", false
		if err := s.cfg.Store.UpdateSession(ctx, &taken); err != nil {
			return nil, err
		}
	}
	pending, err := s.cfg.Store.PendingOperations(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	if pending == 0 && inherit == nil {
		return closedWith(authNone, s.cfg.Postpone, "There is nothing to exchange with QuickBooks right now.")
	}
	sess.Status, sess.ClosedAt = qbconnect.SessionOpen, nil
	sess.CompanyFile = conn.File.Path
	if inherit != nil {
		// The operation was sent by an update that never reported back:
		// a write may have run, so it is recovered, never sent again.
		sess.OpID, sess.LeaseID = inherit.OpID, inherit.LeaseID
		sess.Recovery = true
	}
	if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.EConflict { // another process opened one just now
			sess.Status, sess.ClosedAt = qbconnect.SessionClosed, &now
			return closedWith(authBusy, s.cfg.Postpone, "Another update of this company file is in progress.")
		}
		return nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "qbwc: update begins", "connection", conn.ID, "org", conn.OrgID, "session", sess.ID,
		"pending", pending, "inherited", sess.OpID)
	return []string{ticket, sess.CompanyFile, "", minRun}, nil
}

// session returns the session of a ticket; an unknown ticket is a fault.
func (s *Server) session(ctx context.Context, ticket string) (*qbconnect.WebConnectorSession, error) {
	if ticket == "" {
		return nil, clientFault("the ticket is missing")
	}
	sess, err := s.cfg.Store.FindSession(ctx, ticketHash(ticket))
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return nil, clientFault("unknown ticket; authenticate first")
	}
	return sess, err
}

// openSession returns an open session and its connection.
func (s *Server) openSession(ctx context.Context, ticket string) (*qbconnect.WebConnectorSession, *qbconnect.Connection, error) {
	sess, err := s.session(ctx, ticket)
	if err != nil {
		return nil, nil, err
	}
	if sess.Status != qbconnect.SessionOpen {
		return nil, nil, clientFault("this update has ended (%s); the Web Connector starts a new one with authenticate", sess.Status)
	}
	conn, err := s.cfg.Control.Connections().LookupConnection(ctx, sess.ConnectionID)
	if err != nil {
		return nil, nil, err
	}
	if conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized {
		return nil, nil, clientFault("the connection was %s", strings.ToLower(string(conn.Status)))
	}
	return sess, conn, nil
}

// recoveryRequest asks QuickBooks for the stored answer of the message set
// of a write that may already have run.
func recoveryRequest(messageSetID string) string {
	return `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError" oldMessageSetID="` +
		messageSetID + `"></QBXMLMsgsRq></QBXML>`
}

// noOp is sendRequestXML's answer that makes the Web Connector call
// getLastError, which pauses the update for five seconds when it answers
// NoOp too. It is used instead of ever returning an empty request in the
// middle of an update.
const noOp = "NoOp"

// sendRequestXML returns the next request: after checking the company
// file on the first call, the operation the session holds (or its
// recovery), else the next one leased from the connection's queue, else a
// NoOp pause. "" ends the update with the reason getLastError gives.
func (s *Server) sendRequestXML(ctx context.Context, ticket, hcp, file, country string, major, minor int) (string, error) {
	sess, conn, err := s.openSession(ctx, ticket)
	if err != nil {
		return "", err
	}
	if !sess.HCPDone {
		problem, err := s.checkCompany(ctx, sess, conn, hcp, file, major)
		if err != nil {
			return "", err
		}
		if problem != "" {
			sess.LastError = problem
			return "", s.save(ctx, sess)
		}
		sess.HCPDone = true
	}
	sess.PendingNoOp = false
	if sess.OpID != "" {
		op, err := s.cfg.Control.Queue().FindOperation(ctx, sess.OrgID, sess.OpID)
		if err != nil {
			return "", err
		}
		if op.Status == qbconnect.OpInFlight && op.LeaseID == sess.LeaseID {
			if _, err := s.cfg.Control.Queue().ExtendLease(ctx, op.ID, sess.LeaseID, s.cfg.LeaseTTL); err == nil {
				return s.send(ctx, sess, op)
			}
		}
		// The lease ended (expired and offered again, or the operation was
		// cancelled): whatever runs it next recovers it.
		sess.OpID, sess.LeaseID, sess.Recovery = "", "", false
	}
	lease, err := s.cfg.Control.Queue().LeaseConnection(ctx, conn.ID, s.cfg.LeaseTTL)
	if err != nil {
		return "", err
	}
	if lease == nil {
		sess.PendingNoOp = true
		return noOp, s.save(ctx, sess)
	}
	op := lease.Operation
	sess.OpID, sess.LeaseID = op.ID, lease.LeaseID
	// An earlier attempt of a write may have run in QuickBooks.
	sess.Recovery = op.MessageSetID != "" && op.Attempts > 1
	return s.send(ctx, sess, op)
}

// send records that op goes to QuickBooks and returns its request, or the
// recovery of a write that may have run already.
func (s *Server) send(ctx context.Context, sess *qbconnect.WebConnectorSession, op *qbconnect.Operation) (string, error) {
	if op.MessageSetID == "" {
		sess.Recovery = false
	}
	req := op.Request
	if sess.Recovery {
		req = recoveryRequest(op.MessageSetID)
	}
	sess.Sent++
	if err := s.save(ctx, sess); err != nil {
		return "", err
	}
	s.cfg.Logger.DebugContext(ctx, "qbwc: request sent", "session", sess.ID, "op", op.ID, "kind", op.Kind, "recovery", sess.Recovery)
	return req, nil
}

func (s *Server) save(ctx context.Context, sess *qbconnect.WebConnectorSession) error {
	return s.cfg.Store.UpdateSession(ctx, sess)
}

// checkCompany reads the Host/Company/Preferences answers of the first
// sendRequestXML, links the connection to the file at its first update and
// checks the file's identity at every other. It returns a problem for the
// end user (the update then ends) or "".
func (s *Server) checkCompany(ctx context.Context, sess *qbconnect.WebConnectorSession, conn *qbconnect.Connection, hcp, file string, major int) (string, error) {
	now := s.cfg.Now()
	setHealth := func(h qbconnect.Health) error {
		h.Since, h.LastRequestAt = now, &now
		return s.cfg.Control.Connections().SetHealth(ctx, conn.ID, h)
	}
	if strings.TrimSpace(hcp) == "" || strings.Contains(hcp, "not supported in QBPOS") {
		msg := "The Web Connector did not send QuickBooks' company information, so the company file cannot be checked. qbconnect works with QuickBooks Desktop (QBFS), not QuickBooks Point of Sale."
		return msg, nil
	}
	info, err := readHCP(hcp)
	if err != nil {
		msg := "QuickBooks' company information could not be read: " + err.Error()
		return msg, nil
	}
	if major > 0 && major < 13 {
		h := qbconnect.Health{Code: qbd.CondQBXMLVersion, Message: "This QuickBooks supports qbXML " + strconv.Itoa(major) + "." + "x; qbconnect needs 13.0 (QuickBooks 2014 or later).",
			Resolution: "Update QuickBooks Desktop, then click Update Selected in the QuickBooks Web Connector.", NeedsUser: true}
		return h.Message, setHealth(h)
	}
	cred, err := s.cfg.Store.FindCredential(ctx, conn.ID)
	if err != nil {
		return "", err
	}
	owner, err := s.OwnerID(ctx)
	if err != nil {
		return "", err
	}
	stamp := ""
	for _, x := range info.dataExt {
		if strings.EqualFold(x.owner, owner) && x.name == "FileID" {
			stamp = x.value
		}
	}
	open := qbconnect.FileIdentity{Path: file, CompanyName: info.companyName, FileID: stamp}
	mismatch := func(e *qbconnect.Error) (string, error) {
		h := qbconnect.Health{Code: qbconnect.HealthFileMismatch, Message: e.UserMessage, Resolution: wcWords(e.Resolution), NeedsUser: true}
		s.cfg.Logger.WarnContext(ctx, "qbwc: company file mismatch", "connection", conn.ID, "session", sess.ID, "err", e.Message)
		return e.UserMessage + " " + h.Resolution, setHealth(h)
	}
	if stamp != "" && !strings.EqualFold(stamp, cred.FileID) {
		return mismatch(qbconnect.FileIdentity{Path: conn.File.Path, CompanyName: conn.File.CompanyName, FileID: cred.FileID}.CheckFile(open))
	}
	if conn.File.Path == "" && conn.File.FileID == "" {
		if open.FileID == "" {
			open.FileID = cred.FileID
		}
		// The link and the Web Connector's health are one change, with
		// its event in its transaction (the outbox).
		h := connected(now)
		h.Since, h.LastRequestAt = now, &now
		if conn, err = s.cfg.Control.Connections().LinkWebConnector(ctx, conn.ID, open, h); err != nil {
			return "", err
		}
		s.cfg.Logger.InfoContext(ctx, "qbwc: connection linked", "connection", conn.ID, "file", file, "company", info.companyName)
		sess.CompanyFile = file
		return "", nil
	} else if e := conn.File.CheckFile(open); e != nil {
		return mismatch(e)
	}
	sess.CompanyFile = file
	return "", setHealth(connected(now))
}

// connected is the health of a Web Connector whose company file checked
// out at now.
func connected(now time.Time) qbconnect.Health {
	return qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected to QuickBooks through the Web Connector.", LastSuccessAt: &now}
}

// hcpInfo is what the platform reads from the Host/Company/Preferences
// answers.
type hcpInfo struct {
	product     string
	companyName string
	dataExt     []dataExt
}

type dataExt struct{ owner, name, value string }

func readHCP(hcp string) (*hcpInfo, error) {
	dec := qbxml.NewDecoder(strings.NewReader(hcp), &qbxml.Options{Generic: true})
	info := &hcpInfo{}
	sawCompany := false
	for {
		it, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if it.Kind != qbxml.ItemRecord {
			continue
		}
		n := it.Record.ToNode()
		switch n.Name {
		case "HostRet":
			info.product, _ = n.ChildText("ProductName")
		case "CompanyRet":
			sawCompany = true
			info.companyName, _ = n.ChildText("CompanyName")
			for _, x := range n.ChildrenNamed("DataExtRet") {
				o, _ := x.ChildText("OwnerID")
				name, _ := x.ChildText("DataExtName")
				v, _ := x.ChildText("DataExtValue")
				info.dataExt = append(info.dataExt, dataExt{o, name, v})
			}
		}
	}
	if !sawCompany {
		return nil, errors.New("no CompanyRet in the answers")
	}
	return info, nil
}

// wcWords rewords a resolution written for the qbconnect connector for a
// Web Connector user.
var wcReplacer = strings.NewReplacer(
	"press Perform Sync in the connector", "click Update Selected in the QuickBooks Web Connector",
	"press Perform Sync", "click Update Selected in the QuickBooks Web Connector",
	"Relink the connection", "Download the .qwc file again and add it to the Web Connector",
	"relink the connection", "download the .qwc file again and add it to the Web Connector",
	"re-link the connection", "download the .qwc file again and add it to the Web Connector",
	"the connector's", "the Web Connector's",
	"the connector", "the Web Connector",
	"as the connector", "as the Web Connector",
)

func wcWords(s string) string { return wcReplacer.Replace(s) }

// failure explains an HRESULT the Web Connector passed on with the control
// plane's table (the connector's), in the Web Connector's words.
func failure(hresult, message string, conn *qbconnect.Connection) gateway.Failure {
	f := control.Diagnose(hresult, message, conn.File.Path)
	f.UserMessage, f.Resolution = wcWords(f.UserMessage), wcWords(f.Resolution)
	return f
}

func healthOf(f gateway.Failure, now time.Time) qbconnect.Health {
	return qbconnect.Health{Code: f.Condition, Message: f.UserMessage, Resolution: f.Resolution, QBCode: f.HResult,
		Since: now, LastRequestAt: &now, NeedsUser: f.NeedsUser}
}

// recoveryMissed matches the answer to an oldMessageSetID that QuickBooks
// has no record of: the write never ran.
var recoveryMissed = regexp.MustCompile(`messageSetStatusCode\s*=\s*["']600["']`)

// receiveResponseXML records QuickBooks' answer (or the HRESULT it failed
// with) for the operation the session sent, hands it on, and returns the
// progress: 100 when the connection has no more work, 0-99 otherwise, -1
// when the update must stop (getLastError says why).
func (s *Server) receiveResponseXML(ctx context.Context, ticket, response, hresult, message string) (int, error) {
	sess, conn, err := s.openSession(ctx, ticket)
	if err != nil {
		return 0, err
	}
	if sess.OpID == "" {
		return 0, clientFault("no request of this update awaits an answer")
	}
	rep := control.Report{LeaseID: sess.LeaseID, Connected: "Connected to QuickBooks through the Web Connector."}
	stop := false
	switch {
	case hresult != "" || strings.TrimSpace(response) == "":
		if hresult == "" {
			message = "the Web Connector returned neither an answer nor an error"
		}
		f := failure(hresult, message, conn)
		rep.Failure = &f
		sess.LastError = strings.TrimSpace(f.UserMessage + " " + f.Resolution)
		stop = true
	case sess.Recovery && recoveryMissed.MatchString(response):
		// QuickBooks has no answer stored for the write's message set: it
		// never ran. The next sendRequestXML sends the write itself.
		sess.Recovery = false
		if err := s.save(ctx, sess); err != nil {
			return 0, err
		}
		return s.progress(ctx, sess, conn, true)
	default:
		rep.Response = []byte(response)
	}
	op, err := s.cfg.Control.Queue().FindOperation(ctx, sess.OrgID, sess.OpID)
	if err != nil {
		return 0, err
	}
	if _, applied, err := s.cfg.Control.Complete(ctx, op, rep); err != nil {
		return 0, err
	} else if !applied {
		s.cfg.Logger.InfoContext(ctx, "qbwc: answer recorded but not applied (lease ended or duplicate)", "session", sess.ID, "op", sess.OpID)
	}
	sess.OpID, sess.LeaseID, sess.Recovery = "", "", false
	sess.Received++
	if err := s.save(ctx, sess); err != nil {
		return 0, err
	}
	if stop {
		return -1, nil
	}
	return s.progress(ctx, sess, conn, false)
}

// progress is the share of the update's work done: requests answered
// against those answered plus those still pending. It is below 100 while
// work is pending (or more must be sent), so the Web Connector goes on.
func (s *Server) progress(ctx context.Context, sess *qbconnect.WebConnectorSession, conn *qbconnect.Connection, more bool) (int, error) {
	pending, err := s.cfg.Store.PendingOperations(ctx, conn.ID)
	if err != nil {
		return 0, err
	}
	if pending == 0 && !more {
		return 100, nil
	}
	pending = max(pending, 1)
	return min(99, sess.Received*100/(sess.Received+pending)), nil
}

// connectionError records why the Web Connector could not open the company
// file as the connection's health and ends the update.
func (s *Server) connectionError(ctx context.Context, ticket, hresult, message string) (string, error) {
	sess, conn, err := s.openSession(ctx, ticket)
	if err != nil {
		return "", err
	}
	now := s.cfg.Now()
	f := failure(hresult, message, conn)
	if err := s.cfg.Control.Connections().SetHealth(ctx, conn.ID, healthOf(f, now)); err != nil {
		return "", err
	}
	sess.Status, sess.ClosedAt = qbconnect.SessionClosed, &now
	sess.LastError = strings.TrimSpace(f.UserMessage + " " + f.Resolution)
	if err := s.save(ctx, sess); err != nil {
		return "", err
	}
	s.cfg.Logger.InfoContext(ctx, "qbwc: QuickBooks could not be reached", "connection", conn.ID, "session", sess.ID,
		"hresult", hresult, "condition", f.Condition)
	return "done", nil
}

// getLastError answers NoOp while a pause can help (work queued but not
// runnable yet), else the message explaining the end of the update.
func (s *Server) getLastError(ctx context.Context, ticket string) (string, error) {
	sess, err := s.session(ctx, ticket)
	if err != nil {
		return "", err
	}
	if sess.Status == qbconnect.SessionOpen && sess.PendingNoOp {
		pending, err := s.cfg.Store.PendingOperations(ctx, sess.ConnectionID)
		if err != nil {
			return "", err
		}
		sess.PendingNoOp = false
		answer := noOp
		switch {
		case pending == 0:
			sess.LastError = "Update complete: nothing more to exchange with QuickBooks."
			answer = sess.LastError
		case sess.NoOps >= s.cfg.MaxNoOps:
			sess.LastError = "The remaining work is not ready yet; it runs at the next update."
			answer = sess.LastError
		default:
			sess.NoOps++
		}
		return answer, s.save(ctx, sess)
	}
	if sess.LastError == "" {
		return "No error.", nil
	}
	return sess.LastError, nil
}

// closeConnection ends the update and says how it went.
func (s *Server) closeConnection(ctx context.Context, ticket string) (string, error) {
	if ticket == "" {
		// authenticate answered nvu, with no ticket.
		return "The user name or password is not valid.", nil
	}
	sess, err := s.session(ctx, ticket)
	if err != nil {
		return "", err
	}
	if sess.Status == qbconnect.SessionOpen {
		now := s.cfg.Now()
		sess.Status, sess.ClosedAt, sess.PendingNoOp = qbconnect.SessionClosed, &now, false
		if err := s.save(ctx, sess); err != nil {
			return "", err
		}
		s.cfg.Logger.InfoContext(ctx, "qbwc: update ended", "connection", sess.ConnectionID, "session", sess.ID,
			"sent", sess.Sent, "received", sess.Received, "holding", sess.OpID)
	}
	if sess.LastError != "" {
		return sess.LastError, nil
	}
	return fmt.Sprintf("OK: %d request(s) exchanged with QuickBooks.", sess.Received), nil
}
