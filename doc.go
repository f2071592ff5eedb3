// Package qbconnect holds the platform's domain: organisations and their API
// keys, companies, connections to QuickBooks company files, the operations
// queued for them, synced records, and the one Error type whose codes every
// adapter maps to HTTP, SOAP and the connector UI.
//
// It imports nothing of the project. Adapters live in subpackages and depend
// inward: store (SQLite and PostgreSQL), api (REST and the connector gateway),
// qbwc (the Web Connector endpoint), syncengine, notify and release. Protocol
// libraries (qbxml, qbd, signing, gateway) stand alone.
package qbconnect
