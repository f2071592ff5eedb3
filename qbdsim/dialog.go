package qbdsim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
)

// DialogKind is which authorization window QuickBooks shows.
type DialogKind string

// Dialog kinds.
const (
	// DialogCertificate is the Application Certificate window, for an
	// application with a valid certificate.
	DialogCertificate DialogKind = "certificate"
	// DialogNoCertificate is the Application with No Certificate window, for
	// an unsigned application (or one whose signature QuickBooks cannot
	// verify).
	DialogNoCertificate DialogKind = "no-certificate"
	// DialogExpiredCertificate is the Expired Certificate window.
	DialogExpiredCertificate DialogKind = "expired-certificate"
)

// Title returns the window's title, as QuickBooks shows it.
func (k DialogKind) Title() string {
	switch k {
	case DialogNoCertificate:
		return "Application with No Certificate"
	case DialogExpiredCertificate:
		return "Expired Certificate"
	}
	return "Application Certificate"
}

// Stage is where a pending dialog is.
type Stage string

// Stages of an authorization dialog.
const (
	StageAuthorize Stage = "authorize" // the four choices are showing
	StageConfirm   Stage = "confirm"   // Access Confirmation with its Done button
	StageDone      Stage = "done"      // answered and closed
)

// Choice is the administrator's answer in an authorization window.
type Choice string

// The four choices.
const (
	ChoiceNo             Choice = "no"
	ChoicePromptEachTime Choice = "prompt-each-time" // "Yes, prompt each time"
	ChoiceWheneverOpen   Choice = "whenever-open"    // "Yes, whenever this QuickBooks company file is open"
	ChoiceAlways         Choice = "always"           // "Yes, always; allow access even if QuickBooks is not running"
)

// Choices are the four choices in the order QuickBooks shows them.
var Choices = []Choice{ChoiceNo, ChoicePromptEachTime, ChoiceWheneverOpen, ChoiceAlways}

// Label returns the choice's wording in the dialog.
func (c Choice) Label() string {
	switch c {
	case ChoiceNo:
		return "No"
	case ChoicePromptEachTime:
		return "Yes, prompt each time"
	case ChoiceWheneverOpen:
		return "Yes, whenever this QuickBooks company file is open"
	case ChoiceAlways:
		return "Yes, always; allow access even if QuickBooks is not running"
	}
	return string(c)
}

// ParseChoice parses a choice name; "deny" is accepted for "no".
func ParseChoice(s string) (Choice, error) {
	c := Choice(strings.ToLower(strings.TrimSpace(s)))
	if c == "deny" {
		c = ChoiceNo
	}
	if !slices.Contains(Choices, c) {
		return "", fmt.Errorf("qbdsim: unknown choice %q (want no, prompt-each-time, whenever-open or always)", s)
	}
	return c, nil
}

// Answer is what the administrator chose.
type Answer struct {
	Choice Choice `json:"choice"`
	// LoginAs is the user an "always" application logs in as; it may be
	// empty when the file has only the Admin user.
	LoginAs string `json:"loginAs,omitempty"`
	// PersonalData is the "Allow this application to access personal data
	// such as Social Security Numbers and customer credit card information"
	// checkbox.
	PersonalData bool `json:"personalData"`
}

// Dialog is an authorization window QuickBooks shows its administrator.
type Dialog struct {
	ID    string     `json:"id"`
	Kind  DialogKind `json:"kind"`
	Title string     `json:"title"`
	Stage Stage      `json:"stage"`
	// AppName is the name the application calls itself.
	AppName string `json:"appName"`
	AppID   string `json:"appID,omitempty"`
	// Certificate is the application's certificate (nil for no certificate).
	Certificate *Certificate `json:"certificate,omitempty"`
	// CompanyFile is the company file the access is for: QuickBooks' open
	// file, which may not be the one the application asked for.
	CompanyFile string   `json:"companyFile"`
	CompanyName string   `json:"companyName"`
	Users       []string `json:"users"` // for "Login as"
	// What the application asked for.
	ReadOnly           bool                 `json:"readOnly"`
	PersonalData       qbd.PersonalDataPref `json:"personalDataPref,omitempty"`
	UnattendedRequired bool                 `json:"unattendedRequired"`
	CreatedAt          time.Time            `json:"createdAt"`
	// Answer is set once the administrator chose (Stage confirm or done).
	Answer *Answer `json:"answer,omitempty"`
	// AnsweredBy says how it was answered: "api", "policy", "dismissed".
	AnsweredBy string    `json:"answeredBy,omitempty"`
	ClosedAt   time.Time `json:"closedAt,omitzero"`

	key    string        // application key
	conn   string        // the connection that raised it
	done   chan struct{} // closed when the dialog closes
	result error         // BeginSession's outcome once closed: nil means allowed
}

