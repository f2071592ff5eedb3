package connector

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// TestConnectorReadsQuickBooksAnswersWithTheBoundedDecoder: the answers
// the connector reads itself (the first status, the message set's status
// in a recovery, the company identity) go through qbxml's decoder, so an
// answer beyond qbXML's limits is refused rather than parsed at any cost.
func TestConnectorReadsQuickBooksAnswersWithTheBoundedDecoder(t *testing.T) {
	var attrs strings.Builder
	for i := range 20 {
		fmt.Fprintf(&attrs, ` a%d="v"`, i)
	}
	deep := strings.Repeat("<X>", 100) + strings.Repeat("</X>", 100)
	hostile := map[string]string{
		"many attributes on the message set": `<QBXML><QBXMLMsgsRs messageSetStatusCode="600"` + attrs.String() + `/></QBXML>`,
		"many attributes on the response":    `<QBXML><QBXMLMsgsRs><CompanyQueryRs statusCode="0"` + attrs.String() + `/></QBXMLMsgsRs></QBXML>`,
		"DTD":                                `<!DOCTYPE QBXML [<!ENTITY x "y">]><QBXML><QBXMLMsgsRs messageSetStatusCode="600"/></QBXML>`,
	}
	// The statuses are read up to the first response; the identity reads
	// the record too.
	_, _, err0 := parseCompanyIdentity([]byte(`<QBXML><QBXMLMsgsRs><CompanyQueryRs statusCode="0"><CompanyRet>` + deep + `</CompanyRet></CompanyQueryRs></QBXMLMsgsRs></QBXML>`))
	if !errors.Is(err0, qbxml.ErrTooDeep) {
		t.Errorf("deep company answer: err = %v, want ErrTooDeep", err0)
	}
	for name, resp := range hostile {
		t.Run(name, func(t *testing.T) {
			_, err1 := messageSetStatus([]byte(resp))
			_, _, err2 := parseCompanyIdentity([]byte(resp))
			_, _, err3 := firstStatus([]byte(resp))
			for _, err := range []error{err1, err2, err3} {
				if !errors.Is(err, qbxml.ErrTokenTooLarge) && !errors.Is(err, qbxml.ErrTooDeep) && !errors.Is(err, qbxml.ErrDTD) {
					t.Errorf("err = %v, want a qbxml limit error", err)
				}
			}
		})
	}

	ok := `<?xml version="1.0" encoding="ISO-8859-1"?><QBXML><QBXMLMsgsRs><CompanyQueryRs statusCode="0" statusSeverity="Info">` +
		`<CompanyRet><CompanyName>Caf` + "\xe9" + ` Rouge</CompanyName><DataExtRet><DataExtName>other</DataExtName><DataExtValue>x</DataExtValue></DataExtRet>` +
		`<DataExtRet><DataExtName>` + StampName + `</DataExtName><DataExtValue>file-1</DataExtValue></DataExtRet></CompanyRet></CompanyQueryRs></QBXMLMsgsRs></QBXML>`
	name, stamp, err := parseCompanyIdentity([]byte(ok))
	if err != nil || name != "Café Rouge" || stamp != "file-1" {
		t.Errorf("parseCompanyIdentity = %q, %q, %v; want Café Rouge, file-1", name, stamp, err)
	}
	code, msg, err := firstStatus([]byte(`<QBXML><QBXMLMsgsRs><DataExtAddRq statusCode="3100" statusMessage="in use"/></QBXMLMsgsRs></QBXML>`))
	if err != nil || code != "3100" || msg != "in use" {
		t.Errorf("firstStatus = %q, %q, %v; want 3100, in use", code, msg, err)
	}
}
