package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect"

	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// A data type given by name ("customers", "invoices", as in the API's
// paths) reaches the generated operation of its own (ListCustomers,
// ListInvoices) through this table. TestEveryDataTypeIsListed keeps it
// equal to the document's list operations.

// listFunc lists one page of a data type: the generated List... method,
// with its query parameters set by a request editor.
type listFunc func(c *sdk.Client, ctx context.Context, companyID string, editors ...sdk.RequestEditorFn) (*http.Response, error)

// listOf adapts a generated List... method, whose typed parameters differ
// by type, to listFunc; the query goes in with a request editor instead.
func listOf[P any](list func(*sdk.Client, context.Context, string, *P, ...sdk.RequestEditorFn) (*http.Response, error)) listFunc {
	return func(c *sdk.Client, ctx context.Context, companyID string, editors ...sdk.RequestEditorFn) (*http.Response, error) {
		return list(c, ctx, companyID, nil, editors...)
	}
}

var listByDataType = map[string]listFunc{
	"accounts":               listOf((*sdk.Client).ListAccounts),
	"arRefundCreditCards":    listOf((*sdk.Client).ListArRefundCreditCards),
	"billPaymentChecks":      listOf((*sdk.Client).ListBillPaymentChecks),
	"billPaymentCreditCards": listOf((*sdk.Client).ListBillPaymentCreditCards),
	"billingRates":           listOf((*sdk.Client).ListBillingRates),
	"bills":                  listOf((*sdk.Client).ListBills),
	"buildAssemblies":        listOf((*sdk.Client).ListBuildAssemblies),
	"charges":                listOf((*sdk.Client).ListCharges),
	"checks":                 listOf((*sdk.Client).ListChecks),
	"classes":                listOf((*sdk.Client).ListClasses),
	"creditCardCharges":      listOf((*sdk.Client).ListCreditCardCharges),
	"creditCardCredits":      listOf((*sdk.Client).ListCreditCardCredits),
	"creditMemos":            listOf((*sdk.Client).ListCreditMemos),
	"currencies":             listOf((*sdk.Client).ListCurrencies),
	"customerMessages":       listOf((*sdk.Client).ListCustomerMessages),
	"customerTypes":          listOf((*sdk.Client).ListCustomerTypes),
	"customers":              listOf((*sdk.Client).ListCustomers),
	"dateDrivenTerms":        listOf((*sdk.Client).ListDateDrivenTerms),
	"deposits":               listOf((*sdk.Client).ListDeposits),
	"discountItems":          listOf((*sdk.Client).ListDiscountItems),
	"employees":              listOf((*sdk.Client).ListEmployees),
	"estimates":              listOf((*sdk.Client).ListEstimates),
	"fixedAssetItems":        listOf((*sdk.Client).ListFixedAssetItems),
	"groupItems":             listOf((*sdk.Client).ListGroupItems),
	"inventoryAdjustments":   listOf((*sdk.Client).ListInventoryAdjustments),
	"inventoryAssemblyItems": listOf((*sdk.Client).ListInventoryAssemblyItems),
	"inventoryItems":         listOf((*sdk.Client).ListInventoryItems),
	"inventorySites":         listOf((*sdk.Client).ListInventorySites),
	"invoices":               listOf((*sdk.Client).ListInvoices),
	"itemReceipts":           listOf((*sdk.Client).ListItemReceipts),
	"jobTypes":               listOf((*sdk.Client).ListJobTypes),
	"journalEntries":         listOf((*sdk.Client).ListJournalEntries),
	"leads":                  listOf((*sdk.Client).ListLeads),
	"nonInventoryItems":      listOf((*sdk.Client).ListNonInventoryItems),
	"otherChargeItems":       listOf((*sdk.Client).ListOtherChargeItems),
	"otherNames":             listOf((*sdk.Client).ListOtherNames),
	"paymentItems":           listOf((*sdk.Client).ListPaymentItems),
	"paymentMethods":         listOf((*sdk.Client).ListPaymentMethods),
	"payrollNonWageItems":    listOf((*sdk.Client).ListPayrollNonWageItems),
	"payrollWageItems":       listOf((*sdk.Client).ListPayrollWageItems),
	"priceLevels":            listOf((*sdk.Client).ListPriceLevels),
	"purchaseOrders":         listOf((*sdk.Client).ListPurchaseOrders),
	"receivePayments":        listOf((*sdk.Client).ListReceivePayments),
	"salesOrders":            listOf((*sdk.Client).ListSalesOrders),
	"salesReceipts":          listOf((*sdk.Client).ListSalesReceipts),
	"salesReps":              listOf((*sdk.Client).ListSalesReps),
	"salesTaxCodes":          listOf((*sdk.Client).ListSalesTaxCodes),
	"salesTaxGroupItems":     listOf((*sdk.Client).ListSalesTaxGroupItems),
	"salesTaxItems":          listOf((*sdk.Client).ListSalesTaxItems),
	"salesTaxPaymentChecks":  listOf((*sdk.Client).ListSalesTaxPaymentChecks),
	"serviceItems":           listOf((*sdk.Client).ListServiceItems),
	"shipMethods":            listOf((*sdk.Client).ListShipMethods),
	"standardTerms":          listOf((*sdk.Client).ListStandardTerms),
	"subtotalItems":          listOf((*sdk.Client).ListSubtotalItems),
	"templates":              listOf((*sdk.Client).ListTemplates),
	"timeTrackingActivities": listOf((*sdk.Client).ListTimeTrackingActivities),
	"toDos":                  listOf((*sdk.Client).ListToDos),
	"transferInventories":    listOf((*sdk.Client).ListTransferInventories),
	"transfers":              listOf((*sdk.Client).ListTransfers),
	"unitOfMeasureSets":      listOf((*sdk.Client).ListUnitOfMeasureSets),
	"vehicleMileages":        listOf((*sdk.Client).ListVehicleMileages),
	"vehicles":               listOf((*sdk.Client).ListVehicles),
	"vendorCredits":          listOf((*sdk.Client).ListVendorCredits),
	"vendorTypes":            listOf((*sdk.Client).ListVendorTypes),
	"vendors":                listOf((*sdk.Client).ListVendors),
	"workersCompCodes":       listOf((*sdk.Client).ListWorkersCompCodes),
}

