package main

import "github.com/qbconnect/qbconnect/internal/clidoc"

// examples are the help's examples of every command, by path below
// qbdsim; clidoc.Check (examples_test.go) fails on a command without one
// and on an example that no longer parses.
var examples = clidoc.Examples{
	"serve": `qbdsim serve --dir ./companies                     # web UI on http://127.0.0.1:8765
qbdsim serve --dir ./companies --addr 127.0.0.1:0 --roots test-signing/ca.pem --policy always`,
	"status":     `qbdsim status --format json`,
	"qb":         `qbdsim qb stop`,
	"qb start":   `qbdsim qb start`,
	"qb stop":    `qbdsim qb stop                                     # connectors now see "QuickBooks is closed"`,
	"open":       `qbdsim open acme.qbw --mode multi --user Admin`,
	"close-file": `qbdsim close-file`,
	"dialogs":    `qbdsim dialogs --format jsonl                      # one dialog per line`,
	"answer": `qbdsim answer dlg_1 --choice always
qbdsim answer dlg_1 --choice always --login-as Admin --personal-data`,
	"apps":        `qbdsim apps acme.qbw                               # Integrated Applications of the file`,
	"apps remove": `qbdsim apps remove acme.qbw qbconnect-3F2A`,
	"apps set":    `qbdsim apps set acme.qbw qbconnect-3F2A --auto-login=true --login-as Admin`,
	"apps prefs":  `qbdsim apps prefs acme.qbw --dont-allow-any=true`,
	"exec": `qbdsim exec --company acme.qbw CustomerQueryRq.xml
qbdsim exec --dir ./companies --company acme.qbw -   # the request on standard input`,
	"modal":         `qbdsim modal show "Backup reminder"`,
	"modal show":    `qbdsim modal show "Backup reminder"`,
	"modal dismiss": `qbdsim modal dismiss`,
	"fault":         `qbdsim fault add --method BeginSession --hresult 0x80040408`,
	"fault add": `qbdsim fault add --method ProcessRequest --after 2 --close-qb   # close QuickBooks mid-iterator
qbdsim fault add --method ProcessRequest --delay 5s --times -1`,
	"fault list":  `qbdsim fault list`,
	"fault clear": `qbdsim fault clear`,
	"policy": `qbdsim policy always --login-as Admin
qbdsim policy ask`,
	"clock":       `qbdsim clock set 2028-01-01                         # past the connector's certificate expiry`,
	"clock set":   `qbdsim clock set 2026-08-17T09:00:00Z`,
	"clock reset": `qbdsim clock reset`,
	"latency":     `qbdsim latency --per-request 20ms --per-record 200us`,
	"company":     `qbdsim company create acme.qbw --transactions 5000`,
	"company create": `qbdsim company create acme.qbw --transactions 5000 --quiet
qbdsim company create acme.qbw --name "Acme Plumbing" --seed 7 --customers 500 --vendors 80 \
    --items 150 --invoices 20000 --payments 15000 --bills 6000 --bill-payments 5000 --force`,
	"company info":       `qbdsim company info acme.qbw`,
	"webconnector":       `qbdsim webconnector run --qwc acme.qwc --password secret --once`,
	"webconnector check": `qbdsim webconnector check --qwc acme.qwc`,
	"webconnector run": `QBWC_PASSWORD=secret qbdsim webconnector run --qwc acme.qwc --every 1m
qbdsim webconnector run --qwc acme.qwc --password secret --once --dir ./companies --open acme.qbw`,
}
