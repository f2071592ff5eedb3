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
