// Package webconnector simulates Intuit's QuickBooks Web Connector: given a
// .qwc file and its password, it runs updates against a web service exactly
// as the Web Connector does, driving QuickBooks through a qbd request
// processor (the in-process simulator, the qbdsim server's client, or the
// real QBXMLRP2 driver) as the Web Connector drives QBXMLRP2.
//
// One update: serverVersion, clientVersion, authenticate; on a company
// file answer, OpenConnection with the .qwc's AppName and AppID and the
// auth preferences it declares, BeginSession (tried twice, then
// connectionError, whose answer may name another file); on the first
// update of the .qwc, the FileID (and AppLock) stamp under OwnerID, or
// QBWC1039 when the file carries another FileID; the Host, Company and
// Preferences queries passed to the first sendRequestXML; then
// sendRequestXML, ProcessRequest, receiveResponseXML until 100 (or a
// negative answer, or getLastError), with NoOp pauses; EndSession,
// CloseConnection and closeConnection. Run repeats updates every
// RunEveryNMinutes, honouring postpone answers.
//
// The Web Connector is signed by Intuit: to QuickBooks it is one
// application identity (the .qwc's AppName, Program's signature),
// independent of the web service's own certificate.
//
// It imports qbd and qbxml, never the platform.
package webconnector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Config configures a Client. QWC and Processor are required; every other
// field has the default its comment names.
type Config struct {
	// QWC is the application's .qwc file.
	QWC *QWC
	// Password is the password stored for the application.
	Password string
	// Processor returns a new QuickBooks request processor; the Web
	// Connector opens one per update.
	Processor func() qbd.RequestProcessor
	// HTTPClient calls the web service; nil means a client with a
	// ten-minute timeout.
	HTTPClient *http.Client
	// Version is the Web Connector version sent to clientVersion; "" means
	// "2.3.0.215".
	Version string
	// Program is the Web Connector's executable, whose signature QuickBooks
	// checks; "" means an unsigned caller (the simulator accepts it by
	// name).
	Program string
	// Hostname is written into the AppLock stamp; "" means os.Hostname.
	Hostname string
	// Pause waits d (the NoOp pause, the scheduler); nil means a timer.
	// Tests inject one that returns at once.
	Pause func(ctx context.Context, d time.Duration) error
	// NoOpPause is the pause after a NoOp; 0 means five seconds, as the
	// Web Connector waits.
	NoOpPause time.Duration
	// MaxRequests bounds the requests of one update, as a safety net;
	// 0 means 1,000,000.
	MaxRequests int
	// BeforeCall, when set, is called before each SOAP call with the
	// operation's name; an error aborts the update right there, as if the
	// Web Connector died (no further call, QuickBooks' session closed).
	BeforeCall func(op string) error
	// Logger receives the Web Connector's log (QWCLog.txt); nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client is one application added to a simulated Web Connector. It is not
// safe for concurrent use: the Web Connector runs one update of an
// application at a time.
type Client struct {
	cfg   Config
	qwc   *QWC
	added bool // the file stamp was checked or written
	calls []string
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.QWC == nil || cfg.Processor == nil {
		return nil, errors.New("webconnector: QWC and Processor are required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if cfg.Version == "" {
		cfg.Version = "2.3.0.215"
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.Pause == nil {
		cfg.Pause = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if cfg.NoOpPause == 0 {
		cfg.NoOpPause = 5 * time.Second
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = 1_000_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, qwc: cfg.QWC}, nil
}

// Outcomes of an update.
const (
	OutcomeDone            = "done"             // receiveResponseXML reached 100
	OutcomeStopped         = "stopped"          // the service ended it (negative progress, "" or a message from getLastError)
	OutcomeNVU             = "nvu"              // invalid user name or password
	OutcomeNone            = "none"             // no work
	OutcomeBusy            = "busy"             // the service is busy with another update
	OutcomeVersion         = "version"          // clientVersion refused this version (E: or O:)
	OutcomeConnectionError = "connection_error" // QuickBooks could not be opened
	OutcomeError           = "error"            // a QBWC error (Result.Err)
	OutcomeAborted         = "aborted"          // BeforeCall stopped it
)

// Result is what one update did.
type Result struct {
	Outcome string
	// Status is what the Web Connector's status column shows:
	// closeConnection's answer, or the error.
	Status string
	// LastError is getLastError's last answer other than NoOp.
	LastError string
	// Calls are the SOAP calls made, in order.
	Calls []string
	// Requests counts qbXML requests processed; NoOps the pauses.
	Requests int
	NoOps    int
	// Progress is receiveResponseXML's last answer.
	Progress int
	// Postpone is how long authenticate asked to wait; MinRunEvery the
	// minimum interval it set.
	Postpone    time.Duration
	MinRunEvery time.Duration
	// Err is the QBWC error that ended the update, when one did.
	Err error
}

// Update runs one update. Errors of the update are in the Result; the
// returned error is only a cancelled context.
func (c *Client) Update(ctx context.Context) (*Result, error) {
	c.calls = nil
	res := &Result{}
	err := c.update(ctx, res)
	res.Calls = c.calls
	var ab *abort
	switch {
	case errors.As(err, &ab):
		res.Outcome, res.Err, res.Status = OutcomeAborted, ab.err, ab.Error()
	case err != nil && ctx.Err() != nil:
		return res, ctx.Err()
	case err != nil:
		if res.Outcome == "" {
			res.Outcome = OutcomeError
		}
		res.Err = err
		if res.Status == "" {
			res.Status = err.Error()
		}
	}
	c.cfg.Logger.Info("webconnector: update finished", "app", c.qwc.AppName, "outcome", res.Outcome, "status", res.Status,
		"requests", res.Requests, "noops", res.NoOps)
	return res, nil
}

func (c *Client) update(ctx context.Context, res *Result) error {
	if _, _, err := c.soapCall(ctx, "serverVersion"); err != nil {
		var ab *abort
		if errors.As(err, &ab) {
			return err
		}
		// The Web Connector logs the failure and goes on.
		c.cfg.Logger.Warn("webconnector: serverVersion failed", "err", err)
	}
	v, _, err := c.soapCall(ctx, "clientVersion", arg{name: "strVersion", value: c.cfg.Version})
	if err != nil {
		return qbwcErrWrap("QBWC1036", "Error countered during version check", err)
	}
	switch {
	case v == "":
	case strings.HasPrefix(v, "W:"):
		c.cfg.Logger.Warn("webconnector: version warning; the user continues", "message", v[2:])
	case strings.HasPrefix(v, "E:"), strings.HasPrefix(v, "O:"):
		res.Outcome = OutcomeVersion
		if strings.HasPrefix(v, "O:") {
			return qbwcErr("QBWC1037", "The web service requires Web Connector version %s or later.", v[2:])
		}
		return qbwcErr("QBWC1037", "Application sent following error or warning message when checking version of QB web connector. Update aborted. %s", v[2:])
	default:
		return qbwcErr("QBWC1046", "Application sent incorrect syntax return value for clientVersion(): %q. Update cannot continue.", v)
	}
	_, auth, err := c.soapCall(ctx, "authenticate", arg{name: "strUserName", value: c.qwc.UserName}, arg{name: "strPassword", value: c.cfg.Password})
	if err != nil {
		return qbwcErrWrap("QBWC1012", "Authentication failed due to following error message", err)
	}
	if len(auth) < 2 {
		return qbwcErr("QBWC1012", "Authentication failed: authenticate answered %d strings, at least 2 are needed", len(auth))
	}
	ticket := auth[0]
	if len(auth) > 2 && auth[2] != "" {
		if n, err := strconv.Atoi(auth[2]); err == nil && n > 0 {
			res.Postpone = time.Duration(n) * time.Second
		}
	}
	if len(auth) > 3 && auth[3] != "" {
		if n, err := strconv.Atoi(auth[3]); err == nil && n > 0 {
			res.MinRunEvery = time.Duration(n) * time.Second
		}
	}
	switch auth[1] {
	case "nvu":
		res.Outcome = OutcomeNVU
		return c.closeWith(ctx, res, ticket, "Invalid password for username "+c.qwc.UserName)
	case "none":
		res.Outcome = OutcomeNone
		return c.closeWith(ctx, res, ticket, "No Data Exchange required")
	case "busy":
		res.Outcome = OutcomeBusy
		return c.closeWith(ctx, res, ticket, "Application Busy")
	}
	path := auth[1]

	// QuickBooks, as the Web Connector opens it.
	rp := c.cfg.Processor()
	qbTicket, err := c.openQuickBooks(ctx, rp, ticket, path, res)
	if err != nil {
		return err
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		if err := rp.EndSession(bg, qbTicket); err != nil {
			c.cfg.Logger.Warn("webconnector: QBWC1015 EndSession failed", "err", err)
		}
		if err := rp.CloseConnection(bg); err != nil {
			c.cfg.Logger.Warn("webconnector: QBWC1015 CloseConnection failed", "err", err)
		}
	}()
	hcp, country, major, minor, err := c.hostCompanyPreferences(ctx, rp, qbTicket)
	if err != nil {
		_, _, _ = c.soapCall(ctx, "closeConnection", arg{name: "ticket", value: ticket})
		return err
	}
	file, err := rp.CurrentCompanyFileName(ctx, qbTicket)
	if err != nil {
		return qbwcErrWrap("QBWC1014", "Could not get the company file name from QuickBooks", err)
	}
	for first := true; ; first = false {
		if res.Requests >= c.cfg.MaxRequests {
			return qbwcErr("QBWC1031", "the update exceeded %d requests", c.cfg.MaxRequests)
		}
		send := hcp
		if !first {
			send = ""
		}
		req, _, err := c.soapCall(ctx, "sendRequestXML", arg{name: "ticket", value: ticket}, arg{name: "strHCPResponse", value: send},
			arg{name: "strCompanyFileName", value: file}, arg{name: "qbXMLCountry", value: country},
			arg{name: "qbXMLMajorVers", value: strconv.Itoa(major)}, arg{name: "qbXMLMinorVers", value: strconv.Itoa(minor)})
		if err != nil {
			return qbwcErrWrap("QBWC1041", "SendRequestXML failed due to error message", err)
		}
		if req == "" || req == "NoOp" {
			msg, _, err := c.soapCall(ctx, "getLastError", arg{name: "ticket", value: ticket})
			if err != nil {
				return qbwcErrWrap("QBWC1043", "getLastError failed due to error message", err)
			}
			if msg == "NoOp" {
				res.NoOps++
				if err := c.cfg.Pause(ctx, c.cfg.NoOpPause); err != nil {
					return err
				}
				continue
			}
			res.LastError = msg
			res.Outcome = OutcomeStopped
			return c.closeWith(ctx, res, ticket, msg)
		}
		resp, perr := rp.ProcessRequest(ctx, qbTicket, []byte(req))
		res.Requests++
		var args []arg
		if perr != nil {
			hr, msg := hresultOf(perr)
			args = []arg{{name: "ticket", value: ticket}, {name: "response", value: ""}, {name: "hresult", value: hr}, {name: "message", value: msg}}
		} else {
			args = []arg{{name: "ticket", value: ticket}, {name: "response", value: string(resp)}, {name: "hresult", value: ""}, {name: "message", value: ""}}
		}
		pct, _, err := c.soapCall(ctx, "receiveResponseXML", args...)
		if err != nil {
			return qbwcErrWrap("QBWC1042", "ReceiveResponseXML failed due to error message", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(pct))
		if err != nil {
			return qbwcErr("QBWC1042", "receiveResponseXML answered %q, not an integer", pct)
		}
		res.Progress = n
		switch {
		case n < 0:
			msg, _, err := c.soapCall(ctx, "getLastError", arg{name: "ticket", value: ticket})
			if err != nil {
				return qbwcErrWrap("QBWC1043", "getLastError failed due to error message", err)
			}
			res.LastError = msg
			res.Outcome = OutcomeStopped
			return c.closeWith(ctx, res, ticket, msg)
		case n >= 100:
			res.Outcome = OutcomeDone
			return c.closeWith(ctx, res, ticket, "")
		}
	}
}

// closeWith calls closeConnection and records what the status column
// shows.
func (c *Client) closeWith(ctx context.Context, res *Result, ticket, status string) error {
	s, _, err := c.soapCall(ctx, "closeConnection", arg{name: "ticket", value: ticket})
	if err != nil {
		return qbwcErrWrap("QBWC1044", "CloseConnection failed due to error message", err)
	}
	res.Status = s
	if res.Status == "" {
		res.Status = status
	}
	return nil
}

func qbwcErrWrap(code, msg string, err error) error {
	var ab *abort
	if errors.As(err, &ab) {
		return err
	}
	return &Error{Code: code, Message: msg + ": " + err.Error()}
}

// hresultOf formats a request processor failure as the Web Connector
// passes it on.
func hresultOf(err error) (string, string) {
	var qe *qbd.Error
	if errors.As(err, &qe) {
		return qbd.FormatHRESULT(qe.HRESULT), qe.Message
	}
	return qbd.FormatHRESULT(qbd.HRCouldNotAccess), err.Error()
}

// openQuickBooks opens the connection and the session, trying each
// connection twice and asking connectionError what to do after a failed
// pair. It returns QuickBooks' ticket.
func (c *Client) openQuickBooks(ctx context.Context, rp qbd.RequestProcessor, ticket, path string, res *Result) (string, error) {
	opened := false
	for round := 0; ; round++ {
		var qbTicket string
		var err error
		for try := 0; try < 2; try++ {
			if qbTicket, err = c.begin(ctx, rp, path, &opened); err == nil {
				return qbTicket, nil
			}
			c.cfg.Logger.Info("webconnector: could not connect to QuickBooks", "try", try+1, "err", err)
		}
		hr, msg := hresultOf(err)
		ans, _, cerr := c.soapCall(ctx, "connectionError", arg{name: "ticket", value: ticket}, arg{name: "hresult", value: hr}, arg{name: "message", value: msg})
		if cerr != nil {
			return "", qbwcErrWrap("QBWC1045", "ConnectionError failed due to error message", cerr)
		}
		if strings.EqualFold(ans, "done") || round >= 1 {
			res.Outcome = OutcomeConnectionError
			_ = c.closeWith(ctx, res, ticket, "")
			if res.Status == "" {
				res.Status = msg
			}
			return "", qbwcErr("QBWC1013", "Error connecting to QuickBooks. Returning error message to application. %s", msg)
		}
		path = ans // another company file ("" the open one)
	}
}

// begin opens a connection and a session on path, closing the connection
// an earlier try left open.
func (c *Client) begin(ctx context.Context, rp qbd.RequestProcessor, path string, opened *bool) (string, error) {
	if *opened {
		_ = rp.CloseConnection(ctx)
		*opened = false
	}
	app := qbd.App{ID: c.qwc.AppID, Name: c.qwc.AppName, ConnectionType: qbd.ConnectionLocalQBD, Program: c.cfg.Program}
	if err := rp.OpenConnection(ctx, app); err != nil {
		return "", err
	}
	*opened = true
	prefs := qbd.AuthPreferences{ReadOnly: c.qwc.IsReadOnly, AuthFlags: c.qwc.AuthFlags}
	if prefs.AuthFlags == 0 {
		// The Web Connector's default: every edition, Simple Start too.
		prefs.AuthFlags = qbd.AuthFlagSimpleStart | qbd.AuthFlagPro | qbd.AuthFlagPremier | qbd.AuthFlagEnterprise
	}
	switch c.qwc.UnattendedModePref {
	case "umpRequired":
		prefs.Unattended = qbd.UnattendedRequired
	case "umpOptional":
		prefs.Unattended = qbd.UnattendedOptional
	}
	switch c.qwc.PersonalDataPref {
	case "pdpRequired":
		prefs.PersonalData = qbd.PersonalDataRequired
	case "pdpOptional":
		prefs.PersonalData = qbd.PersonalDataOptional
	case "pdpNotNeeded":
		prefs.PersonalData = qbd.PersonalDataNotNeeded
	}
	if err := rp.SetAuthPreferences(ctx, prefs); err != nil {
		return "", err
	}
	return rp.BeginSession(ctx, path, qbd.FileModeDoNotCare)
}

// hostCompanyPreferences stamps the file on the application's first
// update and returns the Host/Company/Preferences answers passed to the
// first sendRequestXML, with the country and the qbXML version.
func (c *Client) hostCompanyPreferences(ctx context.Context, rp qbd.RequestProcessor, qbTicket string) (string, string, int, int, error) {
	versions, err := rp.QBXMLVersionsForSession(ctx, qbTicket)
	if err != nil || len(versions) == 0 {
		return "", "", 0, 0, qbwcErrWrap("QBWC1021", "failed to determine the latest QBXMLRP version supported", errOr(err, "no version"))
	}
	ver := versions[len(versions)-1]
	major, minor := 0, 0
	if a, b, ok := strings.Cut(ver, "."); ok {
		major, _ = strconv.Atoi(a)
		minor, _ = strconv.Atoi(b)
	}
	hcpReq := `<?xml version="1.0" encoding="utf-8"?><?qbxml version="` + ver + `"?><QBXML><QBXMLMsgsRq onError="continueOnError">` +
		`<HostQueryRq requestID="0" /><CompanyQueryRq requestID="1"><OwnerID>` + c.qwc.OwnerID + `</OwnerID></CompanyQueryRq>` +
		`<PreferencesQueryRq requestID="2" /></QBXMLMsgsRq></QBXML>`
	query := func() ([]byte, string, string, error) {
		resp, err := rp.ProcessRequest(ctx, qbTicket, []byte(hcpReq))
		if err != nil {
			return nil, "", "", qbwcErrWrap("QBWC1014", "Could not get Host/Company/Preference Query response from QuickBooks", err)
		}
		country, stamp := "US", ""
		dec := qbxml.NewDecoder(bytes.NewReader(resp), &qbxml.Options{Generic: true})
		for {
			it, err := dec.Next()
			if err != nil {
				break
			}
			if it.Kind != qbxml.ItemRecord {
				continue
			}
			n := it.Record.ToNode()
			switch n.Name {
			case "HostRet":
				if v, ok := n.ChildText("Country"); ok {
					country = v
				}
			case "CompanyRet":
				for _, x := range n.ChildrenNamed("DataExtRet") {
					o, _ := x.ChildText("OwnerID")
					name, _ := x.ChildText("DataExtName")
					if strings.EqualFold(o, c.qwc.OwnerID) && name == "FileID" {
						stamp, _ = x.ChildText("DataExtValue")
					}
				}
			}
		}
		return resp, country, stamp, nil
	}
	resp, country, stamp, err := query()
	if err != nil {
		return "", "", 0, 0, err
	}
	if !c.added {
		switch {
		case stamp == "":
			if err := c.stamp(ctx, rp, qbTicket, ver); err != nil {
				return "", "", 0, 0, err
			}
			if resp, country, _, err = query(); err != nil {
				return "", "", 0, 0, err
			}
		case !strings.EqualFold(stamp, c.qwc.FileID):
			return "", "", 0, 0, qbwcErr("QBWC1039", "There was a problem adding the application. Unique OwnerID/FileID pair value required: "+
				"the company file already carries FileID %s for OwnerID %s, the .qwc file says %s.", stamp, c.qwc.OwnerID, c.qwc.FileID)
		}
		c.added = true
	}
	return string(resp), country, major, minor, nil
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// stamp writes the FileID and AppLock DataExts under OwnerID, defining
// them first when the file has no definition yet.
func (c *Client) stamp(ctx context.Context, rp qbd.RequestProcessor, qbTicket, ver string) error {
	lock := fmt.Sprintf("UNLOCKED:%s:%s", c.cfg.Hostname, c.cfg.Now().UTC().Format(time.RFC3339))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><?qbxml version="` + ver + `"?><QBXML><QBXMLMsgsRq onError="continueOnError">`)
	for i, de := range [][2]string{{"FileID", c.qwc.FileID}, {"AppLock", lock}} {
		fmt.Fprintf(&b, `<DataExtDefAddRq requestID="d%d"><DataExtDefAdd><OwnerID>%s</OwnerID><DataExtName>%s</DataExtName>`+
			`<DataExtType>STR255TYPE</DataExtType><AssignToObject>Company</AssignToObject></DataExtDefAdd></DataExtDefAddRq>`, i, c.qwc.OwnerID, de[0])
		fmt.Fprintf(&b, `<DataExtAddRq requestID="v%d"><DataExtAdd><OwnerID>%s</OwnerID><DataExtName>%s</DataExtName>`+
			`<OtherDataExtType>Company</OtherDataExtType><DataExtValue>%s</DataExtValue></DataExtAdd></DataExtAddRq>`, i, c.qwc.OwnerID, de[0], de[1])
	}
	b.WriteString(`</QBXMLMsgsRq></QBXML>`)
	resp, err := rp.ProcessRequest(ctx, qbTicket, []byte(b.String()))
	if err != nil {
		return qbwcErrWrap("QBWC1026", "There was some problem adding fileID", err)
	}
	dec := qbxml.NewDecoder(bytes.NewReader(resp), nil)
	for {
		it, err := dec.Next()
		if err != nil {
			break
		}
		if it.Kind == qbxml.ItemResponse && strings.HasPrefix(it.Response.Name, "DataExtAdd") && it.Response.StatusSeverity == "Error" {
			return qbwcErr("QBWC1026", "There was some problem adding fileID: %s", it.Response.StatusMessage)
		}
	}
	c.cfg.Logger.Info("webconnector: company file stamped", "owner", c.qwc.OwnerID, "fileID", c.qwc.FileID)
	return nil
}

// Run runs updates until ctx ends: every interval (0 means the .qwc's
// Scheduler), or after the postpone interval authenticate asked for, never
// more often than its minimum. onUpdate, when set, receives each result.
func (c *Client) Run(ctx context.Context, every time.Duration, onUpdate func(*Result)) error {
	if every <= 0 {
		every = c.qwc.Every
	}
	if every <= 0 {
		return errors.New("webconnector: the .qwc file has no Scheduler; give an interval")
	}
	for {
		res, err := c.Update(ctx)
		if err != nil {
			return err
		}
		if onUpdate != nil {
			onUpdate(res)
		}
		wait := every
		if res.Postpone > 0 {
			wait = res.Postpone
		}
		wait = max(wait, res.MinRunEvery)
		if err := c.cfg.Pause(ctx, wait); err != nil {
			return err
		}
	}
}
