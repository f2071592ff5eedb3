package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/client"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// The end-to-end tests (cmd/qbconnect, e2e, e2e/swarm) use the client
// against the real server; these tests pin how answers outside 2xx become
// errors, including answers that do not come from qbconnect (a proxy).

func TestServerErrorsAreQbconnectErrorsWithStatusAndRequestID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer qbk_test" || r.Header.Get("Idempotency-Key") != "k1" {
			t.Errorf("headers = %v", r.Header)
		}
		if r.Method != "POST" || r.URL.Path != "/v1/companies/co_1/customers" {
			t.Errorf("request = %s %s, want POST /v1/companies/co_1/customers", r.Method, r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":{"code":"conflict","message":"duplicate name","userMessage":"u","resolution":"r","requestId":"req_1"}}`))
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "qbk_test").CreateCustomer(context.Background(), "co_1", sdk.CustomerCreate{Name: "A"}, client.WithIdempotencyKey("k1"))
	var e *qbconnect.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *qbconnect.Error", err, err)
	}
	want := qbconnect.Error{Code: qbconnect.EConflict, Message: "duplicate name", UserMessage: "u", Resolution: "r", Status: 409, RequestID: "req_1"}
	if *e != want {
		t.Errorf("error = %+v, want %+v", *e, want)
	}
}

func TestAProxysErrorIsCodedByItsStatusAndRetryable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream went away", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "k").GetOperation(context.Background(), "op_1", client.GetOperationParams{})
	var e *qbconnect.Error
	if !errors.As(err, &e) || e.Code != qbconnect.EUnavailable || e.Status != 502 || !e.Retryable {
		t.Fatalf("err = %#v", err)
	}
}

// TestEveryDataTypeIsListed: ListRecords reaches every data type's list
// operation of the served document by the name in its path, and no other.
func TestEveryDataTypeIsListed(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	path := regexp.MustCompile(`^/v1/companies/\{companyId\}/([A-Za-z]+)$`)
	var want []string
	for p, ops := range doc.Paths {
		m := path.FindStringSubmatch(p)
		if m == nil || m[1] == "connections" {
			continue
		}
		if op, ok := ops["get"]; ok && op.OperationID != "" && op.OperationID[:4] == "list" {
			want = append(want, m[1])
		}
	}
	sort.Strings(want)
	if got := client.DataTypes(); !slices.Equal(got, want) {
		t.Errorf("DataTypes() = %v\nwant the document's %v", got, want)
	}
}

func TestRecordsOfADataTypeByNameWithFiltersAndPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := url.Values{"limit": {"2"}, "cursor": {"c1"}, "txnDateFrom": {"2026-01-01"}}
		if r.URL.Path != "/v1/companies/co_1/invoices" || r.URL.Query().Encode() != want.Encode() {
			t.Errorf("request = %s, want /v1/companies/co_1/invoices?%s", r.URL, want.Encode())
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":[{"id":"1-1","refNumber":"7"}],"hasMore":false,"nextCursor":null}`))
	}))
	defer srv.Close()
	page, err := client.New(srv.URL, "k").ListRecords(context.Background(), "co_1", "invoices",
		client.ListParams{Limit: 2, Cursor: "c1"}, url.Values{"txnDateFrom": {"2026-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || string(page.Data[0]) != `{"id":"1-1","refNumber":"7"}` || page.NextCursor != nil {
		t.Errorf("page = %+v", page)
	}
}

func TestAnUnknownDataTypeIsAnErrorWithoutARequest(t *testing.T) {
	_, err := client.New("http://127.0.0.1:1", "k").ListRecords(context.Background(), "co_1", "invoice", client.ListParams{}, nil)
	var e *qbconnect.Error
	if !errors.As(err, &e) || e.Code != qbconnect.EInvalid || e.Status != 0 {
		t.Fatalf("err = %#v, want an invalid *qbconnect.Error", err)
	}
}
