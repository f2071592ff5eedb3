package qbdsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/signing"
)

// metaKey is where a company file keeps its Integrated Applications
// preferences.
const metaKey = "integrated_apps"

// IntegratedApps is a company file's Integrated Applications preferences
// (Edit > Preferences > Integrated Applications > Company Preferences).
type IntegratedApps struct {
	// DontAllowAny is "Don't allow any applications to access this company
	// file": every application is refused, nobody is asked.
	DontAllowAny bool `json:"dontAllowAny"`
	// NotifyExpired is "Notify the user before running any application whose
	// certificate has expired" (on in a new company file).
	NotifyExpired bool `json:"notifyExpired"`
	// Apps are the applications that have requested access, in the order
	// they first did.
	Apps []AppEntry `json:"apps"`
}

// Certificate is a signer certificate as QuickBooks shows it in its dialogs.
type Certificate struct {
	Subject          string    `json:"subject"`
	CommonName       string    `json:"commonName"`
	Issuer           string    `json:"issuer"`
	IssuerCommonName string    `json:"issuerCommonName"`
	Thumbprint       string    `json:"thumbprint"` // SHA-1, upper-case hex
	SHA256           string    `json:"sha256"`
	NotBefore        time.Time `json:"notBefore"`
	NotAfter         time.Time `json:"notAfter"`
}

// certificateOf returns the certificate of a signing identity, nil for an
// unsigned program.
func certificateOf(id signing.Identity) *Certificate {
	if id.IsZero() {
		return nil
	}
	return &Certificate{Subject: id.Subject, CommonName: id.CommonName, Issuer: id.Issuer, IssuerCommonName: id.IssuerCommonName,
		Thumbprint: id.Thumbprint, SHA256: id.SHA256, NotBefore: id.NotBefore, NotAfter: id.NotAfter}
}

// AppEntry is one application in the Integrated Applications list. An
// application is its name AND its signing certificate: the same name signed
// with another certificate (or unsigned) is another entry.
type AppEntry struct {
	// Key identifies the entry: a hash of the name and the certificate.
	Key   string `json:"key"`
	Name  string `json:"name"`
	AppID string `json:"appID,omitempty"`
	// Certificate is nil for an application without a (trusted) certificate.
	Certificate *Certificate `json:"certificate,omitempty"`
	// ReadOnly says the application asked for read-only access.
	ReadOnly bool `json:"readOnly"`
	// AllowAccess is the Allow Access checkmark ("Allow this application to
	// read and modify this company file").
	AllowAccess bool `json:"allowAccess"`
	// PromptEachTime is "Prompt before allowing access".
	PromptEachTime bool `json:"promptEachTime"`
	// AutoLogin is "Allow this application to log in automatically", as
	// LoginAs.
	AutoLogin bool   `json:"autoLogin"`
	LoginAs   string `json:"loginAs,omitempty"`
	// PersonalData is "Allow this application to access Social Security
	// Numbers, customer credit card information, and other personal data".
	PersonalData bool `json:"personalData"`
	// AllowExpired records that the administrator allowed the application
	// after its certificate expired (Expired Certificate window).
	AllowExpired bool      `json:"allowExpired,omitempty"`
	FirstAccess  time.Time `json:"firstAccess"`
	LastAccess   time.Time `json:"lastAccess,omitzero"`
}

