package control

import (
	"context"
	"sync"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Gateway returns the connector protocol's service in process for the
// connector holding credential: the same interface and answers as the
// HTTP gatewayclient.Client, without HTTP. Errors are *gateway.Error (Status 0),
// as the Client returns them. With credential "" only Link works; a Link
// that creates a connector switches the service to its credential.
func (p *Plane) Gateway(credential string) gateway.Service {
	return &service{p: p, credential: credential}
}

type service struct {
	p *Plane

	mu         sync.Mutex
	credential string
}

var _ gateway.Service = (*service)(nil)

// WireError turns an error of the Plane into the connector protocol's
// error, as the HTTP gateway answers it (without its HTTP status).
func WireError(err error) error {
	if err == nil {
		return nil
	}
	e := PublicError(err)
	return &gateway.Error{Code: string(e.Code), Message: e.Message, UserMessage: e.UserMessage, Resolution: e.Resolution}
}

func (s *service) connector(ctx context.Context, optional bool) (*qbconnect.Connector, error) {
	s.mu.Lock()
	credential := s.credential
	s.mu.Unlock()
	if credential == "" {
		if optional {
			return nil, nil
		}
		return nil, WireError(qbconnect.Errorf(qbconnect.EUnauthorized, "the connector is not linked: no credential"))
	}
	c, err := s.p.Authenticate(ctx, credential)
	if err != nil {
		return nil, WireError(err)
	}
	return c, nil
}

func (s *service) Link(ctx context.Context, req gateway.LinkRequest) (*gateway.LinkResponse, error) {
	c, err := s.connector(ctx, true)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.Link(ctx, c, req)
	if err != nil {
		return nil, WireError(err)
	}
	if resp.Credential != "" {
		s.mu.Lock()
		s.credential = resp.Credential
		s.mu.Unlock()
	}
	return resp, nil
}

func (s *service) Poll(ctx context.Context, req gateway.PollRequest) (*gateway.PollResponse, error) {
	c, err := s.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.Poll(ctx, c, req.Wait)
	if err != nil {
		return nil, WireError(err)
	}
	return resp, nil
}

func (s *service) PostResult(ctx context.Context, r gateway.Result) (*gateway.ResultAck, error) {
	c, err := s.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.PostResult(ctx, c, r)
	if err != nil {
		return nil, WireError(err)
	}
	return resp, nil
}

func (s *service) ExtendLease(ctx context.Context, req gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	c, err := s.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.ExtendLease(ctx, c, req)
	if err != nil {
		return nil, WireError(err)
	}
	return resp, nil
}

func (s *service) ReportState(ctx context.Context, st gateway.State) (*gateway.StateResponse, error) {
	c, err := s.connector(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.ReportState(ctx, c, st)
	if err != nil {
		return nil, WireError(err)
	}
	return resp, nil
}