// DataTypes lists the data types ListRecords knows, as the API's paths
// name them, sorted.
func DataTypes() []string {
	types := make([]string, 0, len(listByDataType))
	for t := range listByDataType {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// withQuery adds query parameters to a request: the filters of a data
// type given by name, which the generated parameters of each type hold
// under other names.
func withQuery(q url.Values) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		all := req.URL.Query()
		for k, v := range q {
			all[k] = v
		}
		req.URL.RawQuery = all.Encode()
		return nil
	}
}

// ListRecords lists one page of a data type's records ("customers",
// "invoices", ... as DataTypes names them), each as the JSON the API
// shows (GET /v1/companies/{companyId}/{dataType}, the operation
// listCustomers, listInvoices...); filters are the type's filter query
// parameters. An unknown data type is an error before any request.
func (c *Client) ListRecords(ctx context.Context, companyID, dataType string, params ListParams, filters url.Values, editors ...RequestEditorFn) (*Page[json.RawMessage], error) {
	list, ok := listByDataType[dataType]
	if !ok {
		return nil, &qbconnect.Error{Code: qbconnect.EInvalid, Message: fmt.Sprintf("unknown data type %q", dataType),
			Resolution: "Use a data type as the API's paths name it: " + strings.Join(DataTypes(), ", ") + "."}
	}
	q := url.Values{}
	for k, v := range filters {
		q[k] = v
	}
	if params.Limit > 0 {
		q.Set("limit", strconv.Itoa(params.Limit))
	}
	if params.Cursor != "" {
		q.Set("cursor", params.Cursor)
	}
	return decode[Page[json.RawMessage]](list(c.raw(), ctx, companyID, append([]RequestEditorFn{withQuery(q)}, editors...)...))
}
