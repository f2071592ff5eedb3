package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// newCompanyCmd returns `qbdsim company`, which creates and inspects
// simulator company files.
func newCompanyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "company",
		Short: "Create and inspect simulator company files",
	}
	cmd.AddCommand(newCompanyCreateCmd(), newCompanyInfoCmd())
	return cmd
}

func newCompanyCreateCmd() *cobra.Command {
	var (
		opt       companyfile.GenerateOptions
		name      string
		end       string
		force     bool
		quiet     bool
		transacts int
		features  = map[companyfile.Feature]*bool{}
	)
	cmd := &cobra.Command{
		Use:   "create FILE",
		Short: "Create a company file, optionally filled with a realistic generated company",
		Long: `Create a new company file with the standard accounts, terms, payment methods and
sales tax codes of a new QuickBooks company, then add a realistic company generated
from --seed: customers (with jobs), vendors, employees, items and transactions spread
over --years years. The same seed and counts always give the same company.

--transactions N spreads N transactions over the usual mix (invoices, payments,
bills, bill payments, sales receipts, checks, ...) and fills in list sizes that fit,
unless they are given explicitly. It prints the object counts and the file's size
at the end; --quiet prints nothing but errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if name == "" {
				base := filepath.Base(path)
				name = strings.TrimSuffix(base, filepath.Ext(base))
			}
			if end != "" {
				t, err := time.ParseInLocation("2006-01-02", end, time.Local)
				if err != nil {
					return fmt.Errorf("--end: %w", err)
				}
				opt.End = t.Add(17 * time.Hour)
			}
			if transacts > 0 {
				spread(&opt, transacts, cmd)
			}
			if err := checkGenerate(opt); err != nil {
				return err
			}
			if force {
				if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
				os.Remove(path + "-wal")
				os.Remove(path + "-shm")
			}
			var on []companyfile.Feature
			for _, ft := range companyfile.Features() {
				if *features[ft] {
					on = append(on, ft)
				}
			}
			return createCompany(cmd, path, name, opt, on, quiet)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "company name (default: the file name without extension)")
	f.Uint64Var(&opt.Seed, "seed", 1, "random seed; the same seed gives the same company")
	f.IntVar(&opt.Years, "years", 3, "years of history before --end")
	f.StringVar(&end, "end", "", "date of the newest transaction, YYYY-MM-DD (default today)")
	f.IntVar(&transacts, "transactions", 0, "total transactions, spread over the usual mix (explicit counts win)")
	f.IntVar(&opt.Customers, "customers", 0, "customers")
	f.IntVar(&opt.Jobs, "jobs", 0, "jobs (sub-customers)")
	f.IntVar(&opt.Vendors, "vendors", 0, "vendors")
	f.IntVar(&opt.Employees, "employees", 0, "employees")
	f.IntVar(&opt.Items, "items", 0, "items (service and non-inventory)")
	f.IntVar(&opt.Classes, "classes", 0, "classes")
	f.IntVar(&opt.Invoices, "invoices", 0, "invoices")
	f.IntVar(&opt.Payments, "payments", 0, "customer payments, each applied to an invoice")
	f.IntVar(&opt.SalesReceipts, "sales-receipts", 0, "sales receipts")
	f.IntVar(&opt.CreditMemos, "credit-memos", 0, "credit memos")
	f.IntVar(&opt.Estimates, "estimates", 0, "estimates")
	f.IntVar(&opt.SalesOrders, "sales-orders", 0, "sales orders")
	f.IntVar(&opt.Bills, "bills", 0, "bills")
	f.IntVar(&opt.BillPayments, "bill-payments", 0, "bill payments by check, each paying a bill")
	f.IntVar(&opt.PurchaseOrders, "purchase-orders", 0, "purchase orders")
	f.IntVar(&opt.Checks, "checks", 0, "checks")
	f.IntVar(&opt.CreditCardCharges, "credit-card-charges", 0, "credit card charges")
	f.IntVar(&opt.Deposits, "deposits", 0, "deposits")
	f.IntVar(&opt.JournalEntries, "journal-entries", 0, "journal entries")
	f.IntVar(&opt.InventoryItems, "inventory-items", 0, "inventory parts, each with an opening quantity on hand (invoices, sales receipts, bills and item receipts then move it)")
	f.IntVar(&opt.ItemReceipts, "item-receipts", 0, "item receipts buying inventory parts")
	f.IntVar(&opt.InventoryAdjustments, "inventory-adjustments", 0, "inventory adjustments counting inventory parts")
	f.IntVar(&opt.OtherNames, "other-names", 0, "other names")
	f.IntVar(&opt.SalesReps, "sales-reps", 0, "sales reps (of the employees)")
	f.IntVar(&opt.PriceLevels, "price-levels", 0, "price levels")
	f.IntVar(&opt.VendorCredits, "vendor-credits", 0, "vendor credits")
	f.IntVar(&opt.CreditCardCredits, "credit-card-credits", 0, "credit card credits")
	f.IntVar(&opt.Charges, "charges", 0, "statement charges")
	f.IntVar(&opt.TimeTracking, "time-tracking", 0, "employees' time entries")
	f.IntVar(&opt.Transfers, "transfers", 0, "transfers from checking to savings")
	for ft, usage := range map[companyfile.Feature]string{
		companyfile.FeaturePayroll:       "subscribe to payroll (payroll items, workers' comp codes, last payroll period)",
		companyfile.FeatureSites:         "switch on Advanced Inventory's multiple sites (inventory sites, item sites, transfers)",
		companyfile.FeatureAssemblies:    "use an edition with inventory assemblies (assembly items, builds)",
		companyfile.FeatureMultiCurrency: "switch on multicurrency (the currency list)",
		companyfile.FeaturePerItemPrices: "use an edition with per-item price levels (Premier and above; Pro has fixed-percentage levels only)",
	} {
		features[ft] = f.Bool(string(ft), false, usage+"; without it QuickBooks answers status 3250")
	}
	f.BoolVar(&force, "force", false, "replace FILE if it exists")
	f.BoolVar(&quiet, "quiet", false, "print nothing but errors: no progress bar, no counts")
	return cmd
}

// spread distributes n transactions over the usual mix, keeping counts the
// user set explicitly, and sizes the lists to fit.
func spread(opt *companyfile.GenerateOptions, n int, cmd *cobra.Command) {
	set := func(flag string, dst *int, share float64) {
		if !cmd.Flags().Changed(flag) {
			*dst = int(float64(n) * share)
		}
	}
	set("invoices", &opt.Invoices, 0.30)
	set("payments", &opt.Payments, 0.22)
	set("sales-receipts", &opt.SalesReceipts, 0.06)
	set("credit-memos", &opt.CreditMemos, 0.02)
	set("estimates", &opt.Estimates, 0.03)
	set("sales-orders", &opt.SalesOrders, 0.02)
	set("bills", &opt.Bills, 0.14)
	set("bill-payments", &opt.BillPayments, 0.10)
	set("purchase-orders", &opt.PurchaseOrders, 0.02)
	set("checks", &opt.Checks, 0.04)
	set("credit-card-charges", &opt.CreditCardCharges, 0.03)
	set("deposits", &opt.Deposits, 0.01)
	// Whatever rounding left goes to journal entries.
	if !cmd.Flags().Changed("journal-entries") {
		opt.JournalEntries = max(n-opt.Transactions(), 0)
	}
	list := func(flag string, dst *int, v int) {
		if !cmd.Flags().Changed(flag) {
			*dst = v
		}
	}
	list("customers", &opt.Customers, clamp(n/40, 20, 50000))
	list("jobs", &opt.Jobs, clamp(n/400, 5, 10000))
	list("vendors", &opt.Vendors, clamp(n/200, 10, 10000))
	list("employees", &opt.Employees, clamp(n/5000, 3, 500))
	list("items", &opt.Items, clamp(n/500, 15, 5000))
	list("classes", &opt.Classes, 6)
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

func checkGenerate(opt companyfile.GenerateOptions) error {
	if opt.Payments > 0 && opt.Invoices == 0 {
		return errors.New("--payments needs --invoices")
	}
	if opt.BillPayments > 0 && opt.Bills == 0 {
		return errors.New("--bill-payments needs --bills")
	}
	return nil
}

func createCompany(cmd *cobra.Command, path, name string, opt companyfile.GenerateOptions, features []companyfile.Feature, quiet bool) error {
	out := cmd.OutOrStdout()
	started := time.Now()
	f, err := companyfile.Create(path, name, companyfile.Options{})
	if err != nil {
		return err
	}
	for _, ft := range features {
		if err := f.SetFeature(ft, true); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
	}
	var bar *progressbar.ProgressBar
	if total := opt.Total(); total > 0 && !quiet {
		bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionSetDescription("generating"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("objects"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
		opt.Progress = func(done, _ int) { bar.Set(done) }
	}
	if opt.Total() > 0 {
		err = f.Generate(cmd.Context(), opt)
		if bar != nil {
			bar.Finish()
		}
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if quiet {
		return f.Close()
	}
	if err := printSummary(cmd, out, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	size := int64(0)
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			size += st.Size()
		}
	}
	fmt.Fprintf(out, "created %s (%q) in %s, %s\n", path, name, time.Since(started).Round(time.Millisecond), humanBytes(size))
	return nil
}

func printSummary(cmd *cobra.Command, out io.Writer, f *companyfile.File) error {
	counts := map[string]int{}
	var names []string
	for _, t := range f.Types() {
		n, err := f.Count(cmd.Context(), t)
		if err != nil {
			return err
		}
		if n > 0 {
			counts[t] = n
			names = append(names, t)
		}
	}
	for _, t := range names {
		fmt.Fprintf(out, "  %-22s %9d\n", t, counts[t])
	}
	return nil
}

// companyInfo is what "company info" shows.
type companyInfo struct {
	File        string         `json:"file"`
	CompanyName string         `json:"companyName"`
	Users       []string       `json:"users"`
	Counts      map[string]int `json:"counts"` // by object type; types without objects left out
	// Features are the QuickBooks features switched on (payroll, sites, ...).
	Features []string `json:"features"`
}

func newCompanyInfoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "info FILE",
		Short: "Show a company file's name and object counts",
		Args:  cobra.ExactArgs(1),
	}
	format := cliout.AddFormat(cmd, cliout.Text)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		f, err := companyfile.Open(args[0], companyfile.Options{})
		if err != nil {
			return err
		}
		defer f.Close()
		fts, err := f.EnabledFeatures()
		if err != nil {
			return err
		}
		features := []string{}
		for _, ft := range fts {
			features = append(features, string(ft))
		}
		if *format == cliout.Text {
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %q, users %s\n", args[0], f.CompanyName(), strings.Join(f.Users(), ", "))
			shown := "none"
			if len(features) > 0 {
				shown = strings.Join(features, ", ")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "features: %s\n", shown)
			return printSummary(cmd, cmd.OutOrStdout(), f)
		}
		info := companyInfo{File: args[0], CompanyName: f.CompanyName(), Users: f.Users(), Counts: map[string]int{}, Features: features}
		for _, t := range f.Types() {
			n, err := f.Count(cmd.Context(), t)
			if err != nil {
				return err
			}
			if n > 0 {
				info.Counts[t] = n
			}
		}
		return cliout.Show(cmd.OutOrStdout(), *format, info, nil)
	}
	return cmd
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
