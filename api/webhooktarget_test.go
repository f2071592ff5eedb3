package api_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/notify"
)

func TestPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true, "64:ff9b::808:808": true, "::ffff:8.8.4.4": true,
		"127.0.0.1": false, "127.9.9.9": false, "::1": false, "0.0.0.0": false, "::": false,
		"10.0.0.1": false, "172.16.5.4": false, "172.31.255.255": false, "192.168.1.1": false, "fc00::1": false, "fd12:3456::1": false,
		"169.254.169.254": false, "fe80::1": false, "100.64.0.1": false, "224.0.0.1": false, "ff02::1": false,
		"255.255.255.255": false, "240.0.0.1": false, "192.0.2.10": false, "2001:db8::1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.1.1.1": false, "64:ff9b::a00:1": false, "2002:c0a8:101::1": false, "2002:808:808::1": true,
	} {
		if got := notify.PublicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
}

// dnsServer is an authoritative DNS server on loopback UDP with A records
// that a test sets and changes: the resolver of webhook hosts in tests.
type dnsServer struct {
	conn    net.PacketConn
	mu      sync.Mutex
	records map[string][]netip.Addr // lower-case FQDN -> IPv4 addresses
}

func startDNS(tb testing.TB) *dnsServer {
	tb.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	d := &dnsServer{conn: conn, records: map[string][]netip.Addr{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			if resp := d.answer(buf[:n]); resp != nil {
				conn.WriteTo(resp, from)
			}
		}
	}()
	tb.Cleanup(func() {
		conn.Close()
		<-done
	})
	return d
}

// set makes name resolve to addrs (none: NXDOMAIN).
func (d *dnsServer) set(name string, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ips []netip.Addr
	for _, a := range addrs {
		ips = append(ips, netip.MustParseAddr(a))
	}
	d.records[strings.ToLower(name)+"."] = ips
}

// resolver returns a resolver that asks only this server.
func (d *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

// answer builds the response to one query: A records of a known name,
// no records for its other types, NXDOMAIN for unknown names.
func (d *dnsServer) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	name := strings.ToLower(strings.Join(labels, ".")) + "."
	d.mu.Lock()
	ips, known := d.records[name]
	d.mu.Unlock()
	flags := uint16(0x8400) | binary.BigEndian.Uint16(q[2:4])&0x0100 | 0x0080 // response, authoritative, RD echoed, RA
	var answers [][]byte
	switch {
	case !known || len(ips) == 0:
		flags |= 3 // NXDOMAIN
	case qtype == 1: // A
		for _, ip := range ips {
			rr := []byte{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4}
			a := ip.As4()
			answers = append(answers, append(rr, a[:]...))
		}
	}
	resp := make([]byte, 12, 512)
	copy(resp[0:2], q[0:2])
	binary.BigEndian.PutUint16(resp[2:4], flags)
	binary.BigEndian.PutUint16(resp[4:6], 1)
	binary.BigEndian.PutUint16(resp[6:8], uint16(len(answers)))
	resp = append(resp, question...)
	for _, a := range answers {
		resp = append(resp, a...)
	}
	return resp
}

