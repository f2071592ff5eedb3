package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// The connector gateway's server side: it translates the wire calls of
// package gateway into calls on the Queue and the ConnectionService.

func (s *Server) registerGateway(rs *routeSet) {
	rs.add("POST", gateway.PathLink, AuthOptionalConnector, s.handleLink)
	rs.add("GET", gateway.PathWork, AuthConnector, s.handlePoll)
	rs.add("POST", gateway.PathResult, AuthConnector, s.handleResult)
	rs.add("POST", gateway.PathLease, AuthConnector, s.handleLease)
	rs.add("POST", gateway.PathState, AuthConnector, s.handleState)
	s.registerGatewayControl(rs) // gateway_control.go
	s.registerPause(rs)          // gateway_pause.go: REST pause and resume
}

// Validation of gateway input.
var (
	conditionRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	hresultRE    = regexp.MustCompile(`^0x[0-9A-Fa-f]{8}$`)
	thumbprintRE = regexp.MustCompile(`^[0-9a-fA-F]{0,128}$`)
)

const maxFileStates = 200

func invalid(format string, args ...any) error {
	return qbconnect.Errorf(qbconnect.EInvalid, format, args...)
}

func validateConnectorInfo(ci gateway.ConnectorInfo) error {
	if err := checkNames(map[string]string{"connector.version": ci.Version, "connector.signer": ci.Signer,
		"connector.hostname": ci.Hostname, "connector.thumbprint": ci.Thumbprint}); err != nil {
		return err
	}
	switch {
	case ci.Version == "" || len(ci.Version) > 64:
		return invalid("connector.version is required and at most 64 bytes")
	case len(ci.Signer) > 512:
		return invalid("connector.signer is longer than 512 bytes")
	case !thumbprintRE.MatchString(ci.Thumbprint):
		return invalid("connector.thumbprint must be hexadecimal")
	case len(ci.Hostname) > 255:
		return invalid("connector.hostname is longer than 255 bytes")
	}
	return nil
}

func validateFile(prefix string, f gateway.FileIdentity) error {
	if err := checkNames(map[string]string{prefix + ".path": f.Path, prefix + ".companyName": f.CompanyName,
		prefix + ".fileId": f.FileID}); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(f.Path) == "":
		return invalid("%s.path is required", prefix)
	case len(f.Path) > maxPathLen:
		return invalid("%s.path is longer than %d bytes", prefix, maxPathLen)
	case len(f.CompanyName) > maxNameLen:
		return invalid("%s.companyName is longer than %d bytes", prefix, maxNameLen)
	case len(f.FileID) > 128:
		return invalid("%s.fileId is longer than 128 bytes", prefix)
	}
	return nil
}

func validateFailure(f *gateway.Failure) error {
	if err := checkTexts(map[string]string{"failure.message": f.Message, "failure.userMessage": f.UserMessage,
		"failure.resolution": f.Resolution}); err != nil {
		return err
	}
	switch {
	case !conditionRE.MatchString(f.Condition):
		return invalid("failure.condition must be a code such as \"qb_closed\" (lowercase letters, digits, _), not %q", f.Condition)
	case f.HResult != "" && !hresultRE.MatchString(f.HResult):
		return invalid("failure.hresult must look like \"0x80040408\", not %q", f.HResult)
	case len(f.Message) > 4096 || len(f.UserMessage) > 4096 || len(f.Resolution) > 4096:
		return invalid("failure messages are limited to 4096 bytes each")
	}
	return nil
}

func connectionWire(c *qbconnect.Connection) gateway.Connection {
	return gateway.Connection{
		ID:          c.ID,
		CompanyID:   c.CompanyID,
		Status:      string(c.Status),
		File:        gateway.FileIdentity(c.File),
		Paused:      c.Paused,
		PausedUntil: c.PausedUntil,
	}
}

