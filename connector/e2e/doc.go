// Package e2e holds the connector's end-to-end tests over real processes
// on loopback, set up with internal/testenv: the platform is `qbconnect
// serve`, QuickBooks is `qbdsim serve` trusting a test CA, and the
// connector is `qbconnector run`, signed with that CA. Clients act through
// the REST API only: writes with an Idempotency-Key, operations read
// through GET /v1/operations/{id}, syncs, health and pauses.
package e2e
