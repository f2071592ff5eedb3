package webconnector

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const serviceNS = "http://developer.intuit.com/"

// arg is one parameter of a call, in order.
type arg struct {
	name, value string
	omitNil     bool // .NET omits a null string parameter
}

// soapCall posts one call as the Web Connector (a .NET client) does and
// returns the text of its Result element, or its <string> items for an
// array result.
func (c *Client) soapCall(ctx context.Context, op string, args ...arg) (string, []string, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`)
	if len(args) == 0 {
		b.WriteString("<" + op + ` xmlns="` + serviceNS + `" />`)
	} else {
		b.WriteString("<" + op + ` xmlns="` + serviceNS + `">`)
		for _, a := range args {
			if a.omitNil && a.value == "" {
				continue
			}
			if a.value == "" {
				b.WriteString("<" + a.name + " />")
				continue
			}
			b.WriteString("<" + a.name + ">")
			_ = xml.EscapeText(&b, []byte(a.value))
			b.WriteString("</" + a.name + ">")
		}
		b.WriteString("</" + op + ">")
	}
	b.WriteString("</soap:Body></soap:Envelope>")
	if c.cfg.BeforeCall != nil {
		if err := c.cfg.BeforeCall(op); err != nil {
			return "", nil, &abort{err}
		}
	}
	c.calls = append(c.calls, op)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.qwc.AppURL, &b)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+serviceNS+op+`"`)
	req.Header.Set("User-Agent", "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	return parseAnswer(op, resp.StatusCode, body)
}

// abort is a call the simulated Web Connector never made: BeforeCall
// stopped the update there (the program died, the network dropped).
type abort struct{ err error }

func (a *abort) Error() string { return "update aborted: " + a.err.Error() }
func (a *abort) Unwrap() error { return a.err }

// parseAnswer reads a SOAP answer: the Result's text or strings, or the
// fault as an error.
func parseAnswer(op string, status int, body []byte) (string, []string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var (
		inResult, inString, inFault bool
		text                        strings.Builder
		items                       []string
		faultCode, faultString      string
		field                       string
		sawResult                   bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: the answer is not well-formed XML (HTTP %d): %v", op, status, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "Fault":
				inFault = true
			case inFault:
				field = t.Name.Local
			case t.Name.Local == op+"Result" && t.Name.Space == serviceNS:
				inResult, sawResult = true, true
			case inResult && t.Name.Local == "string":
				inString = true
				text.Reset()
			}
		case xml.EndElement:
			switch {
			case inFault:
				field = ""
			case t.Name.Local == op+"Result":
				inResult = false
			case inString && t.Name.Local == "string":
				items = append(items, text.String())
				inString = false
			}
		case xml.CharData:
			switch {
			case inFault && field == "faultcode":
				faultCode += string(t)
			case inFault && field == "faultstring":
				faultString += string(t)
			case inString, inResult:
				text.Write(t)
			}
		}
	}
	if inFault || faultCode != "" {
		return "", nil, &Fault{Op: op, Code: strings.TrimSpace(faultCode), Message: faultString, HTTPStatus: status}
	}
	if status != http.StatusOK {
		return "", nil, fmt.Errorf("%s: HTTP %d without a SOAP fault", op, status)
	}
	if !sawResult && op != "serverVersion" {
		return "", nil, fmt.Errorf("%s: the answer has no %sResult", op, op)
	}
	if items != nil {
		return "", items, nil
	}
	return text.String(), nil, nil
}

// Fault is a SOAP fault the service answered.
type Fault struct {
	Op         string
	Code       string
	Message    string
	HTTPStatus int
}

func (f *Fault) Error() string {
	return f.Op + ": SOAP fault " + f.Code + ": " + f.Message + " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
}
