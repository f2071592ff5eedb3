package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/server"
)

// SimOptions configure StartSim.
type SimOptions struct {
	// Files are the company files to create, by file name, with their
	// company names; nil means DefaultFiles.
	Files map[string]string
	// Transactions fills each file with a generated company of about this
	// many transactions (and lists to fit); 0 leaves the files with the
	// standard lists of a new company only.
	Transactions int
	// Roots is a PEM file of the roots the simulator trusts for program
	// signatures; "" means the system's roots.
	Roots string
	// Policy answers authorization dialogs: "ask" (the default: dialogs
	// wait for the test), "always", "deny", ...
	Policy string
}

// The company files of DefaultFiles.
const (
	AcmeFile  = "acme.qbw"
	AcmeName  = "Acme Plumbing"
	OtherFile = "other.qbw"
	OtherName = "Other Company"
)

// DefaultFiles is a business with two company files: the one a client
// links and another one its owner also keeps.
func DefaultFiles() map[string]string {
	return map[string]string{AcmeFile: AcmeName, OtherFile: OtherName}
}

// Sim is a running `qbdsim serve` and its control client.
type Sim struct {
	tb   testing.TB
	Proc *Proc
	// URL is the simulator's base URL (request processor, control API and
	// web UI).
	URL string
	// Dir holds the company files.
	Dir string
	*server.Client
}

// StartSim creates the company files and starts `qbdsim serve` on a free
// loopback port. QuickBooks is not running yet: call StartQuickBooks and
// Open.
func StartSim(tb testing.TB, bins *Binaries, opt SimOptions) *Sim {
	tb.Helper()
	if opt.Files == nil {
		opt.Files = DefaultFiles()
	}
	if opt.Policy == "" {
		opt.Policy = "ask"
	}
	s := &Sim{tb: tb, Dir: tb.TempDir()}
	for file, name := range opt.Files {
		args := []string{"company", "create", filepath.Join(s.Dir, file), "--name", name, "--quiet"}
		if opt.Transactions > 0 {
			args = append(args, "--transactions", fmt.Sprint(opt.Transactions))
		}
		Run(tb, bins.QBDSim, args...)
	}
	args := []string{"serve", "--dir", s.Dir, "--addr", "127.0.0.1:0", "--policy", opt.Policy}
	if opt.Roots != "" {
		args = append(args, "--roots", opt.Roots)
	}
	s.Proc, s.URL = Start(tb, bins.QBDSim, args, URLAfter("simulator on"))
	c, err := server.NewClient(s.URL, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s.Client = c
	return s
}

func (s *Sim) ctx() context.Context { return context.Background() }

func (s *Sim) check(what string, err error) {
	s.tb.Helper()
	if err != nil {
		s.tb.Fatalf("qbdsim %s: %v", what, err)
	}
}

// StartQB starts QuickBooks with no file open.
func (s *Sim) StartQB() {
	s.tb.Helper()
	_, err := s.StartQuickBooks(s.ctx())
	s.check("start", err)
}

// StopQB closes QuickBooks.
func (s *Sim) StopQB() {
	s.tb.Helper()
	_, err := s.StopQuickBooks(s.ctx())
	s.check("stop", err)
}

// Open opens file in QuickBooks as Admin in single-user mode, starting
// QuickBooks and closing another open file first, as a user would.
func (s *Sim) Open(file string) {
	s.tb.Helper()
	st, err := s.State(s.ctx())
	s.check("state", err)
	if !st.Running {
		s.StartQB()
	}
	if st.CompanyFile != nil {
		_, err := s.CloseFile(s.ctx())
		s.check("close file", err)
	}
	_, err = s.OpenFile(s.ctx(), server.OpenRequest{File: file, Mode: "single", User: "Admin"})
	s.check("open "+file, err)
}

// WaitDialog waits for an authorization dialog and returns it.
func (s *Sim) WaitDialog(timeout time.Duration) qbdsim.Dialog {
	s.tb.Helper()
	var d qbdsim.Dialog
	wait.For(s.tb, "QuickBooks' authorization dialog", timeout, func() (bool, string) {
		ds, err := s.Dialogs(s.ctx())
		if err != nil {
			return false, err.Error()
		}
		for _, x := range ds {
			if x.Stage == qbdsim.StageAuthorize {
				d = x
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d dialogs", len(ds))
	})
	return d
}

// Answer answers a dialog with choice as QuickBooks' administrator and
// presses Done on the confirmation.
func (s *Sim) Answer(d qbdsim.Dialog, choice qbdsim.Choice) qbdsim.Dialog {
	s.tb.Helper()
	got, err := s.Client.Answer(s.ctx(), d.ID, server.AnswerRequest{Answer: qbdsim.Answer{Choice: choice}, Done: true})
	s.check("answer "+d.ID, err)
	return got
}

// AppsOf returns the Integrated Applications entries of a company file.
func (s *Sim) AppsOf(file string) []qbdsim.AppEntry {
	s.tb.Helper()
	ia, err := s.Apps(s.ctx(), file)
	s.check("apps of "+file, err)
	return ia.Apps
}

// AppWith returns the entry of the application signed with thumbprint
// (SHA-1, any case) in file's Integrated Applications, or nil.
func (s *Sim) AppWith(file, thumbprint string) *qbdsim.AppEntry {
	s.tb.Helper()
	for _, a := range s.AppsOf(file) {
		if a.Certificate != nil && strings.EqualFold(a.Certificate.Thumbprint, thumbprint) {
			return &a
		}
	}
	return nil
}

// Remove removes an application entry from file's Integrated Applications,
// as the administrator does in Edit > Preferences > Integrated
// Applications.
func (s *Sim) Remove(file, key string) {
	s.tb.Helper()
	s.check("remove app", s.RemoveApp(s.ctx(), file, key))
}

// Query runs a qbXML request in file as the simulator's built-in
// application and returns the response.
func (s *Sim) Query(file, request string) string {
	s.tb.Helper()
	out, err := s.Exec(s.ctx(), file, []byte(request))
	s.check("exec", err)
	return string(out)
}

// CustomersNamed counts the customers called name in file.
func (s *Sim) CustomersNamed(file, name string) int {
	s.tb.Helper()
	resp := s.Query(file, `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>`+
		xmlText(name)+`</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>`)
	return strings.Count(resp, "<CustomerRet>")
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace(s)
}
