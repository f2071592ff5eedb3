package connector

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
)

// File names inside the data folder.
const (
	configFile  = "config.json"
	runtimeFile = "runtime.json"
	journalFile = "journal.db"
)

// DataDirEnv names the environment variable that overrides the default data
// folder (the --data-dir flag overrides both).
const DataDirEnv = "QBCONNECTOR_DATA_DIR"

// DefaultDataDir returns the per-machine data folder: %ProgramData%\qbconnect
// on Windows; elsewhere $QBCONNECTOR_DATA_DIR, else $XDG_STATE_HOME/qbconnector,
// else ~/.local/state/qbconnector.
func DefaultDataDir() (string, error) {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d, nil
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(programData(), "qbconnect"), nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "qbconnector"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("connector: no data folder: set --data-dir or %s: %w", DataDirEnv, err)
	}
	return filepath.Join(home, ".local", "state", "qbconnector"), nil
}

// Config is the connector's configuration and credentials, kept in
// config.json in the data folder, readable by its owner only.
type Config struct {
	// PlatformURL is the platform's base URL, set by the first link.
	PlatformURL string `json:"platformUrl"`
	// ConnectorID and Credential identify this installation to the
	// platform; the credential is secret.
	ConnectorID string `json:"connectorId,omitempty"`
	Credential  string `json:"credential,omitempty"`
	// QBDSim is the simulator's address (qbdsim serve); "" means QuickBooks
	// Desktop itself through its COM request processor (Windows only).
	QBDSim string `json:"qbdsim,omitempty"`
	// AppName is the name QuickBooks shows for the connector; "" means
	// DefaultAppName.
	AppName string `json:"appName,omitempty"`
	// FileMode is the mode sessions ask for: "single", "multi" or "" (do not
	// care, the default).
	FileMode string `json:"fileMode,omitempty"`
	// Unattended says the connector asks to work while QuickBooks is closed.
	Unattended bool `json:"unattended,omitempty"`
	// UIAddr is the local web UI's address; "" means 127.0.0.1 on a random
	// port. Only loopback addresses are accepted.
	UIAddr string `json:"uiAddr,omitempty"`
	// UIToken protects the local web UI; created on first save.
	UIToken string `json:"uiToken,omitempty"`
	// OwnerID is the GUID under which the connector keeps its private data
	// (the identity stamp) in company files; created on first save.
	OwnerID string `json:"ownerId,omitempty"`
	// Files are the linked company files.
	Files []LinkedFile `json:"files"`
}

// DefaultAppName is the application name QuickBooks shows for the connector.
const DefaultAppName = "qbconnect"

// LinkedFile is one company file served by the connector.
type LinkedFile struct {
	ConnectionID string `json:"connectionId"`
	CompanyID    string `json:"companyId"`
	// CompanyName and OrgName are the platform company's name and its
	// client organisation's, as the platform last said (empty until it
	// did): the card shows "Acme Bakery — for Lender Inc.".
	CompanyName string               `json:"companyName,omitempty"`
	OrgName     string               `json:"orgName,omitempty"`
	File        gateway.FileIdentity `json:"file"`
	LinkedAt    time.Time            `json:"linkedAt"`
	// Paused and PausedUntil are the pause as last known: the platform's
	// level, or the end user's own change while the platform has not
	// confirmed it yet. A nil PausedUntil with Paused means until resumed.
	Paused      bool       `json:"paused,omitempty"`
	PausedUntil *time.Time `json:"pausedUntil,omitempty"`
	// PausedBy says who paused: PausedHere or PausedByPlatform.
	PausedBy string `json:"pausedBy,omitempty"`
	// PendingPause is the end user's pause or resume that the platform
	// has not confirmed yet; the next state report carries it.
	PendingPause *gateway.PauseChange `json:"pendingPause,omitempty"`
	// LastPauseChange is the time of the end user's last change; changes
	// are stamped after it even if the computer's clock went back, since
	// the platform ignores a change not newer than the last it applied.
	LastPauseChange time.Time `json:"lastPauseChange,omitzero"`
	// AuthorizedThumbprint is the connector's certificate thumbprint the
	// last time QuickBooks let it in, to recognise a changed certificate.
	AuthorizedThumbprint string `json:"authorizedThumbprint,omitempty"`
	// LastSyncAt is when QuickBooks last answered a work item of the
	// platform for this file: the "Last successful sync" the end user
	// sees, kept here so that it survives restarts and updates. A check
	// of QuickBooks alone does not set it.
	LastSyncAt *time.Time `json:"lastSyncAt,omitempty"`
}

// Who paused a linked file.
const (
	// PausedHere: the end user, on this computer.
	PausedHere = "here"
	// PausedByPlatform: the client organisation, through the platform.
	PausedByPlatform = "platform"
)

// SetPause records the end user's pause (until a time, or until resumed
// when until is nil) or resume made at time at: the level shows at once,
// and the change waits in PendingPause for the platform, which owns the
// level. A change replaces one still pending.
func (f *LinkedFile) SetPause(paused bool, until *time.Time, at time.Time) {
	if !paused {
		until = nil
	}
	if until != nil {
		u := until.UTC()
		until = &u
	}
	f.Paused, f.PausedUntil, f.PausedBy = paused, until, ""
	if paused {
		f.PausedBy = PausedHere
	}
	at = at.UTC()
	if !at.After(f.LastPauseChange) {
		at = f.LastPauseChange.Add(time.Millisecond)
	}
	f.LastPauseChange = at
	f.PendingPause = &gateway.PauseChange{Paused: paused, Until: until, At: at}
}

