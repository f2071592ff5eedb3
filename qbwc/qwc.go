package qbwc

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect"
)

// QWCConfig shapes the .qwc files the platform hands out. Every field has
// the default its comment names.
type QWCConfig struct {
	// PublicURL is the platform's base URL as the Web Connector reaches it,
	// such as "https://qb.example.com"; "" means the URL the .qwc request
	// came in on. It must be https unless the host is localhost.
	PublicURL string
	// Path is the endpoint's path; "" means "/qbwc".
	Path string
	// SupportPath is AppSupport's path on the same host; "" means
	// "/qbwc/support". The Web Connector fetches it and needs a 200.
	SupportPath string
	// AppName starts every AppName; "" means "qbconnect". The connection ID
	// follows it, so that two companies on one PC are two applications
	// and the name never changes (QuickBooks authorises by name).
	AppName string
	// AppDescription is shown by the Web Connector; "" means a sentence
	// naming AppName.
	AppDescription string
	// RunEvery is the Scheduler's RunEveryNMinutes; 0 means 15 minutes.
	// It is rounded to whole minutes (at least one).
	RunEvery time.Duration
	// ReadOnly makes IsReadOnly true: the platform then cannot write.
	ReadOnly bool
}

func (c *QWCConfig) setDefaults() error {
	if c.Path == "" {
		c.Path = "/qbwc"
	}
	if c.SupportPath == "" {
		c.SupportPath = "/qbwc/support"
	}
	if c.AppName == "" {
		c.AppName = "qbconnect"
	}
	if c.AppDescription == "" {
		c.AppDescription = c.AppName + " keeps your QuickBooks company in sync with the apps you connect."
	}
	if c.RunEvery == 0 {
		c.RunEvery = 15 * time.Minute
	}
	if c.RunEvery < 0 {
		return fmt.Errorf("qbwc: QWC.RunEvery is negative")
	}
	if !strings.HasPrefix(c.Path, "/") || !strings.HasPrefix(c.SupportPath, "/") {
		return fmt.Errorf("qbwc: QWC.Path and QWC.SupportPath must start with /")
	}
	if c.PublicURL != "" {
		if _, err := checkAppURL(strings.TrimSuffix(c.PublicURL, "/") + c.Path); err != nil {
			return fmt.Errorf("qbwc: QWC.PublicURL: %w", err)
		}
	}
	return nil
}

// QWC is the content of a .qwc file (the Web Connector's QBWCXML), in
// the Web Connector's element order.
type QWC struct {
	XMLName            xml.Name   `xml:"QBWCXML"`
	AppName            string     `xml:"AppName"`
	AppID              string     `xml:"AppID"`
	AppURL             string     `xml:"AppURL"`
	AppDescription     string     `xml:"AppDescription"`
	AppSupport         string     `xml:"AppSupport"`
	UserName           string     `xml:"UserName"`
	OwnerID            string     `xml:"OwnerID"`
	FileID             string     `xml:"FileID"`
	QBType             string     `xml:"QBType"`
	Scheduler          *Scheduler `xml:"Scheduler,omitempty"`
	IsReadOnly         bool       `xml:"IsReadOnly"`
	PersonalDataPref   string     `xml:"PersonalDataPref,omitempty"`
	UnattendedModePref string     `xml:"UnattendedModePref,omitempty"`
	AuthFlags          string     `xml:"AuthFlags,omitempty"`
	AppDisplayName     string     `xml:"AppDisplayName,omitempty"`
	Style              string     `xml:"Style,omitempty"`
}

// Scheduler is the .qwc's schedule: one of its fields.
type Scheduler struct {
	RunEveryNMinutes int `xml:"RunEveryNMinutes,omitempty"`
	RunEveryNSeconds int `xml:"RunEveryNSeconds,omitempty"`
}

