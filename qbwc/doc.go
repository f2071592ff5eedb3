// Package qbwc is the platform's QuickBooks Web Connector endpoint: the
// SOAP 1.1 service (document/literal, namespace http://developer.intuit.com/)
// that Intuit's Web Connector calls at /qbwc, and the .qwc onboarding file
// that points it there.
//
// The Web Connector is a second transport next to the qbconnect connector:
// both take work from the same Queue and hand finished operations to the
// same sync engine. An update runs as the protocol prescribes:
//
//	serverVersion, clientVersion   version checks (MinClientVersion → "O:")
//	authenticate                   ticket bound to one connection of one tenant;
//	                               "nvu" (bad or locked-out login), "none" with a
//	                               postpone interval (no work), "busy" (an update
//	                               of the connection is live), else the file path
//	[Web Connector opens QuickBooks; on failure connectionError → health, "done"]
//	sendRequestXML                 first call: Host/Company/Preferences answers,
//	                               link or identity check (FileID stamp under the
//	                               platform's OwnerID); then the leased operation,
//	                               a write's oldMessageSetID recovery, or "NoOp"
//	receiveResponseXML             Queue.Complete, sync engine, progress 0-100
//	getLastError                   "NoOp" pauses, or why the update ended
//	closeConnection                status text
//
// Sessions are persisted (store tables qbwc_*): tickets are 128 random bits,
// kept as hashes; any platform process can serve any callback. A session
// that dies after sendRequestXML leaves its operation leased; the
// connection's next update takes it over and recovers a write with its
// message set ID instead of running it again. Iterators are continued
// within an update: receiveResponseXML answers below 100 while the engine
// has queued the next page, so the Web Connector asks for it at once.
//
// It imports the domain, qbd (HRESULT table and conditions, the same the
// connector reports) and qbxml; cmd/qbconnect and internal/platform wire
// it, and package api mounts it.
package qbwc
