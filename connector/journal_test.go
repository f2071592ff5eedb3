package connector

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/gateway"
)

func openTestJournal(tb testing.TB) (*Journal, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "journal.db")
	j, err := OpenJournal(context.Background(), path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { j.Close() })
	return j, path
}

func TestJournalKeepsAnItemsStepsAcrossAReopen(t *testing.T) {
	ctx := context.Background()
	j, path := openTestJournal(t)
	it := &gateway.WorkItem{ID: "op_1", LeaseID: "l1", ConnectionID: "con_1", Kind: "write", Request: "<QBXML/>", Attempt: 1}
	e, err := j.Receive(ctx, it, "ms-1")
	if err != nil {
		t.Fatal(err)
	}
	if e.SentAt != nil || e.Answered() || e.MessageSetID != "ms-1" {
		t.Fatalf("new entry = %+v", e)
	}
	if err := j.MarkSent(ctx, "op_1"); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// After a crash: the journal says the write was sent and not answered.
	j2, err := OpenJournal(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	un, err := j2.Unreported(ctx)
	if err != nil || len(un) != 1 || un[0].SentAt == nil || un[0].Answered() {
		t.Fatalf("unreported after reopen = %+v, %v", un, err)
	}
	// Offered again with a new lease: the message set and the sent mark stay.
	it.LeaseID, it.Attempt = "l2", 2
	e, err = j2.Receive(ctx, it, "ms-other")
	if err != nil {
		t.Fatal(err)
	}
	if e.LeaseID != "l2" || e.MessageSetID != "ms-1" || e.SentAt == nil {
		t.Errorf("re-offered entry = %+v, want lease l2, message set ms-1, still sent", e)
	}
	resp := `<QBXML><QBXMLMsgsRs/></QBXML>`
	if err := j2.Answer(ctx, "op_1", &resp, nil, 40*time.Millisecond, true); err != nil {
		t.Fatal(err)
	}
	if err := j2.Reported(ctx, "op_1"); err != nil {
		t.Fatal(err)
	}
	got, err := j2.Get(ctx, "op_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Response == nil || *got.Response != resp || !got.Recovered || got.ReportedAt == nil || got.Duration != 40*time.Millisecond {
		t.Errorf("answered entry = %+v", got)
	}
	if un, _ := j2.Unreported(ctx); len(un) != 0 {
		t.Errorf("unreported = %d entries, want none", len(un))
	}
}

func TestJournalRefusesAnAnswerWithBothOrNeither(t *testing.T) {
	ctx := context.Background()
	j, _ := openTestJournal(t)
	if _, err := j.Receive(ctx, &gateway.WorkItem{ID: "op_1", LeaseID: "l", ConnectionID: "c", Kind: "sync", Request: "<QBXML/>"}, ""); err != nil {
		t.Fatal(err)
	}
	s := "x"
	if err := j.Answer(ctx, "op_1", &s, &gateway.Failure{Condition: "qb_closed"}, 0, false); err == nil {
		t.Error("an answer with both a response and a failure was accepted")
	}
	if err := j.Answer(ctx, "op_1", nil, nil, 0, false); err == nil {
		t.Error("an answer with neither was accepted")
	}
	if err := j.MarkSent(ctx, "op_unknown"); err == nil {
		t.Error("marking an unknown item sent succeeded")
	}
	e, _ := j.Get(ctx, "op_1")
	if e.Answered() {
		t.Errorf("entry changed by refused answers: %+v", e)
	}
}

func TestJournalFailureIsForgottenSoTheItemRunsAgain(t *testing.T) {
	ctx := context.Background()
	j, _ := openTestJournal(t)
	it := &gateway.WorkItem{ID: "op_1", LeaseID: "l", ConnectionID: "c", Kind: "sync", Request: "<QBXML/>"}
	j.Receive(ctx, it, "")
	f := &gateway.Failure{Condition: "qb_closed", Message: "Could not start QuickBooks.", NeedsUser: true, Retryable: true}
	if err := j.Answer(ctx, "op_1", nil, f, 0, false); err != nil {
		t.Fatal(err)
	}
	e, _ := j.Get(ctx, "op_1")
	if diff := cmp.Diff(f, e.Failure); diff != "" {
		t.Errorf("stored failure (-want +got):\n%s", diff)
	}
	if err := j.ForgetFailure(ctx, "op_1"); err != nil {
		t.Fatal(err)
	}
	if e, _ := j.Get(ctx, "op_1"); e.Answered() {
		t.Errorf("failure still there: %+v", e)
	}
}

func TestMessageSetIDIsAddedUnlessTheRequestHasOne(t *testing.T) {
	for _, tc := range []struct {
		name, req, id, want, wantID string
	}{
		{"added", `<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq/></QBXMLMsgsRq></QBXML>`, `ms-1`,
			`<?xml version="1.0"?><QBXML><QBXMLMsgsRq newMessageSetID="ms-1" onError="stopOnError"><CustomerAddRq/></QBXMLMsgsRq></QBXML>`, "ms-1"},
		{"kept", `<QBXML><QBXMLMsgsRq onError="stopOnError" newMessageSetID='own'><CustomerAddRq/></QBXMLMsgsRq></QBXML>`, `ms-1`,
			`<QBXML><QBXMLMsgsRq onError="stopOnError" newMessageSetID='own'><CustomerAddRq/></QBXMLMsgsRq></QBXML>`, "own"},
		{"escaped", `<QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>`, `a"<b`,
			`<QBXML><QBXMLMsgsRq newMessageSetID="a&#34;&lt;b" onError="stopOnError"/></QBXML>`, `a"<b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, id, err := withMessageSetID(tc.req, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || id != tc.wantID {
				t.Errorf("got %s (%s), want %s (%s)", got, id, tc.want, tc.wantID)
			}
		})
	}
	if _, _, err := withMessageSetID(`<QBXML/>`, "x"); err == nil {
		t.Error("a request without QBXMLMsgsRq was accepted")
	}
}

func TestWritesAreRecognisedByTheirRequests(t *testing.T) {
	for req, want := range map[string]bool{
		`<QBXMLMsgsRq><InvoiceAddRq>`:        true,
		`<QBXMLMsgsRq><CustomerModRq x="1">`: true,
		`<QBXMLMsgsRq><TxnDelRq>`:            true,
		`<QBXMLMsgsRq><TxnVoidRq>`:           true,
		`<QBXMLMsgsRq><CustomerQueryRq>`:     false,
		`<QBXMLMsgsRq><HostQueryRq/>`:        false,
	} {
		if got := IsWrite(req); got != want {
			t.Errorf("IsWrite(%s) = %v, want %v", req, got, want)
		}
	}
}

func TestMessageSetStatusReadsTheRecoveryAnswer(t *testing.T) {
	for resp, want := range map[string]string{
		`<?xml version="1.0" ?><QBXML><QBXMLMsgsRs messageSetStatusCode="600" /></QBXML>`:                                     "600",
		`<?xml version="1.0" ?><QBXML><QBXMLMsgsRs newMessageSetID="m"><CustomerAddRs statusCode="0"/></QBXMLMsgsRs></QBXML>`: "",
		`<?xml version="1.0" encoding="ISO-8859-1"?><QBXML><QBXMLMsgsRs messageSetStatusCode="9001"/></QBXML>`:                "9001",
	} {
		got, err := messageSetStatus([]byte(resp))
		if err != nil || got != want {
			t.Errorf("messageSetStatus(%s) = %q, %v; want %q", resp, got, err, want)
		}
	}
}
