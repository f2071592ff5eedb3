package connector

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/qbconnect/qbconnect/gateway"
)

// The local UI's log says in words what each work item did, for the
// bookkeeper: "Wrote a new customer “Bob's Diner”", "Read invoices", not
// operation IDs and qbXML element names.

var (
	firstRq  = regexp.MustCompile(`<([A-Za-z]+?)(Query|Add|Mod|Del|Void)Rq\b`)
	nameElem = regexp.MustCompile(`<(?:Name|FullName|RefNumber)>([^<]{1,80})</`)
)

// Describe says in words what a work item asked QuickBooks to do.
func Describe(kind, request string) string {
	switch kind {
	case gateway.KindHealth:
		return "Checked that QuickBooks answers, for the platform"
	case gateway.KindStamp:
		return "Marked the company file as linked"
	}
	m := firstRq.FindStringSubmatch(request)
	if m == nil {
		return "Sent a request to QuickBooks"
	}
	noun, op := words(m[1]), m[2]
	var s string
	switch {
	case op == "Query" && noun == "company":
		s = "Read the company's details"
	case op == "Query":
		s = "Read " + plural(noun)
	case op == "Add":
		s = "Wrote a new " + noun
	case op == "Mod":
		s = "Changed a " + noun
	case op == "Del" && (noun == "list" || noun == "txn"):
		s = "Deleted a record"
	case op == "Del":
		s = "Deleted a " + noun
	case op == "Void":
		s = "Voided a " + noun
	}
	if op != "Query" {
		if n := nameElem.FindStringSubmatch(request); n != nil {
			s += " “" + html.UnescapeString(strings.TrimSpace(n[1])) + "”"
		}
	}
	if more := len(firstRq.FindAllString(request, -1)) - 1; more > 0 {
		s += fmt.Sprintf(" (and %d more)", more)
	}
	return s
}

// words turns a qbXML type name into lower-case words: "SalesReceipt" ->
// "sales receipt".
func words(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// plural is English plural enough for QuickBooks' type names.
func plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ay") && !strings.HasSuffix(noun, "ey"):
		return strings.TrimSuffix(noun, "y") + "ies"
	}
	return noun + "s"
}

// plainMessage is a log message without the package prefix that logs
// carry for developers ("connector: ", "update: ").
func plainMessage(msg string) string {
	for _, p := range []string{"connector: ", "update: ", "gateway: "} {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			msg = rest
			break
		}
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}