func (d *Dialog) snapshot() Dialog {
	c := *d
	c.Users = slices.Clone(d.Users)
	if d.Answer != nil {
		a := *d.Answer
		c.Answer = &a
	}
	c.done, c.result = nil, nil
	return c
}

// finish closes the dialog with BeginSession's outcome. The caller holds mu.
func (d *Dialog) finish(s *Simulator, result error) {
	if d.Stage == StageDone {
		return
	}
	if d.AnsweredBy == "" {
		d.AnsweredBy = "dismissed"
	}
	d.Stage, d.result, d.ClosedAt = StageDone, result, s.now()
	close(d.done)
	delete(s.dialogs, d.ID)
	s.answered = append(s.answered, d.snapshot())
	if len(s.answered) > maxHistory {
		s.answered = s.answered[len(s.answered)-maxHistory:]
	}
	s.notifyLocked()
}

// ErrNoSuchDialog is returned for a dialog ID that is not pending.
var ErrNoSuchDialog = errors.New("qbdsim: no such pending dialog")

// Dialogs returns the pending authorization dialogs, oldest first.
func (s *Simulator) Dialogs() []Dialog { return s.State().Dialogs }

// Dialog returns a pending dialog.
func (s *Simulator) Dialog(id string) (Dialog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dialogs[id]
	if !ok {
		return Dialog{}, fmt.Errorf("%w: %q", ErrNoSuchDialog, id)
	}
	return d.snapshot(), nil
}

// AnswerDialog answers the dialog's four choices (pressing Continue). "No"
// closes it; any "Yes" moves it to the Access Confirmation window, which
// ConfirmDialog (Done) closes. With done set, both happen at once.
func (s *Simulator) AnswerDialog(id string, a Answer, done bool) (Dialog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dialogs[id]
	if !ok {
		return Dialog{}, fmt.Errorf("%w: %q", ErrNoSuchDialog, id)
	}
	if err := s.answerLocked(d, a, "api"); err != nil {
		return Dialog{}, err
	}
	if done && d.Stage == StageConfirm {
		if err := s.confirmLocked(d); err != nil {
			return Dialog{}, err
		}
	}
	return d.snapshot(), nil
}

// ConfirmDialog presses Done on the Access Confirmation window: the grant is
// saved in the company file and the waiting application gets its session.
func (s *Simulator) ConfirmDialog(id string) (Dialog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dialogs[id]
	if !ok {
		return Dialog{}, fmt.Errorf("%w: %q", ErrNoSuchDialog, id)
	}
	if d.Stage != StageConfirm {
		return Dialog{}, errors.New("qbdsim: the dialog has not been answered yet; choose an option and Continue first")
	}
	if err := s.confirmLocked(d); err != nil {
		return Dialog{}, err
	}
	return d.snapshot(), nil
}

// answerLocked validates and records an answer. The caller holds mu.
func (s *Simulator) answerLocked(d *Dialog, a Answer, by string) error {
	if d.Stage != StageAuthorize {
		return errors.New("qbdsim: the dialog was already answered; press Done")
	}
	c, err := ParseChoice(string(a.Choice))
	if err != nil {
		return err
	}
	a.Choice = c
	if c == ChoiceNo {
		d.Answer, d.AnsweredBy = &Answer{Choice: ChoiceNo}, by
		s.log.Info("qbdsim: access denied", "dialog", d.ID, "app", d.AppName, "file", d.CompanyFile)
		d.finish(s, qbd.NewError(qbd.HRAccessDenied))
		return nil
	}
	if c == ChoiceAlways {
		if a.LoginAs == "" && len(d.Users) == 1 {
			a.LoginAs = d.Users[0]
		}
		if !slices.Contains(d.Users, a.LoginAs) {
			return fmt.Errorf("qbdsim: choose a Login as user of the company file (users: %s)", strings.Join(d.Users, ", "))
		}
	} else {
		a.LoginAs = ""
	}
	if a.PersonalData && d.PersonalData == qbd.PersonalDataNotNeeded {
		return errors.New("qbdsim: the application does not ask for personal data")
	}
	if !a.PersonalData && d.PersonalData == qbd.PersonalDataRequired {
		return errors.New("qbdsim: the application requires access to personal data; tick the personal data box or choose No")
	}
	d.Answer, d.AnsweredBy, d.Stage = &a, by, StageConfirm
	s.notifyLocked()
	return nil
}