// Marshal returns the .qwc document.
func (q *QWC) Marshal() ([]byte, error) {
	b, err := xml.MarshalIndent(q, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

var guidRE = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)

// checkAppURL applies the Web Connector's rules to a service or support
// URL (QBWC1001/1002, QBWC1010) and returns its host.
func checkAppURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return "", fmt.Errorf("%q uses an IP address; the Web Connector needs a host name (QBWC1001)", raw)
	}
	if u.Scheme != "https" && host != "localhost" {
		return "", fmt.Errorf("%q is not https; the Web Connector allows http only for localhost (QBWC1010)", raw)
	}
	return host, nil
}

// Validate checks the rules the Web Connector applies to a .qwc file:
// required fields, URLs (https unless localhost, host names not IP
// addresses, AppURL and AppSupport on the same domain), GUID formats,
// QBType, Scheduler and the preference values.
func (q *QWC) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for name, v := range map[string]string{"AppName": q.AppName, "AppURL": q.AppURL, "AppDescription": q.AppDescription,
		"AppSupport": q.AppSupport, "UserName": q.UserName, "OwnerID": q.OwnerID, "FileID": q.FileID, "QBType": q.QBType} {
		if strings.TrimSpace(v) == "" {
			bad("%s is required", name)
		}
	}
	appHost, err := checkAppURL(q.AppURL)
	if err != nil {
		bad("AppURL: %v", err)
	}
	supportHost, err := checkAppURL(q.AppSupport)
	if err != nil {
		bad("AppSupport: %v", err)
	}
	if appHost != "" && supportHost != "" && appHost != supportHost {
		bad("AppURL's domain %s and AppSupport's %s differ (QBWC1000)", appHost, supportHost)
	}
	if !guidRE.MatchString(q.OwnerID) {
		bad("OwnerID %q is not a GUID such as {9A1C0F27-5B3D-4E8A-9C21-7F00D3B2A6E4}", q.OwnerID)
	}
	if !guidRE.MatchString(q.FileID) {
		bad("FileID %q is not a GUID", q.FileID)
	}
	if q.QBType != "QBFS" && q.QBType != "QBPOS" {
		bad("QBType must be QBFS or QBPOS, not %q", q.QBType)
	}
	if utf8.RuneCountInString(q.AppDescription) > 80 {
		bad("AppDescription is longer than the 80 characters the Web Connector shows")
	}
	if s := q.Scheduler; s != nil && s.RunEveryNMinutes < 1 && s.RunEveryNSeconds < 1 {
		bad("Scheduler needs RunEveryNMinutes or RunEveryNSeconds of at least 1")
	}
	switch q.PersonalDataPref {
	case "", "pdpNotNeeded", "pdpOptional", "pdpRequired":
	default:
		bad("PersonalDataPref %q is not pdpNotNeeded, pdpOptional or pdpRequired", q.PersonalDataPref)
	}
	switch q.UnattendedModePref {
	case "", "umpRequired", "umpOptional":
	default:
		bad("UnattendedModePref %q is not umpRequired or umpOptional", q.UnattendedModePref)
	}
	switch q.Style {
	case "", "Document", "DocWrapped", "RPC":
	default:
		bad("Style %q is not Document, DocWrapped or RPC", q.Style)
	}
	if len(errs) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, ".qwc: %s", strings.Join(errs, "; "))
	}
	return nil
}

