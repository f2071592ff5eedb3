// Package e2e holds the end-to-end tests that drive the real binaries —
// `qbconnect serve`, `qbdsim serve`, `qbconnector run` and `qbconnect demo`
// — as processes on loopback: the certificate-rotation scenarios of the
// certificate-expiry notice (internal/scenario), checked through the
// platform's REST API, its webhooks and the connector's local UI in a
// browser, and the demo's record counts. It has no non-test code.
//
// QBCONNECT_UPDATE_SCREENSHOTS=1 go test ./e2e saves the README's
// screenshots into docs/screenshots.
package e2e
