package main

import "github.com/qbconnect/qbconnect/internal/clidoc"

// examples are the help's examples of every command, by path below
// qbconnect; clidoc.Check (examples_test.go) fails on a command without
// one and on an example that no longer parses.
var examples = clidoc.Examples{
	"serve": `qbconnect serve                                     # SQLite in ./qbconnect.db, on 127.0.0.1:8080
qbconnect serve --db 'postgres://qbconnect@db.internal:5432/qbconnect?sslmode=require' --addr 0.0.0.0:8080`,
	"demo": `qbconnect demo                                      # runs until Ctrl+C
qbconnect demo --exit-after-sync                    # print and check the record counts, then exit
qbconnect demo --scenario qb-closed --exit-after-sync
qbconnect demo --scenario handover --exit-after-sync  # the certificate handover, through the real release path`,

	"admin":               `qbconnect admin org create "Acme Lending"`,
	"admin org":           `qbconnect admin org list`,
	"admin org create":    `qbconnect admin --db sqlite:qbconnect.db org create "Acme Lending"`,
	"admin org list":      `qbconnect admin org list`,
	"admin apikey":        `qbconnect admin apikey create --org "Acme Lending"`,
	"admin apikey create": `qbconnect admin apikey create --org "Acme Lending" --name "billing service"`,
	"admin apikey list":   `qbconnect admin apikey list --org "Acme Lending"`,
	"admin apikey revoke": `qbconnect admin apikey revoke qbk_live_abcd       # an ID or prefix from apikey list`,

	"companies":      `qbconnect companies list --api-key "$QBCONNECT_API_KEY"`,
	"companies list": `QBCONNECT_API_KEY=qbk_live_... qbconnect companies list --server http://127.0.0.1:8080 --format json`,
	"sync": `qbconnect sync cmp_123 --wait                      # every type, with a progress bar per type
qbconnect sync cmp_123 --types customers,invoices --full`,
	"records": `qbconnect records cmp_123 customers --format text --limit 20
qbconnect records cmp_123 invoices --filter customerId=80000001-1234567890`,

	"qbxml":          `qbconnect qbxml check request.xml`,
	"qbxml examples": `qbconnect qbxml examples ./requests              # one valid request per type`,
	"qbxml decode":   `qbconnect qbxml decode InvoiceQueryRs.xml > invoices.jsonl`,
	"qbxml check":    `qbconnect qbxml check ./requests/CustomerAddRq.xml`,

	"release": `qbconnect release testcert --dir test-signing
qbconnect release sign --cert test-signing/cert.pem --key test-signing/key.pem qbconnector.exe`,
	"release testcert": `qbconnect release testcert --dir test-signing --days 30`,
	"release sign": `qbconnect release sign --cert signing.pem --key signing.key --chain intermediates.pem \
    --timestamp-url http://127.0.0.1:3161 --description "qbconnect connector" qbconnector.exe qbconnector-setup.msi qbconnector-linux`,
	"release verify": `qbconnect release verify --roots test-signing/ca.pem qbconnector.exe qbconnector-linux
qbconnect release verify --roots test-signing/ca.pem --at 2031-01-01 qbconnector.exe   # as of a date after expiry
qbconnect release verify --format json qbconnector.exe`,
	"release tsa": `qbconnect release tsa --addr 127.0.0.1:3161 --cert tsa.crt --key tsa.key --chain tsa-ca.pem`,
	"release publish": `qbconnect release publish --version 1.4.0 --roots test-signing/ca.pem --rollout-at 2026-03-01 \
    qbconnector.exe qbconnector-setup.msi`,
	"release list": `qbconnect release list --channel stable`,
	"release rollout": `qbconnect release rollout --version 1.4.0 --percent 10
qbconnect release rollout --version 1.4.0 --companies cmp_123,cmp_456
qbconnect release rollout --version 1.4.0 --pause`,
	"release revoke":       `qbconnect release revoke --version 1.4.0 --reason "loses writes when QuickBooks reconnects"`,
	"release campaigns":    `qbconnect release campaigns                         # every campaign, each connection's state`,
	"release contacts":     `qbconnect release contacts org_123 it@acme-lending.example ops@acme-lending.example`,
	"release certificates": `qbconnect release certificates --format json`,
}
