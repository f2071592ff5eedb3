// Package demo is `qbconnect demo`: the platform, the QuickBooks simulator
// with a generated sample company, and a connector signed with a demo
// certificate that the simulator trusts, all in one process on loopback
// ports. It links them, answers QuickBooks' authorization dialog as the
// administrator would ("Yes, always"), runs the first sync with a progress
// display, and prints where everything is. It can also play one of the
// certificate-rotation scenarios (package scenario) with narration.
//
// Only cmd/qbconnect imports it; it wires every part by hand, like
// internal/testenv.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/internal/scenario"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/server"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
)

// Config configures a demo. Every field has the default its comment names.
type Config struct {
	// Dir holds everything the demo creates; "" means a new temporary
	// folder, removed when the demo ends.
	Dir string
	// Out receives the narration, progress and results; nil means
	// os.Stdout.
	Out io.Writer
	// Logger receives the parts' logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Seed makes the sample company; 0 means 7. Customers and Transactions
	// size it; 0 means 300 and 3000.
	Seed                    uint64
	Customers, Transactions int
	// ExitAfterSync ends the demo after the first sync (and the scenario,
	// if any) once it printed the record counts and checked them against
	// the simulator's. Without it the demo runs until ctx is done.
	ExitAfterSync bool
	// Scenario, when set, names a scenario to play after the first sync;
	// the demo then goes on running unless ExitAfterSync.
	Scenario string
	// Program is the executable signed as the connector; "" means the
	// running one.
	Program string
}

// RunningLine is what the demo prints once everything it was asked to do is
// done and it keeps running; scripts wait for it before they interrupt.
const RunningLine = "The demo runs until you press Ctrl+C."

// plan says, before any work starts, what the demo will do and whether it
// will end by itself: a scenario alone does not end it.
func (cfg Config) plan() string {
	what := "the first sync"
	if cfg.Scenario != "" {
		what += " and the scenario " + cfg.Scenario
	}
	if cfg.ExitAfterSync {
		return "It exits after " + what + " (--exit-after-sync)."
	}
	return "After " + what + " it keeps running until you press Ctrl+C (--exit-after-sync exits instead)."
}

// Company files of the demo.
const (
	acmeFile  = "acme.qbw"
	acmeName  = "Acme Plumbing"
	otherFile = "other.qbw"
	otherName = "Other Company"
)

// Demo is a running demo. Start it with Start, stop it with Close.
type Demo struct {
	cfg Config
	out io.Writer
	log *slog.Logger
	dir string
	tmp bool

	ca          *demoCA
	certA       *sign.Signer
	certB       *sign.Signer
	program     string
	simCounts   map[string]int // objects per qbXML object type, as generated
	sim         *qbdsim.Simulator
	simSrv      *http.Server
	simURL      string
	simCtl      *server.Client
	plat        *platform.Main
	apiKey      string
	orgID       string
	company     *qbconnect.Company
	conn        *qbconnect.Connection
	agentCancel context.CancelFunc
	agentDone   chan error
	uiMu        sync.Mutex
	uiURL       string
	agentDir    string
	signer      *sign.Signer // the connector's current certificate
	// version is the connector's version: "demo", until the handover
	// scenario installs its release 2.0.0.
	version string
}

// Run runs a demo: Start, then the scenario if one is asked for, then it
// waits for ctx unless ExitAfterSync.
func Run(ctx context.Context, cfg Config) error {
	d, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.ExitAfterSync {
		if err := d.CheckCounts(ctx); err != nil {
			return err
		}
	}
	if cfg.Scenario != "" {
		if err := d.Play(ctx, cfg.Scenario); err != nil {
			return err
		}
	}
	if cfg.ExitAfterSync {
		d.say("\nDone: --exit-after-sync stops the demo here.")
		return nil
	}
	fmt.Fprintln(d.out, "\n"+RunningLine)
	<-ctx.Done()
	fmt.Fprintln(d.out, "\nStopping.")
	return nil
}

