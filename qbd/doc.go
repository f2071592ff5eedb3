// Package qbd is the contract of a QuickBooks Desktop request processor, as
// QuickBooks' SDK exposes it through the QBXMLRP2 COM object: open a connection
// as an application, set the authorization preferences, begin a session on a
// company file in a file mode, process qbXML requests, end the session and
// close the connection.
//
// Failures are one typed value, [*Error], carrying the HRESULT and QuickBooks'
// own message; the HRESULTs and their messages are one table in this package.
// [Diagnose] turns any error of a driver into a [Condition]: a stable code, a
// message a bookkeeper understands, what to do about it, and whether retrying
// can help. The connector and the Web Connector endpoint both use it, so the
// same QuickBooks situation reads the same everywhere.
//
// Drivers live in subpackages: rp2 (Windows, QuickBooks' QBXMLRP2 COM object
// through go-ole) and simclient (the simulator qbdsim over its local HTTP
// API); the simulator's in-process Processor satisfies the contract too.
// The package imports nothing of the project and may be used by any of it.
package qbd