// link redeems a link code for connector c (nil for a new connector).
func (s *Server) link(ctx context.Context, c *qbconnect.Connector, req gateway.LinkRequest) (*gateway.LinkResponse, error) {
	req.Code = strings.TrimSpace(req.Code)
	if req.Code == "" || len(req.Code) > 64 {
		return nil, invalid("code is required (the link code shown to the client, such as 7KQ2-M9XD)")
	}
	if err := validateFile("file", req.File); err != nil {
		return nil, err
	}
	if err := validateConnectorInfo(req.Connector); err != nil {
		return nil, err
	}
	connectorID := ""
	if c != nil {
		connectorID = c.ID
	}
	about := &qbconnect.Connector{Version: req.Connector.Version, Signer: req.Connector.Signer,
		Thumbprint: strings.ToLower(req.Connector.Thumbprint), Hostname: req.Connector.Hostname}
	// One transaction: a failure leaves the code unused and the connection
	// as it was, never linked to a connector that did not get its
	// credential.
	conn, connector, credential, err := s.cfg.Connections.RedeemLink(ctx, req.Code, connectorID, qbconnect.FileIdentity(req.File), about)
	if err != nil {
		if code := qbconnect.ErrorCodeOf(err); code == qbconnect.EUnauthorized || code == qbconnect.ENotFound || code == qbconnect.EConflict {
			return nil, &qbconnect.Error{Code: qbconnect.EUnauthorized,
				Message:     "unknown, used or expired link code",
				UserMessage: "This link code is not valid: it may be mistyped, already used, or expired.",
				Resolution:  "Ask for a new link code and enter it within an hour.", Err: err}
		}
		return nil, err
	}
	now := s.cfg.Now()
	s.online.touch(connector.ID, now)
	s.cfg.Logger.InfoContext(ctx, "gateway: connector linked", "connector", connector.ID,
		"connection", conn.ID, "company", conn.CompanyID, "newConnector", credential != "")
	wire, err := s.names().wire(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &gateway.LinkResponse{
		ConnectorID: connector.ID,
		Credential:  credential,
		Connection:  wire,
	}, nil
}

// connectorConnections returns the connector's connections by ID, marking
// online again those that a sweep had marked offline. With remembered, the
// dispatcher may answer from memory (a poll); a state report reads them.
func (s *Server) connectorConnections(ctx context.Context, c *qbconnect.Connector, remembered bool) (map[string]*qbconnect.Connection, error) {
	load := s.cfg.Connections.ConnectorConnections
	if remembered {
		load = s.dispatch().ConnectorConnections // dispatch hook: cached connections
	}
	conns, err := load(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*qbconnect.Connection, len(conns))
	for _, conn := range conns {
		byID[conn.ID] = conn
		if conn.Status == qbconnect.StatusLinked &&
			(conn.Health.Code == qbconnect.HealthConnectorOffline || conn.Health.Code == qbconnect.HealthNeverConnected || conn.Health.Code == "") {
			h := qbconnect.Health{
				Code:          qbconnect.HealthOK,
				Message:       "The connector is online.",
				Since:         s.cfg.Now(),
				LastRequestAt: conn.Health.LastRequestAt,
				LastSuccessAt: conn.Health.LastSuccessAt,
			}
			if err := s.cfg.Connections.SetHealth(ctx, conn.ID, h); err != nil {
				return nil, err
			}
			conn.Health = h
		}
	}
	return byID, nil
}

// poll leases the connector's next item, waiting up to wait for one.
func (s *Server) poll(ctx context.Context, c *qbconnect.Connector, wait time.Duration) (*gateway.PollResponse, error) {
	wait = min(max(wait, 0), s.cfg.MaxPollWait)
	s.online.startPoll(c.ID)
	defer func() { s.online.endPoll(c.ID, s.cfg.Now()) }()
	conns, err := s.connectorConnections(ctx, c, true)
	if err != nil {
		return nil, err
	}
	list := make([]*qbconnect.Connection, 0, len(conns))
	for _, conn := range conns {
		list = append(list, conn)
	}
	before := signatures(list)
	if s.pauses.stale(c.ID, before) {
		// Changed while the connector was busy: it hears it now.
		return &gateway.PollResponse{ReportState: true}, nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for first := true; ; first = false {
		// Wait before claiming, so that work enqueued in between wakes us.
		// dispatch hook: the dispatcher claims only when work may be
		// runnable. The first claim of a poll re-offers the items the
		// platform still sees leased to the connector: a connector polls
		// only between items (after delivering every answer it
		// journalled), so such an item was lost (its answer never arrived,
		// or it crashed before journalling it). It gets the item again now
		// rather than after the lease time-out, which would hold up the
		// whole queue of its companies.
		woken := s.dispatch().Wait(c.ID)
		lease, n, err := s.dispatch().Claim(ctx, c.ID, s.cfg.LeaseTTL, first)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			s.metrics.leasesReoffered.Add(float64(n))
			s.cfg.Logger.InfoContext(ctx, "gateway: connector polled while holding a lease; its item is offered again",
				"connector", c.ID, "leases", n)
		}
		if lease != nil {
			return s.workItem(ctx, c, lease, conns)
		}
		if s.cfg.OnPollWait != nil {
			s.cfg.OnPollWait(c.ID)
		}
		select {
		case <-woken:
			// A connection paused, resumed or unlinked through the API
			// wakes the poll too: the connector must hear about it now.
			changed, err := s.connectionsChanged(ctx, c, before)
			if err != nil {
				return nil, err
			}
			if changed {
				return &gateway.PollResponse{ReportState: true}, nil
			}
		case <-timer.C:
			return &gateway.PollResponse{}, nil
		case <-s.stopping:
			return &gateway.PollResponse{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *Server) workItem(ctx context.Context, c *qbconnect.Connector, lease *qbconnect.Lease, conns map[string]*qbconnect.Connection) (*gateway.PollResponse, error) {
	op := lease.Operation
	conn := conns[op.ConnectionID]
	if conn == nil { // linked since the poll began
		var err error
		if conn, err = s.cfg.Connections.LookupConnection(ctx, op.ConnectionID); err != nil {
			return nil, err
		}
	}
	now := s.cfg.Now()
	ready := op.CreatedAt
	if op.NotBefore.After(ready) {
		ready = op.NotBefore
	}
	if op.Attempts <= 1 {
		s.metrics.waitTime.Observe(max(now.Sub(ready), 0).Seconds())
	}
	s.cfg.Logger.DebugContext(ctx, "gateway: item leased", "connector", c.ID, "op", op.ID, "lease", lease.LeaseID)
	return &gateway.PollResponse{Item: &gateway.WorkItem{
		ID:             op.ID,
		LeaseID:        lease.LeaseID,
		ConnectionID:   op.ConnectionID,
		CompanyID:      op.CompanyID,
		File:           gateway.FileIdentity(conn.File),
		Kind:           string(op.Kind),
		Request:        op.Request,
		MessageSetID:   op.MessageSetID,
		Attempt:        op.Attempts,
		LeaseExpiresAt: lease.ExpiresAt,
		Deadline:       op.Deadline,
	}}, nil
}

// ownOperation returns operation id if it belongs to one of the connector's
// connections; any other ID is ENotFound, like an unknown one.
func (s *Server) ownOperation(ctx context.Context, c *qbconnect.Connector, id string) (*qbconnect.Operation, error) {
	notFound := qbconnect.Errorf(qbconnect.ENotFound, "work item not found")
	if id == "" {
		return nil, notFound
	}
	conns, err := s.cfg.Connections.ConnectorConnections(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	tried := map[string]bool{}
	for _, conn := range conns {
		if tried[conn.OrgID] {
			continue
		}
		tried[conn.OrgID] = true
		op, err := s.cfg.Queue.FindOperation(ctx, conn.OrgID, id)
		if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, conn := range conns {
			if conn.ID == op.ConnectionID {
				return op, nil
			}
		}
		return nil, notFound
	}
	return nil, notFound
}

// postResult records a work item's outcome.
func (s *Server) postResult(ctx context.Context, c *qbconnect.Connector, r gateway.Result) (*gateway.ResultAck, error) {
	if err := validateResult(r); err != nil {
		return nil, err
	}
	op, err := s.ownOperation(ctx, c, r.ItemID)
	if err != nil {
		return nil, err
	}
	return s.recordResult(ctx, c, op, r)
}

func validateResult(r gateway.Result) error {
	if err := r.Validate(); err != nil {
		return invalid("%s", strings.TrimPrefix(err.Error(), "result: "))
	}
	if r.Failure != nil {
		return validateFailure(r.Failure)
	}
	return nil
}

// recordResult records the outcome of op, one of c's work items, once r is
// valid.
func (s *Server) recordResult(ctx context.Context, c *qbconnect.Connector, op *qbconnect.Operation, r gateway.Result) (*gateway.ResultAck, error) {
	now := s.cfg.Now()
	var out qbconnect.Outcome
	if f := r.Failure; f != nil {
		code := qbconnect.EQuickBooks
		if f.NeedsUser || f.Retryable {
			code = qbconnect.EUnavailable
		}
		msg := f.Message
		if f.HResult != "" {
			msg = "QuickBooks (" + f.HResult + "): " + f.Message
		}
		out.Failure = &qbconnect.Error{
			Code:        code,
			Message:     msg,
			UserMessage: f.UserMessage,
			Resolution:  f.Resolution,
			QBCode:      f.HResult,
			Retryable:   f.Retryable || f.NeedsUser,
		}
		if f.NeedsUser || f.Retryable {
			userMsg := f.UserMessage
			if userMsg == "" {
				userMsg = f.Message
			}
			out.Health = &qbconnect.Health{
				Code: f.Condition, Message: userMsg, Resolution: f.Resolution, QBCode: f.HResult,
				Since: now, LastRequestAt: &now, NeedsUser: f.NeedsUser,
			}
		}
	} else {
		out.Response = []byte(r.Response)
		out.Health = &qbconnect.Health{
			Code: qbconnect.HealthOK, Message: "Connected to QuickBooks.",
			Since: now, LastRequestAt: &now, LastSuccessAt: &now,
		}
	}
	var before *qbconnect.Connection
	if s.cfg.Events != nil {
		before = s.lookupQuietly(ctx, op.ConnectionID)
	}
	done, applied, err := s.cfg.Queue.Complete(ctx, op.ID, r.LeaseID, out)
	if err != nil {
		return nil, err
	}
	if applied {
		s.finished(ctx, done)
		if before != nil {
			s.connectionChanged(ctx, before, s.lookupQuietly(ctx, op.ConnectionID))
		}
	}
	if applied {
		s.metrics.results.WithLabelValues("applied").Inc()
		s.metrics.itemsCompleted.WithLabelValues(string(done.Status)).Inc()
	} else {
		s.metrics.results.WithLabelValues("ignored").Inc()
		s.cfg.Logger.InfoContext(ctx, "gateway: result recorded but not applied (duplicate or stale lease)",
			"connector", c.ID, "op", op.ID, "lease", r.LeaseID, "status", done.Status)
	}
	return &gateway.ResultAck{Applied: applied, Status: string(done.Status)}, nil
}

// extendLease extends the lease of one of the connector's items.
func (s *Server) extendLease(ctx context.Context, c *qbconnect.Connector, req gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	if req.LeaseID == "" {
		return nil, invalid("leaseId is required")
	}
	op, err := s.ownOperation(ctx, c, req.ItemID)
	if err != nil {
		return nil, err
	}
	exp, err := s.cfg.Queue.ExtendLease(ctx, op.ID, req.LeaseID, s.cfg.LeaseTTL)
	if err != nil {
		return nil, err
	}
	return &gateway.LeaseResponse{LeaseExpiresAt: exp}, nil
}

// reportState records the connector's own details and each file's health.
// File states for connections the connector does not serve are ignored: the
// answer lists the ones it does, so it learns about unlinked companies.
func (s *Server) reportState(ctx context.Context, c *qbconnect.Connector, st gateway.State) (*gateway.StateResponse, error) {
	if err := validateConnectorInfo(st.Connector); err != nil {
		return nil, err
	}
	if len(st.Files) > maxFileStates {
		return nil, invalid("at most %d files per report", maxFileStates)
	}
	for i, f := range st.Files {
		prefix := fmt.Sprintf("files[%d].", i)
		if err := checkTexts(map[string]string{prefix + "connectionId": f.ConnectionID, prefix + "message": f.Message,
			prefix + "userMessage": f.UserMessage, prefix + "resolution": f.Resolution}); err != nil {
			return nil, err
		}
		switch {
		case f.ConnectionID == "":
			return nil, invalid("files[%d].connectionId is required", i)
		case !conditionRE.MatchString(f.Condition):
			return nil, invalid("files[%d].condition must be \"ok\" or a code such as \"qb_closed\", not %q", i, f.Condition)
		case f.HResult != "" && !hresultRE.MatchString(f.HResult):
			return nil, invalid("files[%d].hresult must look like \"0x80040408\", not %q", i, f.HResult)
		case len(f.Message) > 4096 || len(f.UserMessage) > 4096 || len(f.Resolution) > 4096:
			return nil, invalid("files[%d]: messages are limited to 4096 bytes each", i)
		case f.PauseChange != nil && f.Paused != nil:
			return nil, invalid("files[%d]: send pauseChange or the legacy paused level, not both", i)
		}
		if f.PauseChange != nil {
			if err := validatePauseChange(i, f.PauseChange); err != nil {
				return nil, err
			}
		}
	}
	now := s.cfg.Now()
	u := *c
	u.Version = st.Connector.Version
	u.Signer = st.Connector.Signer
	u.Thumbprint = strings.ToLower(st.Connector.Thumbprint)
	u.Hostname = st.Connector.Hostname
	u.LastSeenAt = &now
	if err := s.cfg.Connections.UpdateConnector(ctx, &u); err != nil {
		return nil, err
	}
	conns, err := s.connectorConnections(ctx, c, false)
	if err != nil {
		return nil, err
	}
	for _, f := range st.Files {
		conn := conns[f.ConnectionID]
		if conn == nil || conn.Status != qbconnect.StatusLinked {
			continue
		}
		// The pause is a change the connector sends once, never a level
		// its heartbeat re-asserts: a pause set through the API stays.
		conn, err := s.applyPause(ctx, conn, f)
		if err != nil {
			return nil, err
		}
		conns[conn.ID] = conn
		var h qbconnect.Health
		switch {
		case pausedAt(conn, now):
			h = s.pausedHealth(conn, now, f.LastRequest, f.LastSuccess)
		default:
			h = qbconnect.Health{
				Code: f.Condition, Message: f.UserMessage, Resolution: f.Resolution, QBCode: f.HResult,
				Since: now, LastRequestAt: f.LastRequest, LastSuccessAt: f.LastSuccess, NeedsUser: f.NeedsUser,
			}
			switch {
			case f.Condition == qbconnect.HealthOK && h.Message == "":
				h.Message = "Connected to QuickBooks."
			case h.Message == "":
				h.Message = f.Message
			}
		}
		if err := s.cfg.Connections.SetHealth(ctx, conn.ID, h); err != nil {
			return nil, err
		}
	}
	resp := &gateway.StateResponse{Connections: []gateway.Connection{}}
	names := s.names()
	for _, conn := range conns {
		wire, err := names.wire(ctx, conn)
		if err != nil {
			return nil, err
		}
		resp.Connections = append(resp.Connections, wire)
	}
	slices.SortFunc(resp.Connections, func(a, b gateway.Connection) int { return strings.Compare(a.ID, b.ID) })
	told := make([]*qbconnect.Connection, 0, len(conns))
	for _, conn := range conns {
		told = append(told, conn)
	}
	s.pauses.tell(c.ID, signatures(told))
	return resp, nil
}

// HTTP handlers.

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) error {
	key, now := s.clientKey(r), s.cfg.Now()
	n, ends, err := s.linkAttempts.Failures(r.Context(), key, now, linkFailureWindow)
	if err != nil {
		return err
	}
	if n >= maxLinkFailures {
		w.Header().Set("Retry-After", strconv.Itoa(int(ends.Sub(now).Seconds())+1))
		return &qbconnect.Error{Code: qbconnect.ERateLimited,
			Message:    "too many failed link attempts from this address",
			Resolution: "Wait a few minutes, then enter the link code again."}
	}
	var req gateway.LinkRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	resp, err := s.link(r.Context(), connectorOf(r.Context()), req)
	if err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.EUnauthorized {
			if ferr := s.linkAttempts.Fail(r.Context(), key, s.cfg.Now(), linkFailureWindow); ferr != nil {
				s.cfg.Logger.ErrorContext(r.Context(), "gateway: counting a failed link attempt", "client", key, "err", ferr)
			}
		}
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) error {
	wait := time.Duration(0)
	for k := range r.URL.Query() {
		if k != "wait" {
			return invalid("unknown query parameter %q (accepted: wait)", k)
		}
	}
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return invalid("wait must be a duration such as \"30s\", not %q", v)
		}
		wait = d
	}
	resp, err := s.poll(r.Context(), connectorOf(r.Context()), wait)
	if err != nil {
		return err
	}
	if resp.Item == nil && !resp.ReportState {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleResult(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return invalid("Content-Type must be application/json, not %q", ct)
	}
	// The item must be one of the connector's before a byte of the body
	// is read: a body is up to MaxResultDecoded once inflated.
	// A refused body is not drained either (net/http would read up to
	// 256 KiB of it to keep the connection): the connection closes.
	c := connectorOf(r.Context())
	op, err := s.ownOperation(r.Context(), c, r.PathValue("itemId"))
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	data, release, err := s.readResultBody(w, r)
	defer release()
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	var res gateway.Result
	if err := unmarshalStrict(data, &res, false); err != nil {
		return err
	}
	res.ItemID = op.ID
	if err := validateResult(res); err != nil {
		return err
	}
	ack, err := s.recordResult(r.Context(), c, op, res)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ack)
	return nil
}

func (s *Server) handleLease(w http.ResponseWriter, r *http.Request) error {
	var req gateway.LeaseRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	req.ItemID = r.PathValue("itemId")
	resp, err := s.extendLease(r.Context(), connectorOf(r.Context()), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) error {
	var st gateway.State
	if err := decodeJSON(w, r, &st, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	resp, err := s.reportState(r.Context(), connectorOf(r.Context()), st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// GatewayService returns the gateway for the connector holding credential,
// in process: the same calls as the HTTP Client, without HTTP. Errors are
// *gateway.Error, as the Client returns them. With credential "" only Link
// works; a Link that creates a connector switches the service to its
// credential.
func (s *Server) GatewayService(credential string) gateway.Service {
	return &localGateway{s: s, credential: credential}
}

type localGateway struct {
	s *Server

	mu         sync.Mutex
	credential string
}

var _ gateway.Service = (*localGateway)(nil)

func (g *localGateway) connector(ctx context.Context, optional bool) (*qbconnect.Connector, error) {
	g.mu.Lock()
	credential := g.credential
	g.mu.Unlock()
	if credential == "" {
		if optional {
			return nil, nil
		}
		return nil, gatewayError(ctx, qbconnect.Errorf(qbconnect.EUnauthorized, "the connector is not linked: no credential"))
	}
	c, err := g.s.dispatch().AuthenticateConnector(ctx, credential) // dispatch hook: cached credential
	if err != nil {
		return nil, gatewayError(ctx, unauthorized(err, "unknown or revoked connector credential"))
	}
	g.s.seen(ctx, c)
	return c, nil
}

// roundTrip passes v through JSON, as the HTTP transport would, so that
// in-process callers see exactly what remote ones see.
func roundTrip[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (g *localGateway) Link(ctx context.Context, req gateway.LinkRequest) (*gateway.LinkResponse, error) {
	c, err := g.connector(ctx, true)
	if err != nil {
		return nil, err
	}
	resp, err := g.s.link(ctx, c, req)
	if err != nil {
		return nil, gatewayError(ctx, err)
	}
	if resp.Credential != "" {
		g.mu.Lock()
		g.credential = resp.Credential
		g.mu.Unlock()
	}
	return roundTrip(resp, nil)
}

func (g *localGateway) Poll(ctx context.Context, req gateway.PollRequest) (*gateway.PollResponse, error) {
	c, err := g.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := g.s.poll(ctx, c, req.Wait)
	return roundTrip(resp, gatewayError(ctx, err))
}

func (g *localGateway) PostResult(ctx context.Context, r gateway.Result) (*gateway.ResultAck, error) {
	c, err := g.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := g.s.postResult(ctx, c, r)
	return roundTrip(resp, gatewayError(ctx, err))
}

func (g *localGateway) ExtendLease(ctx context.Context, req gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	c, err := g.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := g.s.extendLease(ctx, c, req)
	return roundTrip(resp, gatewayError(ctx, err))
}

func (g *localGateway) ReportState(ctx context.Context, st gateway.State) (*gateway.StateResponse, error) {
	c, err := g.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := g.s.reportState(ctx, c, st)
	return roundTrip(resp, gatewayError(ctx, err))
}
