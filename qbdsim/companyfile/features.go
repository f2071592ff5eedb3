package companyfile

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Feature is a QuickBooks feature that a company file may have switched
// off: its edition lacks it (assemblies and per-item price levels are
// Premier and above, sites are Enterprise's Advanced Inventory), it needs
// a subscription (payroll) or a preference (multicurrency). A request that
// needs a feature the company lacks answers status 3250, "This feature is
// not enabled or not available in this version of QuickBooks." (Intuit's
// status code table, code 3250).
type Feature string

// The features a company file can switch on. A new company has none.
const (
	FeaturePayroll       Feature = "payroll"
	FeatureSites         Feature = "sites"
	FeatureAssemblies    Feature = "assemblies"
	FeatureMultiCurrency Feature = "multicurrency"
	// FeaturePerItemPrices is the per-item price level: "The Per Item
	// price level is only available if you have QuickBooks Premier or
	// higher" (QuickBooks Desktop help, "Create or edit a price level",
	// support.quickbooks.intuit.com .../Price_Levels/task_create_pricelevel.html).
	// Without it a company has fixed-percentage levels only, as
	// QuickBooks Pro.
	FeaturePerItemPrices Feature = "peritemprices"
)

// Features lists every feature, in a stable order.
func Features() []Feature {
	return []Feature{FeatureAssemblies, FeatureMultiCurrency, FeaturePayroll, FeaturePerItemPrices, FeatureSites}
}

func (ft Feature) valid() bool {
	for _, x := range Features() {
		if x == ft {
			return true
		}
	}
	return false
}

const stFeatureOff = 3250

// SetFeature switches a feature on or off for the company file.
func (f *File) SetFeature(ft Feature, on bool) error {
	if !ft.valid() {
		return fmt.Errorf("companyfile: unknown feature %q (want one of %v)", ft, Features())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	v := ""
	if on {
		v = "on"
	}
	return putMetaTx(context.Background(), f.db, "feature."+string(ft), v)
}

// EnabledFeatures returns the features switched on, sorted.
func (f *File) EnabledFeatures() ([]Feature, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	var out []Feature
	for _, ft := range Features() {
		on, err := f.hasFeature(context.Background(), ft)
		if err != nil {
			return nil, err
		}
		if on {
			out = append(out, ft)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (f *File) hasFeature(ctx context.Context, ft Feature) (bool, error) {
	v, err := getMetaTx(ctx, f.db, "feature."+string(ft))
	return v == "on", err
}

// requireFeature answers 3250 when the company lacks ft.
func (f *File) requireFeature(ctx context.Context, ft Feature) error {
	if ft == "" {
		return nil
	}
	on, err := f.hasFeature(ctx, ft)
	if err != nil {
		return err
	}
	if !on {
		return qbErr(stFeatureOff, "This feature is not enabled or not available in this version of QuickBooks.")
	}
	return nil
}

// requestFeature returns the feature a request needs, or "".
func (f *File) requestFeature(rq *request) Feature {
	switch rq.name {
	case "ItemSitesQueryRq":
		return FeatureSites
	case "ItemAssembliesCanBuildQueryRq":
		return FeatureAssemblies
	case "PayrollLastPeriodQueryRq", "PayrollSummaryReportQueryRq", "PayrollDetailReportQueryRq":
		return FeaturePayroll
	case "ItemInventoryAssemblyAddRq", "ItemInventoryAssemblyModRq":
		// Querying assemblies works in every edition (there are none);
		// creating one needs an edition with assemblies.
		return FeatureAssemblies
	case "PriceLevelAddRq", "PriceLevelModRq":
		// Every edition has fixed-percentage levels. A level without a
		// PriceLevelFixedPercentage is a per-item one (the other branch
		// of PriceLevelAdd's choice), as is a Mod that lists items or a
		// currency.
		if perItemLevel(kid(rq.el, strings.TrimSuffix(rq.name, "Rq"))) {
			return FeaturePerItemPrices
		}
		return ""
	case "ListDelRq", "TxnDelRq", "TxnVoidRq":
		for _, el := range []string{"ListDelType", "TxnDelType", "TxnVoidType"} {
			if t, ok := f.reg().byName[textAt(rq.el, el)]; ok {
				return t.Feature
			}
		}
		return ""
	}
	if t, ok := f.reg().byName[rq.subject]; ok {
		return t.Feature
	}
	return ""
}

// perItemLevel reports whether the PriceLevelAdd or PriceLevelMod src
// makes a per-item price level.
func perItemLevel(src *qbxml.Node) bool {
	if src == nil {
		return false
	}
	if src.Name == "PriceLevelAdd" {
		return !hasKid(src, "PriceLevelFixedPercentage")
	}
	return hasKid(src, "PriceLevelPerItem") || hasKid(src, "CurrencyRef")
}