// Start creates the certificates and the sample company, starts the
// simulator, the platform and the connector, links them, runs the first
// sync and prints where everything is.
func Start(ctx context.Context, cfg Config) (_ *Demo, err error) {
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	if cfg.Customers == 0 {
		cfg.Customers = 300
	}
	if cfg.Transactions == 0 {
		cfg.Transactions = 3000
	}
	if cfg.Customers < 0 || cfg.Transactions < 0 {
		return nil, errors.New("demo: customers and transactions must not be negative")
	}
	if cfg.Scenario != "" && cfg.Scenario != HandoverScenario {
		if _, err := scenario.Find(cfg.Scenario); err != nil {
			return nil, fmt.Errorf("%w (or %s)", err, HandoverScenario)
		}
	}
	d := &Demo{cfg: cfg, out: cfg.Out, log: cfg.Logger, dir: cfg.Dir, version: "demo"}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.dir == "" {
		if d.dir, err = os.MkdirTemp("", "qbconnect-demo-"); err != nil {
			return nil, err
		}
		d.tmp = true
	} else if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return nil, err
	}
	started := cfg.Now()
	d.say("qbconnect demo in %s", d.dir)
	d.say("%s", cfg.plan())
	if err := d.makeCertificates(ctx); err != nil {
		return nil, err
	}
	if err := d.makeCompanies(ctx); err != nil {
		return nil, err
	}
	if err := d.startSimulator(ctx); err != nil {
		return nil, err
	}
	if err := d.startPlatform(ctx); err != nil {
		return nil, err
	}
	if err := d.linkConnector(ctx); err != nil {
		return nil, err
	}
	if err := d.startAgent(ctx); err != nil {
		return nil, err
	}
	if err := d.firstSync(ctx); err != nil {
		return nil, err
	}
	d.say("Ready in %s.", cfg.Now().Sub(started).Round(100*time.Millisecond))
	d.printSummary()
	return d, nil
}