// QWCFile returns the .qwc file of a Web Connector connection. The first
// call (or one with newPassword) generates the connection's password,
// returned in this answer only; OwnerID (per platform) and FileID (per
// connection) never change, so that adding a regenerated file to the Web
// Connector never meets QBWC1039. base is the URL the request came in on,
// used when QWCConfig.PublicURL is empty; companyName names the company in
// AppDisplayName.
func (s *Server) QWCFile(ctx context.Context, conn *qbconnect.Connection, companyName, base string, newPassword bool) (*qbconnect.WebConnectorFile, error) {
	if conn.Kind != qbconnect.KindWebConnector {
		return nil, qbconnect.Errorf(qbconnect.EConflict, ".qwc files are for webconnector connections; this one is %s", conn.Kind)
	}
	if conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized {
		return nil, qbconnect.Errorf(qbconnect.EConflict, "the connection is %s; create a new connection to link again", conn.Status)
	}
	cfg := s.cfg.QWC
	if cfg.PublicURL != "" {
		base = cfg.PublicURL
	}
	base = strings.TrimSuffix(base, "/")
	if u, err := url.Parse(base); err == nil {
		// 127.0.0.1 is localhost to a developer, but an IP address to the
		// Web Connector (QBWC1001).
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			port := u.Port()
			u.Host = "localhost"
			if port != "" {
				u.Host += ":" + port
			}
			base = u.String()
		}
	}
	appURL := base + cfg.Path
	if _, err := checkAppURL(appURL); err != nil {
		return nil, &qbconnect.Error{Code: qbconnect.EConflict, Message: "the Web Connector cannot use this platform address: " + err.Error(),
			Resolution: "Reach the platform over https with a host name (or set its public URL), then download the .qwc file again."}
	}
	owner, err := s.OwnerID(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := s.cfg.Store.FindCredential(ctx, conn.ID)
	switch {
	case qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound:
		fileID, err := s.newGUID()
		if err != nil {
			return nil, err
		}
		cred = &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, UserName: conn.ID, FileID: fileID}
		newPassword = true
	case err != nil:
		return nil, err
	}
	out := &qbconnect.WebConnectorFile{UserName: cred.UserName, AppURL: appURL, PasswordSet: !newPassword}
	if newPassword {
		pw, err := s.newPassword()
		if err != nil {
			return nil, err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), s.cfg.BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("qbwc: hash password: %w", err)
		}
		cred.PasswordHash = hash
		if err := s.cfg.Store.SaveCredential(ctx, cred); err != nil {
			return nil, err
		}
		out.Password = pw
	}
	display := cfg.AppName
	if companyName != "" {
		display = cfg.AppName + " – " + companyName
	}
	q := &QWC{
		AppName:        cfg.AppName + " " + conn.ID,
		AppURL:         appURL,
		AppDescription: cfg.AppDescription,
		AppSupport:     base + cfg.SupportPath,
		UserName:       cred.UserName,
		OwnerID:        owner,
		FileID:         cred.FileID,
		QBType:         "QBFS",
		Scheduler:      &Scheduler{RunEveryNMinutes: max(1, int((cfg.RunEvery+30*time.Second)/time.Minute))},
		IsReadOnly:     cfg.ReadOnly,
		// Syncs and writes run while nobody watches QuickBooks.
		UnattendedModePref: "umpOptional",
		PersonalDataPref:   "pdpOptional",
		AuthFlags:          "0xF",
		AppDisplayName:     display,
		Style:              "Document",
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	b, err := q.Marshal()
	if err != nil {
		return nil, err
	}
	out.QWC = string(b)
	out.FileName = "qbconnect-" + conn.ID + ".qwc"
	return out, nil
}

// passwordAlphabet has no look-alike characters: the password is typed by
// hand into the Web Connector.
const passwordAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"

// newPassword returns 20 characters (about 114 bits), grouped by five.
func (s *Server) newPassword() (string, error) {
	var b bytes.Buffer
	for b.Len() < 23 {
		r, err := s.random(32)
		if err != nil {
			return "", err
		}
		for _, c := range r {
			// Rejection sampling keeps every character equally likely.
			if int(c) >= 256/len(passwordAlphabet)*len(passwordAlphabet) {
				continue
			}
			if b.Len() == 5 || b.Len() == 11 || b.Len() == 17 {
				b.WriteByte('-')
			}
			if b.Len() == 23 {
				break
			}
			b.WriteByte(passwordAlphabet[int(c)%len(passwordAlphabet)])
		}
	}
	return b.String(), nil
}

// SupportPage is AppSupport's page: the Web Connector fetches it when a
// .qwc file is added and needs a 200.
func SupportPage() []byte {
	return []byte("qbconnect: QuickBooks Web Connector support. If an update fails, the Web Connector's status column says why and what to do; your app's qbconnect connection page shows the same.\n")
}
