// Package e2e holds the connector's end-to-end tests: the real qbconnector
// and qbdsim binaries (built once per run), signed with a test CA that the
// simulator trusts, against the platform's own wiring on loopback HTTP.
package e2e