// appKey is the key of an application: its name and certificate.
func appKey(name string, cert *Certificate) string {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	if cert != nil {
		h.Write([]byte(cert.SHA256))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// find returns the entry with key, or nil.
func (ia *IntegratedApps) find(key string) *AppEntry {
	for i := range ia.Apps {
		if ia.Apps[i].Key == key {
			return &ia.Apps[i]
		}
	}
	return nil
}

// loadApps reads a company file's preferences; a file without any has the
// defaults of a new company file.
func loadApps(f *companyfile.File) (*IntegratedApps, error) {
	data, err := f.GetMeta(metaKey)
	if errors.Is(err, companyfile.ErrNoMeta) {
		return &IntegratedApps{NotifyExpired: true, Apps: []AppEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("qbdsim: reading Integrated Applications preferences: %w", err)
	}
	var ia IntegratedApps
	if err := json.Unmarshal(data, &ia); err != nil {
		return nil, fmt.Errorf("qbdsim: Integrated Applications preferences of %s are corrupt: %w", f.Path(), err)
	}
	if ia.Apps == nil {
		ia.Apps = []AppEntry{}
	}
	return &ia, nil
}

func saveApps(f *companyfile.File, ia *IntegratedApps) error {
	data, err := json.Marshal(ia)
	if err != nil {
		return fmt.Errorf("qbdsim: %w", err)
	}
	if err := f.PutMeta(metaKey, data); err != nil {
		return fmt.Errorf("qbdsim: saving Integrated Applications preferences: %w", err)
	}
	return nil
}

// withFile runs fn on the company file name: the open file when it is that
// one, otherwise the file opened for the call. As in QuickBooks, only the
// administrator may change these preferences: when the file is open under
// another user, a change is refused.
func (s *Simulator) withFile(name string, write bool, fn func(f *companyfile.File) error) error {
	p, err := s.resolve(name)
	if err != nil {
		return fmt.Errorf("%w: %q", err, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.open; o != nil && sameFile(o.path, p) {
		if write && o.user != AdminUser {
			return fmt.Errorf("qbdsim: only the QuickBooks Administrator can change Integrated Applications preferences (%s is logged in)", o.user)
		}
		return fn(o.f)
	}
	f, err := s.openCompany(p)
	if err != nil {
		return fmt.Errorf("qbdsim: opening %s: %w", name, err)
	}
	defer f.Close()
	return fn(f)
}

// Apps returns the Integrated Applications preferences of a company file.
func (s *Simulator) Apps(file string) (*IntegratedApps, error) {
	var out *IntegratedApps
	err := s.withFile(file, false, func(f *companyfile.File) error {
		ia, err := loadApps(f)
		out = ia
		return err
	})
	return out, err
}

// CompanyPrefs changes the company-wide checkboxes; nil leaves one as is.
type CompanyPrefs struct {
	DontAllowAny  *bool `json:"dontAllowAny,omitempty"`
	NotifyExpired *bool `json:"notifyExpired,omitempty"`
}

// SetCompanyPrefs changes a company file's two company-wide checkboxes.
func (s *Simulator) SetCompanyPrefs(file string, c CompanyPrefs) error {
	return s.withFile(file, true, func(f *companyfile.File) error {
		ia, err := loadApps(f)
		if err != nil {
			return err
		}
		if c.DontAllowAny != nil {
			ia.DontAllowAny = *c.DontAllowAny
		}
		if c.NotifyExpired != nil {
			ia.NotifyExpired = *c.NotifyExpired
		}
		return s.saveAppsNotify(f, ia)
	})
}

func (s *Simulator) saveAppsNotify(f *companyfile.File, ia *IntegratedApps) error {
	if err := saveApps(f, ia); err != nil {
		return err
	}
	s.notifyLocked()
	return nil
}

// ErrNoSuchApp is returned for an application key a company file lacks.
var ErrNoSuchApp = errors.New("qbdsim: no such application in the Integrated Applications list")

// RemoveApp removes an application from a company file's list (the Remove
// button). Its next access is a first access again.
func (s *Simulator) RemoveApp(file, key string) error {
	return s.withFile(file, true, func(f *companyfile.File) error {
		ia, err := loadApps(f)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ia.Apps, func(e AppEntry) bool { return e.Key == key })
		if i < 0 {
			return fmt.Errorf("%w: %q in %s", ErrNoSuchApp, key, filepath.Base(f.Path()))
		}
		ia.Apps = slices.Delete(ia.Apps, i, i+1)
		s.log.Info("qbdsim: application removed", "file", f.Path(), "key", key)
		return s.saveAppsNotify(f, ia)
	})
}

// AppChange changes an application's properties (the Properties window);
// nil leaves a property as it is.
type AppChange struct {
	AllowAccess    *bool   `json:"allowAccess,omitempty"`
	PromptEachTime *bool   `json:"promptEachTime,omitempty"`
	AutoLogin      *bool   `json:"autoLogin,omitempty"`
	LoginAs        *string `json:"loginAs,omitempty"`
	PersonalData   *bool   `json:"personalData,omitempty"`
}

// SetApp changes an application's properties with QuickBooks' rules: with
// Allow Access off no other property can change; "Prompt before allowing
// access" and automatic login exclude each other; automatic login needs a
// Login as user of the file (Admin when it is the only user).
func (s *Simulator) SetApp(file, key string, c AppChange) (AppEntry, error) {
	var out AppEntry
	err := s.withFile(file, true, func(f *companyfile.File) error {
		ia, err := loadApps(f)
		if err != nil {
			return err
		}
		e := ia.find(key)
		if e == nil {
			return fmt.Errorf("%w: %q in %s", ErrNoSuchApp, key, filepath.Base(f.Path()))
		}
		next := *e
		if c.AllowAccess != nil {
			next.AllowAccess = *c.AllowAccess
		}
		others := c.PromptEachTime != nil || c.AutoLogin != nil || c.LoginAs != nil || c.PersonalData != nil
		if others && !next.AllowAccess {
			return errors.New("qbdsim: tick Allow Access before changing the application's other properties")
		}
		if c.PromptEachTime != nil {
			next.PromptEachTime = *c.PromptEachTime
			if next.PromptEachTime && c.AutoLogin == nil {
				next.AutoLogin = false
			}
		}
		if c.AutoLogin != nil {
			next.AutoLogin = *c.AutoLogin
			if next.AutoLogin && c.PromptEachTime == nil {
				next.PromptEachTime = false
			}
		}
		if c.LoginAs != nil {
			next.LoginAs = *c.LoginAs
		}
		if c.PersonalData != nil {
			next.PersonalData = *c.PersonalData
		}
		if next.PromptEachTime && next.AutoLogin {
			return errors.New("qbdsim: \"Prompt before allowing access\" and automatic login exclude each other")
		}
		if next.AutoLogin {
			users := f.Users()
			if next.LoginAs == "" && len(users) == 1 {
				next.LoginAs = users[0]
			}
			if !slices.Contains(users, next.LoginAs) {
				return fmt.Errorf("qbdsim: automatic login needs a Login as user of the company file (users: %s)", strings.Join(users, ", "))
			}
		} else {
			next.LoginAs = ""
		}
		*e = next
		out = next
		return s.saveAppsNotify(f, ia)
	})
	return out, err
}

// Users returns a company file's QuickBooks users, Admin first.
func (s *Simulator) Users(file string) ([]string, error) {
	var out []string
	err := s.withFile(file, false, func(f *companyfile.File) error {
		out = f.Users()
		return nil
	})
	return out, err
}