// confirmLocked saves the grant and closes the dialog. The caller holds mu.
func (s *Simulator) confirmLocked(d *Dialog) error {
	o := s.open
	if o == nil || !sameFile(o.path, d.CompanyFile) {
		d.finish(s, qbd.NewError(qbd.HRCouldNotAccess))
		return errors.New("qbdsim: the company file of this dialog is no longer open")
	}
	ia, err := loadApps(o.f)
	if err != nil {
		return err
	}
	a := d.Answer
	e := ia.find(d.key)
	if e == nil {
		ia.Apps = append(ia.Apps, AppEntry{Key: d.key, Name: d.AppName, AppID: d.AppID, Certificate: d.Certificate, FirstAccess: s.now()})
		e = &ia.Apps[len(ia.Apps)-1]
	}
	e.ReadOnly = d.ReadOnly
	e.AllowAccess = true
	e.PromptEachTime = a.Choice == ChoicePromptEachTime
	e.AutoLogin = a.Choice == ChoiceAlways
	e.LoginAs = a.LoginAs
	e.PersonalData = a.PersonalData
	if d.Kind == DialogExpiredCertificate && a.Choice != ChoicePromptEachTime {
		e.AllowExpired = true
	}
	if err := saveApps(o.f, ia); err != nil {
		return err
	}
	o.grants[d.key] = true
	s.log.Info("qbdsim: access granted", "dialog", d.ID, "app", d.AppName, "file", d.CompanyFile, "choice", string(a.Choice), "loginAs", a.LoginAs)
	d.finish(s, nil)
	return nil
}

// PolicyMode is how the simulator answers authorization dialogs by itself.
type PolicyMode string

// Policy modes.
const (
	PolicyAsk            PolicyMode = "ask" // dialogs wait for an answer
	PolicyAlways         PolicyMode = "always"
	PolicyWheneverOpen   PolicyMode = "whenever-open"
	PolicyPromptEachTime PolicyMode = "prompt-each-time"
	PolicyDeny           PolicyMode = "deny"
)

// Policy answers every new authorization dialog at once (then presses Done),
// unless its Mode is PolicyAsk or empty.
type Policy struct {
	Mode         PolicyMode `json:"mode"`
	LoginAs      string     `json:"loginAs,omitempty"`
	PersonalData bool       `json:"personalData,omitempty"`
}

// ParsePolicy parses a policy mode name.
func ParsePolicy(s string) (Policy, error) {
	p := Policy{Mode: PolicyMode(s)}
	return p, p.Validate()
}

// Validate reports whether the mode is known.
func (p Policy) Validate() error {
	switch p.Mode {
	case "", PolicyAsk, PolicyAlways, PolicyWheneverOpen, PolicyPromptEachTime, PolicyDeny:
		return nil
	}
	return fmt.Errorf("qbdsim: unknown dialog policy %q (want ask, always, whenever-open, prompt-each-time or deny)", p.Mode)
}

// applyPolicyLocked answers d by the policy, if it is not PolicyAsk.
func (s *Simulator) applyPolicyLocked(d *Dialog) {
	var c Choice
	switch s.policy.Mode {
	case PolicyAlways:
		c = ChoiceAlways
	case PolicyWheneverOpen:
		c = ChoiceWheneverOpen
	case PolicyPromptEachTime:
		c = ChoicePromptEachTime
	case PolicyDeny:
		c = ChoiceNo
	default:
		return
	}
	a := Answer{Choice: c, LoginAs: s.policy.LoginAs, PersonalData: s.policy.PersonalData}
	if d.PersonalData == qbd.PersonalDataNotNeeded {
		a.PersonalData = false
	}
	if d.PersonalData == qbd.PersonalDataRequired {
		a.PersonalData = true
	}
	if c == ChoiceAlways && !slices.Contains(d.Users, a.LoginAs) {
		a.LoginAs = AdminUser
	}
	if d.Stage == StageAuthorize {
		if err := s.answerLocked(d, a, "policy"); err != nil {
			s.log.Error("qbdsim: policy could not answer the dialog", "dialog", d.ID, "err", err)
			return
		}
	}
	if d.Stage == StageConfirm {
		if err := s.confirmLocked(d); err != nil {
			s.log.Error("qbdsim: policy could not confirm the dialog", "dialog", d.ID, "err", err)
		}
	}
}
