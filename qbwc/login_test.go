package qbwc_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbwc"
)

// sourceHeader carries the source address the tests pretend a request
// comes from (Config.ClientAddr reads it, as it would a proxy's header).
const sourceHeader = "X-Test-Source"

func fromTestHeader(r *http.Request) string { return r.Header.Get(sourceHeader) }

// authenticate sends authenticate(user, password) from addr and returns
// the second string of the answer: the company file, or nvu, none, busy.
func (e *env) authenticate(addr, user, password string) string {
	e.tb.Helper()
	var u, p strings.Builder
	_ = xml.EscapeText(&u, []byte(user))
	_ = xml.EscapeText(&p, []byte(password))
	st, body := e.post(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`+
		`<authenticate xmlns="http://developer.intuit.com/"><strUserName>`+u.String()+`</strUserName><strPassword>`+p.String()+`</strPassword></authenticate>`+
		`</soap:Body></soap:Envelope>`, map[string]string{sourceHeader: addr})
	if st != http.StatusOK {
		e.tb.Fatalf("authenticate: HTTP %d: %s", st, body)
	}
	parts := strings.Split(body, "<string>")
	if len(parts) < 3 {
		return strings.TrimSuffix(parts[len(parts)-1], "</string>")
	}
	return strings.SplitN(parts[2], "</string>", 2)[0]
}

// TestWrongPasswordsLockOutTheirSourceAddressNotTheUser: ten wrong
// passwords for a known user name from one address make that address's
// next logins nvu (even with the right password) until the window passes;
// the Web Connector with the right password, elsewhere, still logs in.
func TestWrongPasswordsLockOutTheirSourceAddressNotTheUser(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 41, QBWC: qbwc.Config{ClientAddr: fromTestHeader, PasswordChecksPerSecond: -1}})
	tn := e.newTenant("Locksmith", companyfile.GenerateOptions{})
	user := tn.qwc.UserName
	const attacker, bookkeeper = "203.0.113.9", "198.51.100.20"
	for range 10 {
		if got := e.authenticate(attacker, user, "guess"); got != "nvu" {
			t.Fatalf("wrong password answered %q, want nvu", got)
		}
	}
	if got := e.authenticate(attacker, user, tn.password); got != "nvu" {
		t.Errorf("the right password from the address that sent ten wrong ones answered %q, want nvu", got)
	}
	if got := e.authenticate(bookkeeper, user, tn.password); got == "nvu" {
		t.Errorf("the Web Connector with the right password was locked out by someone else's wrong ones")
	}
	res := tn.update()
	if res.Err != nil {
		t.Errorf("a whole update after the attack: %v", res.Err)
	}
	e.st.Clock.Advance(16 * time.Minute)
	if got := e.authenticate(attacker, user, tn.password); got == "nvu" {
		t.Errorf("the address is still locked out after the window passed")
	}
	// Unknown user names count as failures too.
	for range 10 {
		e.authenticate("203.0.113.10", "nobody", "x")
	}
	if got := e.authenticate("203.0.113.10", user, tn.password); got != "nvu" {
		t.Errorf("after ten unknown user names the address answered %q, want nvu", got)
	}
}

// TestPasswordChecksAreBoundedForAllAddressesTogether: past the shared
// budget of password checks, authenticate answers nvu at once, even the
// right password from a fresh address: many addresses cannot make the
// server run more bcrypt than the budget.
func TestPasswordChecksAreBoundedForAllAddressesTogether(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 42, QBWC: qbwc.Config{ClientAddr: fromTestHeader,
		PasswordChecksPerSecond: 1.0 / 3600, PasswordCheckBurst: 3}})
	tn := e.newTenant("Budget", companyfile.GenerateOptions{})
	for i, addr := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if got := e.authenticate(addr, "nobody", "x"); got != "nvu" {
			t.Fatalf("attempt %d answered %q", i, got)
		}
	}
	if got := e.authenticate("198.51.100.20", tn.qwc.UserName, tn.password); got != "busy" {
		t.Errorf("past the shared budget the right password answered %q, want busy without a check (never nvu: the password is right)", got)
	}
}
