package qbxml

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Header starts every document the encoder writes.
const Header = `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>`

// OnError values of a message set.
const (
	StopOnError     = "stopOnError"
	ContinueOnError = "continueOnError"
	RollbackOnError = "rollbackOnError"
)

// MsgsRq is a request message set: QBXMLMsgsRq, or
// QBXMLSubscriptionMsgsRq when every request is a subscription request.
type MsgsRq struct {
	// OnError is stopOnError (used when empty), continueOnError or
	// rollbackOnError.
	OnError string
	// NewMessageSetID names this message set for error recovery.
	NewMessageSetID string
	// OldMessageSetID asks QuickBooks for the stored answer to an earlier
	// message set.
	OldMessageSetID string
	// ResponseData is includeAll (the default) or includeNone.
	ResponseData string
	// Requests are the requests in order: generated types such as
	// *InvoiceAddRq or *CustomerQueryRq, or *Node values.
	Requests []Element
}

// Document returns the message set as a QBXML root element.
func (m *MsgsRq) Document() (*Node, error) {
	sub, plain := 0, 0
	for _, r := range m.Requests {
		if r == nil {
			return nil, fmt.Errorf("qbxml: nil request")
		}
		if isSubscriptionRequest(r.ElementName()) {
			sub++
		} else {
			plain++
		}
	}
	if sub > 0 && plain > 0 {
		return nil, fmt.Errorf("qbxml: subscription requests cannot share a message set with other requests")
	}
	set := &Node{Name: "QBXMLMsgsRq"}
	if sub > 0 {
		set.Name = "QBXMLSubscriptionMsgsRq"
	} else {
		set.addAttr("oldMessageSetID", m.OldMessageSetID)
		set.addAttr("newMessageSetID", m.NewMessageSetID)
		set.addAttr("responseData", m.ResponseData)
		onErr := m.OnError
		if onErr == "" {
			onErr = StopOnError
		}
		set.addAttr("onError", onErr)
	}
	for _, r := range m.Requests {
		set.Children = append(set.Children, r.ToNode())
	}
	return NewNode("QBXML", set), nil
}

func isSubscriptionRequest(name string) bool {
	for _, n := range subscriptionRequestNames {
		if n == name {
			return true
		}
	}
	return false
}

// Marshal validates the message set against the schema and returns the
// document. A validation failure is a *ValidationError naming each
// message, field and limit.
func Marshal(m *MsgsRq) ([]byte, error) {
	doc, err := m.Document()
	if err != nil {
		return nil, err
	}
	return MarshalDocument(doc)
}

// Encode writes Marshal's output to w.
func Encode(w io.Writer, m *MsgsRq) error {
	b, err := Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalDocument validates a QBXML root element and returns it as a
// document that starts with Header.
func MarshalDocument(root *Node) ([]byte, error) {
	if err := Validate(root); err != nil {
		return nil, err
	}
	return AppendDocument(nil, root), nil
}

// AppendDocument appends Header and root to b without validating.
func AppendDocument(b []byte, root *Node) []byte {
	b = append(b, Header...)
	return root.AppendXML(b)
}

// String returns a pointer to s, for optional fields of generated types.
func String(s string) *string { return &s }

// Int returns n formatted for an INTTYPE field.
func Int(n int) *string { return String(strconv.Itoa(n)) }

// Bool returns b formatted for a BOOLTYPE field.
func Bool(b bool) *string { return String(strconv.FormatBool(b)) }

// Date returns t formatted for a DATETYPE field.
func Date(t time.Time) *string { return String(t.Format("2006-01-02")) }

// DateTime returns t formatted for a DATETIMETYPE field, with its offset.
func DateTime(t time.Time) *string { return String(t.Format("2006-01-02T15:04:05-07:00")) }

// Amount returns cents formatted for an AMTTYPE field ("-12.30").
func Amount(cents int64) *string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return String(fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100))
}

// Value returns *p, or "" when p is nil.
func Value(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
