package qbwc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
	"github.com/qbconnect/qbconnect/qbwc"
)

func TestQWCFileFollowsTheWebConnectorRules(t *testing.T) {
	g := newGoldenEnv(t, 20, "Harbor")
	f := g.file
	if f.Password == "" || f.PasswordSet || len(f.Password) != 23 {
		t.Fatalf("first .qwc: password %q (set %v), want a new 23-character password", f.Password, f.PasswordSet)
	}
	q, err := webconnector.ParseQWC(strings.NewReader(f.QWC))
	if err != nil {
		t.Fatalf("the Web Connector refuses the file: %v\n%s", err, f.QWC)
	}
	if !strings.HasPrefix(q.AppURL, "http://localhost:") || !strings.HasSuffix(q.AppURL, "/qbwc") ||
		q.AppSupport != strings.TrimSuffix(q.AppURL, "/qbwc")+"/qbwc/support" {
		t.Errorf("AppURL %q, AppSupport %q: want localhost (not 127.0.0.1) and the same host", q.AppURL, q.AppSupport)
	}
	if q.QBType != "QBFS" || q.UserName != g.conn.ID || q.OwnerID != g.owner || q.Every.Minutes() != 15 || q.AuthFlags != 0xF ||
		q.UnattendedModePref != "umpOptional" || q.IsReadOnly || !strings.Contains(q.AppName, g.conn.ID) {
		t.Errorf("fields: %+v", q)
	}
	for _, want := range []string{"<AppID></AppID>", "<Style>Document</Style>", "<PersonalDataPref>pdpOptional</PersonalDataPref>",
		"<AppDisplayName>qbconnect – Harbor Books</AppDisplayName>"} {
		if !strings.Contains(f.QWC, want) {
			t.Errorf("the file lacks %s", want)
		}
	}

	// Downloading it again shows no password and keeps every identifier.
	again, err := g.wc.QWCFile(g.ctx, g.conn, "Harbor Books", g.srv.URL, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Password != "" || !again.PasswordSet || again.QWC != f.QWC {
		t.Errorf("second download: password %q, set %v, same file %v", again.Password, again.PasswordSet, again.QWC == f.QWC)
	}
	// A new password replaces the old one; OwnerID and FileID stay, so
	// adding the new file never meets QBWC1039.
	fresh, err := g.wc.QWCFile(g.ctx, g.conn, "Harbor Books", g.srv.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	q2, _ := webconnector.ParseQWC(strings.NewReader(fresh.QWC))
	if fresh.Password == "" || fresh.Password == f.Password || q2.OwnerID != q.OwnerID || q2.FileID != q.FileID {
		t.Errorf("regenerated: password changed %v, owner %s→%s, file %s→%s", fresh.Password != f.Password, q.OwnerID, q2.OwnerID, q.FileID, q2.FileID)
	}
	g.file.Password = f.Password
	if _, resp := g.call("authenticate_nvu", ""); !strings.Contains(resp, "<string>nvu</string>") {
		t.Errorf("the old password still works: %s", resp)
	}
	// Another connection gets another FileID, under the same OwnerID.
	other := g.env.goldenTenant(t, "Other")
	q3, _ := webconnector.ParseQWC(strings.NewReader(other.file.QWC))
	if q3.OwnerID != q.OwnerID || q3.FileID == q.FileID {
		t.Errorf("second connection: owner %s (want %s), file %s (must differ from %s)", q3.OwnerID, q.OwnerID, q3.FileID, q.FileID)
	}

	// Addresses the Web Connector cannot use are refused up front.
	for base, code := range map[string]qbconnect.ErrorCode{
		"http://qb.example.com": qbconnect.EConflict, // http off localhost (QBWC1010)
		"https://10.1.2.3":      qbconnect.EConflict, // an IP address (QBWC1001)
	} {
		if _, err := g.wc.QWCFile(g.ctx, g.conn, "Harbor Books", base, false); qbconnect.ErrorCodeOf(err) != code {
			t.Errorf("base %s: %v, want %s", base, err, code)
		}
	}
	if got, err := g.wc.QWCFile(g.ctx, g.conn, "Harbor Books", "https://qb.example.com", false); err != nil || !strings.Contains(got.QWC, "<AppURL>https://qb.example.com/qbwc</AppURL>") {
		t.Errorf("https host: %v", err)
	}
	// Only webconnector connections have a .qwc.
	conn := &qbconnect.Connection{OrgID: g.org.ID, CompanyID: g.st.Company(t, g.org.ID, "Second").ID, Kind: qbconnect.KindConnector}
	if err := g.st.Connections.CreateConnection(g.ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := g.wc.QWCFile(g.ctx, conn, "Second", g.srv.URL, false); qbconnect.ErrorCodeOf(err) != qbconnect.EConflict {
		t.Errorf("connector connection: %v", err)
	}
}

func TestQWCValidateNamesEveryBrokenRule(t *testing.T) {
	good := qbwc.QWC{AppName: "qbconnect x", AppURL: "https://qb.example.com/qbwc", AppDescription: "d", AppSupport: "https://qb.example.com/qbwc/support",
		UserName: "u", OwnerID: "{9A1C0F27-5B3D-4E8A-9C21-7F00D3B2A6E4}", FileID: "{1A1C0F27-5B3D-4E8A-9C21-7F00D3B2A6E4}", QBType: "QBFS"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good file: %v", err)
	}
	cases := map[string]func(q *qbwc.QWC){
		"QBWC1010": func(q *qbwc.QWC) { q.AppURL = "http://qb.example.com/qbwc" },
		"QBWC1001": func(q *qbwc.QWC) { q.AppURL = "https://192.168.1.10/qbwc" },
		"QBWC1000": func(q *qbwc.QWC) { q.AppSupport = "https://support.example.org/" },
		"OwnerID":  func(q *qbwc.QWC) { q.OwnerID = "9A1C0F27-5B3D-4E8A-9C21-7F00D3B2A6E4" },
		"FileID":   func(q *qbwc.QWC) { q.FileID = "{not-a-guid}" },
		"QBType":   func(q *qbwc.QWC) { q.QBType = "QBO" },
		"UserName": func(q *qbwc.QWC) { q.UserName = "" },
		"Style":    func(q *qbwc.QWC) { q.Style = "SOAP12" },
	}
	for want, mutate := range cases {
		q := good
		mutate(&q)
		err := q.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
		// The simulated Web Connector refuses the same files.
		b, _ := q.Marshal()
		if _, perr := webconnector.ParseQWC(strings.NewReader(string(b))); perr == nil && want != "Style" {
			t.Errorf("%s: the Web Connector simulator accepts it", want)
		}
	}
	var wcErr *webconnector.Error
	q := good
	q.AppURL = "https://192.168.1.10/qbwc"
	b, _ := q.Marshal()
	if _, err := webconnector.ParseQWC(strings.NewReader(string(b))); !errors.As(err, &wcErr) || wcErr.Code != "QBWC1001" {
		t.Errorf("IP address: %v", err)
	}
}