// PausedAt reports whether the file is paused at now.
func (f *LinkedFile) PausedAt(now time.Time) bool {
	return f.Paused && (f.PausedUntil == nil || now.Before(*f.PausedUntil))
}

// File returns the linked file with connection id, or nil.
func (c *Config) File(id string) *LinkedFile {
	for i := range c.Files {
		if c.Files[i].ConnectionID == id {
			return &c.Files[i]
		}
	}
	return nil
}

// Linked reports whether the connector has a credential and a platform.
func (c *Config) Linked() bool { return c.Credential != "" && c.PlatformURL != "" }

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	d := *c
	d.Files = make([]LinkedFile, len(c.Files))
	for i, f := range c.Files {
		if f.PausedUntil != nil {
			t := *f.PausedUntil
			f.PausedUntil = &t
		}
		if f.PendingPause != nil {
			p := *f.PendingPause
			if p.Until != nil {
				u := *p.Until
				p.Until = &u
			}
			f.PendingPause = &p
		}
		d.Files[i] = f
	}
	return &d
}

// validate checks what a hand-edited or damaged file may get wrong.
func (c *Config) validate() error {
	if c.UIAddr != "" {
		if err := checkLoopback(c.UIAddr); err != nil {
			return err
		}
	}
	switch c.FileMode {
	case "", "single", "multi", "do-not-care":
	default:
		return fmt.Errorf("connector: file mode %q: want single, multi or empty", c.FileMode)
	}
	seen := map[string]bool{}
	for _, f := range c.Files {
		if f.ConnectionID == "" || f.File.Path == "" {
			return errors.New("connector: a linked file has no connection ID or path")
		}
		if seen[f.ConnectionID] {
			return fmt.Errorf("connector: connection %s is listed twice", f.ConnectionID)
		}
		seen[f.ConnectionID] = true
	}
	return nil
}

// Store reads and writes the data folder. Files are written atomically with
// owner-only permissions; the folder is created owner-only.
type Store struct {
	// Dir is the data folder.
	Dir string
	// Rand is the source of the UI token and owner ID; nil means
	// crypto/rand.
	Rand io.Reader
}

// Path returns the path of a file in the data folder.
func (s *Store) Path(name string) string { return filepath.Join(s.Dir, name) }

// Init creates the data folder (owner-only) if needed.
func (s *Store) Init() error {
	if s.Dir == "" {
		return errors.New("connector: the data folder is not set")
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("connector: data folder: %w", err)
	}
	if err := restrictDir(s.Dir); err != nil {
		return fmt.Errorf("connector: restricting the data folder: %w", err)
	}
	return nil
}

// Load reads the configuration. A missing file is an empty configuration.
func (s *Store) Load() (*Config, error) {
	data, err := os.ReadFile(s.Path(configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("connector: reading the configuration: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("connector: %s is damaged: %w", s.Path(configFile), err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("connector: %s: %w", s.Path(configFile), err)
	}
	return &c, nil
}

// Save writes the configuration, creating the UI token and the owner ID on
// first save.
func (s *Store) Save(c *Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.UIToken == "" {
		tok, err := s.random(24)
		if err != nil {
			return err
		}
		c.UIToken = tok
	}
	if c.OwnerID == "" {
		g, err := s.guid()
		if err != nil {
			return err
		}
		c.OwnerID = g
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("connector: %w", err)
	}
	return s.writeFile(configFile, append(data, '\n'))
}

// Runtime is what a running agent publishes for the command line: where its
// local UI listens.
type Runtime struct {
	PID   int    `json:"pid"`
	UIURL string `json:"uiUrl"`
}

// SaveRuntime publishes the running agent's details.
func (s *Store) SaveRuntime(r Runtime) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.writeFile(runtimeFile, data)
}

// LoadRuntime reads the running agent's details; ok is false when no agent
// published any.
func (s *Store) LoadRuntime() (r Runtime, ok bool, err error) {
	data, err := os.ReadFile(s.Path(runtimeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Runtime{}, false, nil
	}
	if err != nil {
		return Runtime{}, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return Runtime{}, false, fmt.Errorf("connector: %s is damaged: %w", s.Path(runtimeFile), err)
	}
	return r, true, nil
}

// RemoveRuntime removes the running agent's details at shutdown.
func (s *Store) RemoveRuntime() error {
	err := os.Remove(s.Path(runtimeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// writeFile writes name atomically: a temporary file, synced, renamed.
func (s *Store) writeFile(name string, data []byte) error {
	return s.writeFileWith(name, data, nil)
}

// writeFileWith is writeFile that calls prepare (when not nil) on the
// temporary file before the rename, to give the file its own permissions:
// they are in place from the moment the file has its name.
func (s *Store) writeFileWith(name string, data []byte, prepare func(path string) error) error {
	if err := s.Init(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("connector: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("connector: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("connector: writing %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("connector: writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("connector: writing %s: %w", name, err)
	}
	if prepare != nil {
		if err := prepare(tmp.Name()); err != nil {
			return fmt.Errorf("connector: writing %s: %w", name, err)
		}
	}
	if err := os.Rename(tmp.Name(), s.Path(name)); err != nil {
		return fmt.Errorf("connector: writing %s: %w", name, err)
	}
	return nil
}

func (s *Store) random(n int) (string, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("connector: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// guid returns a random GUID in QuickBooks' form {XXXXXXXX-XXXX-...}.
func (s *Store) guid() (string, error) {
	h, err := s.random(16)
	if err != nil {
		return "", err
	}
	h = strings.ToUpper(h)
	return "{" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32] + "}", nil
}
