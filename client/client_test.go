package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
)

// The end-to-end tests (cmd/qbconnect, e2e, e2e/swarm) use the client
// against the real server; these tests pin how answers outside 2xx become
// errors, including answers that do not come from qbconnect (a proxy).

func TestServerErrorsAreQbconnectErrorsWithStatusAndRequestID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer qbk_test" || r.Header.Get("Idempotency-Key") != "k1" {
			t.Errorf("headers = %v", r.Header)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":{"code":"conflict","message":"duplicate name","userMessage":"u","resolution":"r","requestId":"req_1"}}`))
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "qbk_test").CreateRecord(context.Background(), "co_1", "customers", map[string]string{"name": "A"}, client.WithIdempotencyKey("k1"))
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
