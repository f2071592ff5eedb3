package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ErrNotRunning says no running agent answered on this computer.
var ErrNotRunning = errors.New("connector: the connector is not running")

// LocalClient talks to the running agent's local API, for the command
// line: status, pause, resume, sync, unlink and link while the agent runs.
type LocalClient struct {
	base   string
	token  string
	access Access
	hc     *http.Client
}

// Access returns how the client reaches the agent: the UI's link and
// whether the token is the users' (limited) one.
func (c *LocalClient) Access() Access { return c.access }

// DialLocal finds the running agent of a data folder, with the full token
// when this user may read the data folder and the users' token otherwise
// (Store.LocalAccess). It returns ErrNotRunning when none answers.
func DialLocal(ctx context.Context, s *Store) (*LocalClient, error) {
	acc, err := s.LocalAccess()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(acc.UIURL)
	if err != nil || u.Host == "" {
		return nil, ErrNotRunning
	}
	c := &LocalClient{base: "http://" + u.Host, token: acc.Token, access: acc, hc: &http.Client{Timeout: 5 * time.Minute}}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := c.Status(ctx); err != nil {
		return nil, ErrNotRunning
	}
	return c, nil
}

// Status returns the agent's state.
func (c *LocalClient) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.do(ctx, http.MethodGet, "/api/status", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Act performs "sync", "pause" (for a duration such as "1h", "" for until
// resumed), "resume" or "unlink" on a connection, and returns the agent's
// message.
func (c *LocalClient) Act(ctx context.Context, connectionID, action, forArg string) (string, error) {
	var out struct {
		Message string `json:"message"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/files/"+url.PathEscape(connectionID)+"/"+action, map[string]string{"for": forArg}, &out); err != nil {
		return "", err
	}
	return out.Message, nil
}

// ActAll performs an action (see Act) on every linked file and returns
// the agent's messages; the command line and the tray app use it.
func (c *LocalClient) ActAll(ctx context.Context, action, forArg string) ([]string, error) {
	s, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	if len(s.Files) == 0 {
		return nil, errors.New("no company file is linked")
	}
	var msgs []string
	for _, f := range s.Files {
		msg, err := c.Act(ctx, f.ConnectionID, action, forArg)
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// Link links a company file through the running agent.
func (c *LocalClient) Link(ctx context.Context, req LinkRequest) (*LinkedFile, error) {
	var lf LinkedFile
	if err := c.do(ctx, http.MethodPost, "/api/link", req, &lf); err != nil {
		return nil, err
	}
	return &lf, nil
}

func (c *LocalClient) do(ctx context.Context, method, path string, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("connector: the running connector did not answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("connector: the running connector answered %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
