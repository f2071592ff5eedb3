package webconnector

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// QWC is a .qwc file as the Web Connector reads it.
type QWC struct {
	AppName            string
	AppID              string
	AppURL             string
	AppDescription     string
	AppSupport         string
	UserName           string
	OwnerID            string
	FileID             string
	QBType             string
	IsReadOnly         bool
	PersonalDataPref   string
	UnattendedModePref string
	AuthFlags          uint32
	Style              string
	// Every is the Scheduler's interval; 0 when the file has none.
	Every time.Duration
}

// Error is a Web Connector error: its QBWC code and message, as the Web
// Connector shows them.
type Error struct {
	Code    string // e.g. "QBWC1039"
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func qbwcErr(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var guidRE = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

// ParseQWC reads a .qwc file and applies the Web Connector's checks when a
// file is added: required fields, https unless localhost (QBWC1010), host
// names rather than IP addresses (QBWC1001/1002), the same domain for
// AppURL and AppSupport (QBWC1000), GUIDs for OwnerID and FileID.
func ParseQWC(r io.Reader) (*QWC, error) {
	var raw struct {
		XMLName            xml.Name `xml:"QBWCXML"`
		AppName            *string  `xml:"AppName"`
		AppID              *string  `xml:"AppID"`
		AppURL             string   `xml:"AppURL"`
		AppDescription     string   `xml:"AppDescription"`
		AppSupport         string   `xml:"AppSupport"`
		UserName           string   `xml:"UserName"`
		OwnerID            string   `xml:"OwnerID"`
		FileID             string   `xml:"FileID"`
		QBType             string   `xml:"QBType"`
		IsReadOnly         string   `xml:"IsReadOnly"`
		PersonalDataPref   string   `xml:"PersonalDataPref"`
		UnattendedModePref string   `xml:"UnattendedModePref"`
		AuthFlags          string   `xml:"AuthFlags"`
		Style              string   `xml:"Style"`
		Scheduler          *struct {
			Minutes string `xml:"RunEveryNMinutes"`
			Seconds string `xml:"RunEveryNSeconds"`
		} `xml:"Scheduler"`
	}
	if err := xml.NewDecoder(r).Decode(&raw); err != nil {
		return nil, qbwcErr("QBWC1005", "the .qwc file is not valid XML: %v", err)
	}
	q := &QWC{AppURL: strings.TrimSpace(raw.AppURL), AppDescription: raw.AppDescription, AppSupport: strings.TrimSpace(raw.AppSupport),
		UserName: raw.UserName, OwnerID: strings.TrimSpace(raw.OwnerID), FileID: strings.TrimSpace(raw.FileID),
		QBType: strings.TrimSpace(raw.QBType), PersonalDataPref: raw.PersonalDataPref, UnattendedModePref: raw.UnattendedModePref,
		Style: raw.Style}
	if raw.AppName == nil || strings.TrimSpace(*raw.AppName) == "" {
		return nil, qbwcErr("QBWC1005", "the .qwc file has no AppName")
	}
	q.AppName = strings.TrimSpace(*raw.AppName)
	if raw.AppID == nil {
		return nil, qbwcErr("QBWC1005", "the .qwc file has no AppID element (it may be empty)")
	}
	q.AppID = *raw.AppID
	for name, v := range map[string]string{"AppURL": q.AppURL, "AppSupport": q.AppSupport, "UserName": q.UserName,
		"OwnerID": q.OwnerID, "FileID": q.FileID, "QBType": q.QBType} {
		if v == "" {
			return nil, qbwcErr("QBWC1005", "the .qwc file has no %s", name)
		}
	}
	appHost, err := checkURL(q.AppName, q.AppURL, "service", "QBWC1001")
	if err != nil {
		return nil, err
	}
	supportHost, err := checkURL(q.AppName, q.AppSupport, "support", "QBWC1002")
	if err != nil {
		return nil, err
	}
	if domain(appHost) != domain(supportHost) {
		return nil, qbwcErr("QBWC1000", "The domain names for %s's service and support URLs do not match.", q.AppName)
	}
	if !guidRE.MatchString(q.OwnerID) || !guidRE.MatchString(q.FileID) {
		return nil, qbwcErr("QBWC1005", "OwnerID and FileID must be GUIDs such as {57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}")
	}
	if q.QBType != "QBFS" && q.QBType != "QBPOS" {
		return nil, qbwcErr("QBWC1005", "QBType must be QBFS or QBPOS, not %q", q.QBType)
	}
	switch strings.ToLower(strings.TrimSpace(raw.IsReadOnly)) {
	case "", "false":
	case "true":
		q.IsReadOnly = true
	default:
		return nil, qbwcErr("QBWC1005", "IsReadOnly must be true or false, not %q", raw.IsReadOnly)
	}
	if f := strings.TrimSpace(raw.AuthFlags); f != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(f), "0x"), 16, 32)
		if err != nil || n&^0xF != 0 {
			return nil, qbwcErr("QBWC1034", "Error setting AuthFlags - %q is not a combination of 0x1, 0x2, 0x4 and 0x8", f)
		}
		q.AuthFlags = uint32(n)
	}
	if s := raw.Scheduler; s != nil {
		// The first of the two present wins.
		switch {
		case strings.TrimSpace(s.Minutes) != "":
			n, err := strconv.Atoi(strings.TrimSpace(s.Minutes))
			if err != nil || n < 1 {
				return nil, qbwcErr("QBWC1005", "RunEveryNMinutes must be a whole number of minutes, not %q", s.Minutes)
			}
			q.Every = time.Duration(n) * time.Minute
		case strings.TrimSpace(s.Seconds) != "":
			n, err := strconv.Atoi(strings.TrimSpace(s.Seconds))
			if err != nil || n < 1 {
				return nil, qbwcErr("QBWC1005", "RunEveryNSeconds must be a whole number of seconds, not %q", s.Seconds)
			}
			q.Every = time.Duration(n) * time.Second
		}
	}
	return q, nil
}

// checkURL applies the Web Connector's URL rules and returns the host.
func checkURL(app, raw, which, ipCode string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", qbwcErr("QBWC1005", "%s's %s URL %q is not a URL", app, which, raw)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return "", qbwcErr(ipCode, "The application %s's %s URL is an IP Address, it will not be loaded. The URL must contain a symbolic host name.", app, which)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || !strings.Contains(host, ".")):
		// localhost, or a machine name on the LAN for development.
	default:
		return "", qbwcErr("QBWC1010", "Application %s: for security reasons only SSL (https) based applications are allowed.", app)
	}
	return host, nil
}

// domain is the registrable part of a host, as far as the Web Connector
// compares them: its last two labels.
func domain(host string) string {
	labels := strings.Split(host, ".")
	if len(labels) <= 2 {
		return host
	}
	return strings.Join(labels[len(labels)-2:], ".")
}
