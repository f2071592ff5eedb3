// Package e2e holds the acceptance test of certificate rotation through
// connector releases, over the real binaries on loopback: `qbconnect
// serve` with email to an SMTP server in the test, `qbconnect release` as
// the operator, `qbdsim serve` trusting a test CA as each business's
// QuickBooks, and `qbconnector run` built as release 1 and release 2,
// updating itself from one to the other. It has no non-test code.
package e2e