// Without AllowPrivate (the webhook sender's policy), an endpoint whose host is, or resolves
// to, an address that is not public is refused with a message naming the
// address, and nothing is created. Creating an endpoint only resolves its
// name: no request is sent to any address here.
func TestWebhookURLsMustBePublicUnlessAllowed(t *testing.T) {
	dns := startDNS(t)
	dns.set("hooks.public.test", "93.184.215.14")
	dns.set("internal.corp.test", "10.0.0.7")
	dns.set("mixed.corp.test", "93.184.215.14", "127.0.0.1")
	dns.set("metadata.cloud.test", "169.254.169.254")
	e := newEnvPolicy(t, sqliteDSN(t), webhookPolicy{allowPrivate: false, resolver: dns.resolver()})
	_, key := e.newOrg("Lender")

	for _, tc := range []struct{ url, msg string }{
		{"http://127.0.0.1:8080/hooks", "127.0.0.1 is not a public internet address"},
		{"http://[::1]/hooks", "::1 is not a public internet address"},
		{"http://[::ffff:10.0.0.1]/hooks", "10.0.0.1 is not a public internet address"},
		{"http://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public"},
		{"https://192.168.1.20/hooks", "192.168.1.20 is not a public"},
		{"https://internal.corp.test/hooks", `resolves to 10.0.0.7`},
		{"https://mixed.corp.test/hooks", `resolves to 127.0.0.1`},
		{"https://metadata.cloud.test/hooks", `resolves to 169.254.169.254`},
		{"https://nowhere.corp.test/hooks", `does not resolve`},
		{"ftp://hooks.public.test/hooks", "absolute http or https URL"},
		{"https:///hooks", "absolute http or https URL"},
		{"hooks.public.test/hooks", "absolute http or https URL"},
	} {
		r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": tc.url})
		if r.Status != 400 || r.ErrorCode() != "invalid" || !strings.Contains(string(r.Body), tc.msg) {
			t.Errorf("%s: %d %s (want 400 saying %q)", tc.url, r.Status, r.Body, tc.msg)
		}
	}
	e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": "https://hooks.public.test/hooks"}, nil)
	var listed struct{ Data []map[string]any }
	e.mustDo(200, "GET", "/v1/webhooks", key, nil, &listed)
	if len(listed.Data) != 1 || listed.Data[0]["url"] != "https://hooks.public.test/hooks" {
		t.Errorf("endpoints after the refusals: %v", listed.Data)
	}
}

// A host name that resolved to a public address when its endpoint was
// created and resolves to loopback at delivery time (DNS rebinding) is
// refused at delivery: the dialer checks the address it is about to
// connect to. The same name and receiver do get the delivery on a
// platform that allows private targets, so the refusal is the check's.
func TestWebhookDeliveryRefusesANameThatNowResolvesToAPrivateAddress(t *testing.T) {
	for _, allow := range []bool{true, false} {
		name := map[bool]string{true: "private allowed", false: "private refused"}[allow]
		t.Run(name, func(t *testing.T) {
			dns := startDNS(t)
			e := newEnvPolicy(t, sqliteDSN(t), webhookPolicy{allowPrivate: allow, resolver: dns.resolver()})
			_, key := e.newOrg("Lender")
			rc := newReceiver(t, 0, e.clock.Now)
			_, port, _ := net.SplitHostPort(rc.srv.Listener.Addr().String())

			// At creation the name is public (nothing is sent to it).
			dns.set("hooks.rebind.test", "93.184.215.14")
			var hook struct{ ID, Secret string }
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": "http://hooks.rebind.test:" + port + "/hooks"}, &hook)
			rc.setSecret("/hooks", hook.Secret)
			// Then it points at loopback, where the receiver listens.
			dns.set("hooks.rebind.test", "127.0.0.1")
			e.startJobs(t)
			companyID, connID, _ := e.linkedCompany(key, "Bakery")
			e.mustDo(200, "DELETE", "/v1/companies/"+companyID+"/connections/"+connID, key, nil, nil) // connection.status_changed

			if allow {
				if ev := rc.next(t); ev.Type != "connection.status_changed" {
					t.Errorf("delivered %s", ev.Type)
				}
				return
			}
			deadline := time.After(30 * time.Second)
			for {
				select {
				case a := <-e.attempts:
					if !strings.Contains(a.attempt.Error, "127.0.0.1 is not a public internet address") {
						t.Fatalf("attempt error %q, want the refusal of 127.0.0.1", a.attempt.Error)
					}
					if a.status != "Failed" {
						continue // retried until MaxAttempts
					}
					rc.mu.Lock()
					hits := rc.hits
					rc.mu.Unlock()
					if hits != 0 {
						t.Errorf("the receiver on loopback got %d requests", hits)
					}
					return
				case <-deadline:
					t.Fatal(errors.New("no refused delivery attempt within 30s"))
				}
			}
		})
	}
}