func (d *Demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

// makeCertificates creates the demo CA and certificates A (the current
// one) and B (its successor), and signs a copy of the program with A.
func (d *Demo) makeCertificates(ctx context.Context) error {
	dir := filepath.Join(d.dir, "connector")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var err error
	if d.ca, err = newDemoCA(dir, rand.Reader, d.cfg.Now); err != nil {
		return err
	}
	now := d.cfg.Now()
	// A expires soon, as in the notice; B takes over.
	if d.certA, err = d.ca.signer("qbconnect Demo Code Signing", 2, now.Add(-330*24*time.Hour), 360*24*time.Hour); err != nil {
		return err
	}
	if d.certB, err = d.ca.signer("qbconnect Demo Code Signing", 3, now.Add(-time.Hour), 365*24*time.Hour); err != nil {
		return err
	}
	src := d.cfg.Program
	if src == "" {
		if src, err = os.Executable(); err != nil {
			return fmt.Errorf("demo: the program to sign: %w", err)
		}
	}
	d.program = filepath.Join(dir, "qbconnector")
	if err := copyFile(src, d.program); err != nil {
		return fmt.Errorf("demo: installing the connector: %w", err)
	}
	if err := d.sign(ctx, d.certA); err != nil {
		return err
	}
	d.say("Signed the connector with the demo certificate A (expires %s, SHA-1 %s…).",
		d.certA.Certificate.NotAfter.Format("2 Jan 2006"), signing.Thumbprint(d.certA.Certificate)[:12])
	return nil
}

// sign signs the installed connector with s (a detached signature beside
// it), replacing any earlier signature.
func (d *Demo) sign(ctx context.Context, s *sign.Signer) error {
	if err := s.SignDetached(ctx, d.program, d.program+".p7s"); err != nil {
		return fmt.Errorf("demo: signing the connector: %w", err)
	}
	d.signer = s
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// makeCompanies generates the sample company and a small second one, and
// counts what the first holds.
func (d *Demo) makeCompanies(ctx context.Context) error {
	dir := filepath.Join(d.dir, "companies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	n, c := d.cfg.Transactions, d.cfg.Customers
	opt := SampleCompany(d.cfg.Seed, c, n)
	fmt.Fprintf(d.out, "Generating the sample company %q: %d customers, %d transactions… ", acmeName, c, n)
	started := time.Now()
	counts, err := generate(ctx, filepath.Join(dir, acmeFile), acmeName, opt)
	if err != nil {
		return err
	}
	d.simCounts = counts
	fmt.Fprintf(d.out, "done in %s.\n", time.Since(started).Round(10*time.Millisecond))
	_, err = generate(ctx, filepath.Join(dir, otherFile), otherName, companyfile.GenerateOptions{Seed: d.cfg.Seed + 1, Customers: 12, Vendors: 5, Items: 10, Invoices: 40})
	return err
}

// SampleCompany returns what the demo generates for its sample company
// from a seed, a number of customers and a number of transactions; tests
// that need the demo's company (its mix of sales, purchases, payments and
// journal entries) at another size use it too. Besides the common sales and
// purchases it holds a few of each kind QuickBooks users commonly have:
// inventory parts received, sold and counted, vendor and card credits,
// statement charges, time tracking, transfers, other names, sales reps and
// price levels.
func SampleCompany(seed uint64, customers, transactions int) companyfile.GenerateOptions {
	n, c := transactions, customers
	opt := companyfile.GenerateOptions{
		Seed: seed, Customers: c, Jobs: c / 10, Vendors: max(c/6, 5), Employees: 8, Items: 60, Classes: 6,
		InventoryItems: 12, OtherNames: 4, SalesReps: 3, PriceLevels: 3,
		Invoices: n * 27 / 100, Payments: n * 20 / 100, SalesReceipts: n * 6 / 100, CreditMemos: n * 2 / 100,
		Estimates: n * 3 / 100, SalesOrders: n * 2 / 100, Bills: n * 12 / 100, BillPayments: n * 9 / 100,
		PurchaseOrders: n * 2 / 100, Checks: n * 4 / 100, CreditCardCharges: n * 3 / 100, Deposits: n / 100,
		ItemReceipts: n * 15 / 1000, InventoryAdjustments: n / 200, VendorCredits: n / 200, CreditCardCredits: n / 400,
		Charges: n / 100, TimeTracking: n * 2 / 100, Transfers: n / 400,
	}
	opt.JournalEntries = max(n-opt.Transactions(), 0)
	if opt.Invoices == 0 {
		opt.Payments = 0
	}
	if opt.Bills == 0 {
		opt.BillPayments = 0
	}
	return opt
}

// generate creates a company file and returns its object counts by type.
func generate(ctx context.Context, path, name string, opt companyfile.GenerateOptions) (map[string]int, error) {
	f, err := companyfile.Create(path, name, companyfile.Options{})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Generate(ctx, opt); err != nil {
		return nil, fmt.Errorf("generating %s: %w", name, err)
	}
	counts := map[string]int{}
	for _, t := range f.Types() {
		n, err := f.Count(ctx, t)
		if err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, f.Close()
}

// startSimulator starts QuickBooks (the simulator) with the sample company
// open, trusting the demo CA.
func (d *Demo) startSimulator(ctx context.Context) error {
	sim, err := qbdsim.New(qbdsim.Options{Dir: filepath.Join(d.dir, "companies"), Logger: d.log, Now: d.cfg.Now,
		Verifier: &signing.Verifier{Roots: d.ca.pool(), Logger: d.log}})
	if err != nil {
		return err
	}
	d.sim = sim
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.simURL = "http://" + ln.Addr().String()
	d.simSrv = &http.Server{Handler: server.New(sim, d.log), ReadHeaderTimeout: 10 * time.Second}
	go d.simSrv.Serve(ln)
	if d.simCtl, err = server.NewClient(d.simURL, nil); err != nil {
		return err
	}
	if err := sim.StartQuickBooks(); err != nil {
		return err
	}
	if err := sim.OpenFile(acmeFile, qbd.FileModeSingleUser, "Admin"); err != nil {
		return err
	}
	d.say("QuickBooks (simulated) is running with %q open.", acmeName)
	return nil
}

// startPlatform starts the platform on embedded SQLite with a demo client
// organisation, its API key, and the company to link.
func (d *Demo) startPlatform(ctx context.Context) error {
	d.plat = platform.New(platform.Config{
		DB: "sqlite:" + filepath.Join(d.dir, "qbconnect.db"), Addr: "127.0.0.1:0", Logger: d.log, Now: d.cfg.Now,
		SweepInterval: 2 * time.Second,
		// Webhook receivers of a demo run on this machine.
		Sync: platform.SyncConfig{AllowPrivateWebhooks: true},
		// Releases are signed by the demo CA; campaigns follow quickly.
		Release: platform.ReleaseConfig{Verifier: &signing.Verifier{Roots: d.ca.pool(), Logger: d.log}, Interval: time.Second},
	})
	if err := d.plat.Run(ctx); err != nil {
		return fmt.Errorf("platform: %w", err)
	}
	org, err := d.plat.Orgs.CreateOrg(ctx, "Demo Lender")
	if err != nil {
		return err
	}
	d.orgID = org.ID
	if _, d.apiKey, err = d.plat.Orgs.CreateAPIKey(ctx, org.ID, "demo"); err != nil {
		return err
	}
	d.company = &qbconnect.Company{OrgID: org.ID, Name: acmeName}
	if err := d.plat.Companies.CreateCompany(ctx, d.company); err != nil {
		return err
	}
	d.conn = &qbconnect.Connection{OrgID: org.ID, CompanyID: d.company.ID, Kind: qbconnect.KindConnector, Status: qbconnect.StatusPendingAuth}
	if err := d.plat.Connections.CreateConnection(ctx, d.conn); err != nil {
		return err
	}
	d.say("The platform serves on %s (SQLite in %s).", d.plat.URL(), filepath.Join(d.dir, "qbconnect.db"))
	return nil
}

// identity is the connector's identity as it reads it from its signed
// executable.
func (d *Demo) identity(ctx context.Context) connector.Identity {
	return connector.LoadIdentity(ctx, d.version, d.program, &signing.Verifier{Roots: d.ca.pool()})
}

func (d *Demo) processor() (qbd.RequestProcessor, error) {
	return simclient.New(d.simURL, simclient.Options{})
}

// linkConnector links the open company file to the platform's company
// with a link code, answering QuickBooks' authorization dialog as its
// administrator.
func (d *Demo) linkConnector(ctx context.Context) error {
	d.agentDir = filepath.Join(d.dir, "connector", "data")
	lf, err := d.link(ctx, d.agentDir, d.conn, func(ctx context.Context) error {
		return d.approve(ctx, acmeFile)
	})
	if err != nil {
		return err
	}
	d.say("Linked %q (%s) to the platform's company %s.", lf.File.CompanyName, lf.File.Path, d.company.ID)
	return nil
}

// link runs the connector's link with a new link code for conn, in the
// data folder dir, while approve answers QuickBooks.
func (d *Demo) link(ctx context.Context, dir string, conn *qbconnect.Connection, approve func(context.Context) error) (*connector.LinkedFile, error) {
	code, err := d.plat.Connections.CreateLinkCode(ctx, d.orgID, conn.ID, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	st := &connector.Store{Dir: dir}
	if err := st.Init(); err != nil {
		return nil, err
	}
	cfg, err := st.Load()
	if err != nil {
		return nil, err
	}
	cfg.QBDSim = d.simURL
	if err := st.Save(cfg); err != nil {
		return nil, err
	}
	id := d.identity(ctx)
	qb, err := connector.NewQuickBooks(connector.QuickBooksOptionsFor(cfg, id, d.processor, 2*time.Minute, d.log))
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	answered := make(chan error, 1)
	go func() {
		err := approve(lctx)
		if err != nil {
			cancel() // nobody will answer QuickBooks: stop waiting
		}
		answered <- err
	}()
	l := &connector.Linker{Config: cfg, QuickBooks: qb, Identity: id, Now: d.cfg.Now,
		Gateway: func(platform, cred string) (gateway.Service, error) {
			return gatewayclient.New(platform, gatewayclient.Options{Credential: cred, UserAgent: "qbconnector/demo"})
		}}
	d.say("Linking with link code %s; QuickBooks asks its administrator…", code.Code)
	lf, err := l.Link(lctx, connector.LinkRequest{Platform: d.plat.URL(), Code: code.Code})
	cancel()
	if aerr := <-answered; aerr != nil && !errors.Is(aerr, context.Canceled) {
		err = aerr
	}
	if err != nil {
		return nil, fmt.Errorf("demo: linking: %w", err)
	}
	return lf, st.Save(cfg)
}

// approve waits for QuickBooks' authorization dialog and answers it as the
// administrator: "Yes, always", then Done.
func (d *Demo) approve(ctx context.Context, file string) error {
	dlg, err := d.sim.WaitDialog(ctx)
	if err != nil {
		return err
	}
	if filepath.Base(dlg.CompanyFile) != file {
		return fmt.Errorf("demo: QuickBooks asks about %s, not %s", dlg.CompanyFile, file)
	}
	signer := "no certificate"
	if dlg.Certificate != nil {
		signer = dlg.Certificate.Subject
	}
	d.say("  QuickBooks: %q (signed by %s) asks to access %q. The administrator answers %q.",
		dlg.AppName, signer, dlg.CompanyName, qbdsim.ChoiceAlways.Label())
	_, err = d.sim.AnswerDialog(dlg.ID, qbdsim.Answer{Choice: qbdsim.ChoiceAlways}, true)
	return err
}

// startAgent runs the connector agent of the data folder in the
// background, signed as the program now is.
func (d *Demo) startAgent(ctx context.Context) error {
	st := &connector.Store{Dir: d.agentDir}
	cfg, err := st.Load()
	if err != nil {
		return err
	}
	ready := make(chan string, 1)
	a, err := connector.NewAgent(ctx, connector.Options{
		Store: st, Config: cfg, NewProcessor: d.processor, Identity: d.identity(ctx), Logger: d.log, Now: d.cfg.Now,
		UIAddr: "127.0.0.1:0", ProbeInterval: time.Second, Heartbeat: 5 * time.Second, IdleSession: 5 * time.Second,
		BeginTimeout: 2 * time.Second, BackoffMin: 100 * time.Millisecond, BackoffMax: 2 * time.Second,
		NewCandidateProcessor: d.candidateProcessor,
		OnUIReady:             func(u string) { ready <- u },
	})
	if err != nil {
		return err
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.agentCancel, d.agentDone = cancel, make(chan error, 1)
	go func() { d.agentDone <- a.Run(actx) }()
	select {
	case u := <-ready:
		d.uiMu.Lock()
		d.uiURL = u
		d.uiMu.Unlock()
	case err := <-d.agentDone:
		d.agentCancel = nil
		return fmt.Errorf("demo: the connector stopped: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// stopAgent stops the running connector agent.
func (d *Demo) stopAgent() error {
	if d.agentCancel == nil {
		return nil
	}
	d.agentCancel()
	d.agentCancel = nil
	err := <-d.agentDone
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// firstSync syncs every data type, showing progress per type.
func (d *Demo) firstSync(ctx context.Context) error {
	if _, err := d.plat.Sync.SyncNow(ctx, d.orgID, d.company.ID, qbconnect.SyncRequest{}); err != nil {
		return err
	}
	d.say("First sync:")
	shown := map[string]bool{}
	for {
		states, err := d.plat.Sync.SyncStates(ctx, d.orgID, d.company.ID)
		if err != nil {
			return err
		}
		done, fetched := 0, 0
		for _, s := range states {
			fetched += s.Fetched
			switch s.Status {
			case qbconnect.SyncComplete:
				done++
				if !shown[s.DataType] {
					shown[s.DataType] = true
					if s.Fetched > 0 {
						d.say("  %-22s %6d records in %d page(s)", s.DataType, s.Fetched, s.Pages)
					}
				}
			case qbconnect.SyncFailed:
				msg := "unknown error"
				if s.Error != nil {
					msg = s.Error.Error()
				}
				return fmt.Errorf("demo: the sync of %s failed: %s", s.DataType, msg)
			}
		}
		if done == len(states) && len(states) > 0 {
			// Every type is synced, including those the sample company
			// does not use: say so, or the total reads as a mistake.
			empty := 0
			for _, s := range states {
				if s.Fetched == 0 {
					empty++
				}
			}
			d.say("  %d data types synced, %d records: %d types listed above hold them, the other %d are empty in this company.",
				len(states), fetched, len(states)-empty, empty)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // progress display refresh
		}
	}
}

// UIURL is the connector's local UI with its token.
func (d *Demo) UIURL() string {
	d.uiMu.Lock()
	defer d.uiMu.Unlock()
	return d.uiURL
}

func (d *Demo) printSummary() {
	base := d.plat.URL()
	c := d.company.ID
	d.say(`
REST API:        %s/v1   (OpenAPI: %s/v1/openapi.json)
Demo API key:    %s
Connector UI:    %s
Simulator UI:    %s   (QuickBooks' state and authorization dialogs)

Try:
  curl -s -H "Authorization: Bearer %s" "%s/v1/companies/%s/customers?limit=3"
  curl -s -H "Authorization: Bearer %s" -H "Content-Type: application/json" \
       -d '{"name":"Demo Customer"}' "%s/v1/companies/%s/customers?wait=30s"`,
		base, base, d.apiKey, d.UIURL(), d.simURL, d.apiKey, base, c, d.apiKey, base, c)
}

// Counts returns, per data type, the records the platform holds and the
// objects the simulator's company file holds.
func (d *Demo) Counts(ctx context.Context) (platform, simulator map[string]int, err error) {
	platform, simulator = map[string]int{}, map[string]int{}
	for _, dt := range d.plat.Sync.DataTypes() {
		n, err := d.plat.Records.CountRecords(ctx, d.company.ID, dt.Name)
		if err != nil {
			return nil, nil, err
		}
		platform[dt.Name] = n
		simulator[dt.Name] = d.simCounts[dt.Object]
	}
	return platform, simulator, nil
}

// CheckCounts prints the record counts per data type and fails unless they
// equal the simulator's.
func (d *Demo) CheckCounts(ctx context.Context) error {
	plat, sim, err := d.Counts(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(plat))
	for n := range plat {
		names = append(names, n)
	}
	sort.Strings(names)
	d.say("\nRecords per data type (platform / QuickBooks):")
	tw := tabwriter.NewWriter(d.out, 2, 4, 2, ' ', 0)
	var bad, empty []string
	totalPlat, totalSim := 0, 0
	for _, n := range names {
		if plat[n] == 0 && sim[n] == 0 {
			empty = append(empty, n)
			continue
		}
		mark := ""
		if plat[n] != sim[n] {
			mark = "MISMATCH"
			bad = append(bad, n)
		}
		totalPlat += plat[n]
		totalSim += sim[n]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", n, plat[n], sim[n], mark)
	}
	fmt.Fprintf(tw, "  total\t%d\t%d\t\n", totalPlat, totalSim)
	tw.Flush()
	if len(empty) > 0 {
		d.say("Empty in QuickBooks and on the platform (%d more data types): %s.", len(empty), strings.Join(empty, ", "))
	}
	if len(bad) > 0 {
		return fmt.Errorf("demo: the platform's records differ from QuickBooks' for %s", strings.Join(bad, ", "))
	}
	d.say("Every count equals QuickBooks'.")
	return nil
}

// Close stops the connector, the platform and the simulator, and removes
// the temporary folder.
func (d *Demo) Close() error {
	var errs []error
	errs = append(errs, d.stopAgent())
	if d.plat != nil {
		errs = append(errs, d.plat.Close())
	}
	if d.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, d.simSrv.Shutdown(ctx))
		cancel()
	}
	if d.sim != nil {
		errs = append(errs, d.sim.Close())
	}
	if d.tmp {
		errs = append(errs, os.RemoveAll(d.dir))
	}
	return errors.Join(errs...)
}
