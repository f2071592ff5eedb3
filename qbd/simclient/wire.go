package simclient

// The request-processor HTTP API between this client and the simulator's
// server (package qbdsim/server). All paths are under PathPrefix; bodies are
// JSON except qbXML requests and responses, which are the documents
// themselves (Content-Type application/xml).
//
//	POST   /rp/v1/connections                       qbd.App -> ConnectionResponse
//	PUT    /rp/v1/connections/{conn}/auth-preferences qbd.AuthPreferences -> 204
//	POST   /rp/v1/connections/{conn}/sessions        BeginSessionRequest -> BeginSessionResponse
//	GET    /rp/v1/connections/{conn}/sessions/{ticket} -> SessionResponse
//	POST   /rp/v1/connections/{conn}/sessions/{ticket}/requests  qbXML -> qbXML
//	DELETE /rp/v1/connections/{conn}/sessions/{ticket} -> 204
//	DELETE /rp/v1/connections/{conn} -> 204
//
// A failure is a non-2xx status with an ErrorResponse body.
const PathPrefix = "/rp/v1"

// WaitHeader carries, on BeginSession, how long the server may wait for the
// authorization dialog (a Go duration such as "1.5s"); the server then
// answers with AuthPending instead of the client's deadline cutting the call.
const WaitHeader = "Qbd-Wait"

// ConnectionResponse answers OpenConnection.
type ConnectionResponse struct {
	Connection string `json:"connection"`
}

// BeginSessionRequest is BeginSession's arguments; Mode is a qbd.FileMode
// name ("single", "multi", "do-not-care").
type BeginSessionRequest struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
}

// BeginSessionResponse carries the session ticket.
type BeginSessionResponse struct {
	Ticket string `json:"ticket"`
}

// SessionResponse describes a session.
type SessionResponse struct {
	CompanyFile   string   `json:"companyFile"`
	QBXMLVersions []string `json:"qbxmlVersions"`
}

// ErrorResponse is the body of a failure. HRESULT ("0x80040418") is set for
// a QuickBooks error; AuthPending for a BeginSession that ended while the
// authorization dialog was still up; otherwise the error is the
// simulator's (bad input, unknown connection).
type ErrorResponse struct {
	HRESULT     string `json:"hresult,omitempty"`
	Message     string `json:"message"`
	AuthPending bool   `json:"authPending,omitempty"`
	Detail      string `json:"detail,omitempty"`
}
