package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// runQBXML runs `qbconnect qbxml args...` with stdin and returns stdout
// and the command's error.
func runQBXML(tb testing.TB, stdin string, args ...string) (string, error) {
	tb.Helper()
	cmd := newQBXMLCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestQBXMLExamplesWritesOneValidFilePerRequest(t *testing.T) {
	dir := t.TempDir()
	if _, err := runQBXML(t, "", "examples", dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) != len(qbxml.RequestNames()) {
		t.Fatalf("wrote %d files, want %d", len(files), len(qbxml.RequestNames()))
	}
	b, err := os.ReadFile(filepath.Join(dir, "InvoiceAddRq.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(qbxml.Header)) {
		t.Errorf("InvoiceAddRq.xml starts with %.60q", b)
	}
	out, err := runQBXML(t, "", "check", filepath.Join(dir, "InvoiceAddRq.xml"))
	if err != nil || !strings.HasSuffix(out, "InvoiceAddRq.xml: valid\n") {
		t.Errorf("check of an example: %q %v", out, err)
	}
}

const twoResponses = `<?xml version="1.0"?><QBXML><QBXMLMsgsRs>
<InvoiceQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK" retCount="2" iteratorRemainingCount="0">
<InvoiceRet><TxnID>1-1</TxnID><CustomerRef><FullName>A &amp; B</FullName></CustomerRef><InvoiceLineRet><Amount>1.00</Amount></InvoiceLineRet></InvoiceRet>
<InvoiceRet><TxnID>2-1</TxnID></InvoiceRet>
</InvoiceQueryRs>
<CustomerAddRs requestID="2" statusCode="3100" statusSeverity="Error" statusMessage="The name &quot;X&quot; of the list element is already in use."/>
</QBXMLMsgsRs></QBXML>`

func TestQBXMLDecodePrintsStatusAndRecordLines(t *testing.T) {
	out, err := runQBXML(t, twoResponses, "decode", "-")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"response":"InvoiceQueryRs","requestID":"1","statusCode":0,"statusSeverity":"Info","statusMessage":"Status OK","retCount":2,"iteratorRemainingCount":0}
{"response":"InvoiceQueryRs","type":"InvoiceRet","data":{"TxnID":"1-1","CustomerRef":{"FullName":"A & B"},"InvoiceLineRet":[{"Amount":"1.00"}]}}
{"response":"InvoiceQueryRs","type":"InvoiceRet","data":{"TxnID":"2-1"}}
{"response":"CustomerAddRs","requestID":"2","statusCode":3100,"statusSeverity":"Error","statusMessage":"The name \"X\" of the list element is already in use."}
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("decode output (-want +got):\n%s", diff)
	}
	f := filepath.Join(t.TempDir(), "rs.xml")
	if err := os.WriteFile(f, []byte(twoResponses), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := runQBXML(t, "", "decode", f)
	if err != nil || fromFile != out {
		t.Errorf("decode FILE differs from decode -: %v\n%s", err, fromFile)
	}
}

func TestQBXMLDecodeFailsWithOneLineOnMalformedInput(t *testing.T) {
	_, err := runQBXML(t, `<QBXML><QBXMLMsgsRs><InvoiceQueryRs statusCode="0" statusSeverity="Info"><InvoiceRet></Oops>`, "decode", "-")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "malformed XML") {
		t.Errorf("error = %q, want one line saying malformed XML", err)
	}
}

func TestQBXMLCheckPrintsEachProblemWithItsPath(t *testing.T) {
	in := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq requestID="1"><CustomerAdd><Name>` +
		strings.Repeat("n", 42) + `</Name><IsActive>maybe</IsActive></CustomerAdd></CustomerAddRq><InvoiceAddRq><InvoiceAdd/></InvoiceAddRq></QBXMLMsgsRq></QBXML>`
	out, err := runQBXML(t, in, "check", "-")
	if err == nil {
		t.Fatal("no error for an invalid request")
	}
	want := `QBXML/QBXMLMsgsRq/CustomerAddRq/CustomerAdd/Name: "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" is 42 characters long; the maximum length is 41
QBXML/QBXMLMsgsRq/CustomerAddRq/CustomerAdd/IsActive: "maybe" is not a valid BOOLTYPE
QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd: missing required element CustomerRef in InvoiceAdd
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("check output (-want +got):\n%s", diff)
	}
}

// The payload of TxnDelRs, ListDelRs, TxnVoidRs and ListMergeRs is plain
// elements, not a Ret: decode prints them as one record named after the
// response, values included.
func TestQBXMLDecodeKeepsThePlainElementsOfADeleteResponse(t *testing.T) {
	in := `<?xml version="1.0"?><QBXML><QBXMLMsgsRs>
<TxnDelRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><TxnDelType>Invoice</TxnDelType><TxnID>80000001-1700000000</TxnID>
<TimeDeleted>2025-01-01T10:00:00-05:00</TimeDeleted><RefNumber>7</RefNumber></TxnDelRs>
<ListMergeRs statusCode="0" statusSeverity="Info" statusMessage="Status OK"><ListMergeType>Customer</ListMergeType>
<MergedFrom><ListID>1-1</ListID><TimeDeleted>2025-01-01T10:00:00-05:00</TimeDeleted><FullName>A</FullName></MergedFrom></ListMergeRs>
</QBXMLMsgsRs></QBXML>`
	out, err := runQBXML(t, in, "decode", "-")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"response":"TxnDelRs","requestID":"1","statusCode":0,"statusSeverity":"Info","statusMessage":"Status OK"}
{"response":"TxnDelRs","type":"TxnDelRs","data":{"TxnDelType":"Invoice","TxnID":"80000001-1700000000","TimeDeleted":"2025-01-01T10:00:00-05:00","RefNumber":"7"}}
{"response":"ListMergeRs","requestID":"","statusCode":0,"statusSeverity":"Info","statusMessage":"Status OK"}
{"response":"ListMergeRs","type":"ListMergeRs","data":{"ListMergeType":"Customer"}}
{"response":"ListMergeRs","type":"MergedFrom","data":{"ListID":"1-1","TimeDeleted":"2025-01-01T10:00:00-05:00","FullName":"A"}}
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("decode output (-want +got):\n%s", diff)
	}
}

// A request document, or a response without a statusCode, is no
// QuickBooks answer: decode fails instead of printing a status 0.
func TestQBXMLDecodeRefusesRequestsAndResponsesWithoutStatus(t *testing.T) {
	for name, in := range map[string]string{
		"request":   `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><TxnDelRq requestID="1"><TxnDelType>Invoice</TxnDelType><TxnID>1-1</TxnID></TxnDelRq></QBXMLMsgsRq></QBXML>`,
		"no status": `<QBXML><QBXMLMsgsRs><TxnDelRs><TxnDelType>Invoice</TxnDelType></TxnDelRs></QBXMLMsgsRs></QBXML>`,
	} {
		out, err := runQBXML(t, in, "decode", "-")
		if err == nil || strings.Contains(out, `"statusCode":0`) {
			t.Errorf("%s: decode printed %q, err %v; want an error and no status line", name, out, err)
		}
	}
}
