package qbwc

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// operation describes one callback of the protocol: its parameters, in
// order, and its result type. The table drives both the WSDL and the
// checks on incoming calls.
type operation struct {
	name   string
	params []param
	result string // "string", "int" or "array"
}

type param struct {
	name string
	typ  string // "string" or "int"
}

func strParams(names ...string) []param {
	out := make([]param, len(names))
	for i, n := range names {
		out[i] = param{n, "string"}
	}
	return out
}

// operations are every callback the Web Connector makes (Programmer's
// Guide ch. 10 and real QBWC 2.x: serverVersion takes no argument).
var operations = []operation{
	{"serverVersion", nil, "string"},
	{"clientVersion", strParams("strVersion"), "string"},
	{"authenticate", strParams("strUserName", "strPassword"), "array"},
	{"sendRequestXML", append(strParams("ticket", "strHCPResponse", "strCompanyFileName", "qbXMLCountry"),
		param{"qbXMLMajorVers", "int"}, param{"qbXMLMinorVers", "int"}), "string"},
	{"receiveResponseXML", strParams("ticket", "response", "hresult", "message"), "int"},
	{"connectionError", strParams("ticket", "hresult", "message"), "string"},
	{"getLastError", strParams("ticket"), "string"},
	{"closeConnection", strParams("ticket"), "string"},
	{"getInteractiveURL", strParams("wcTicket", "sessionID"), "string"},
	{"interactiveDone", strParams("wcTicket"), "string"},
	{"interactiveRejected", strParams("wcTicket", "reason"), "string"},
}

func lookupOperation(name string) *operation {
	for i := range operations {
		if operations[i].name == name {
			return &operations[i]
		}
	}
	return nil
}

// WSDL returns the service description with location as the SOAP
// address. It is written from the operations table, document/literal,
// for the Web Connector's own Axis- or .NET-style clients and for anyone
// who generates a client from it.
func WSDL(location string) []byte {
	var b bytes.Buffer
	w := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
		}
	}
	w(`<?xml version="1.0" encoding="utf-8"?>`, "\n")
	w(`<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"`,
		` xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="`, Namespace, `" targetNamespace="`, Namespace, `">`, "\n")
	w(`  <wsdl:documentation>qbconnect: QuickBooks Web Connector service (SOAP 1.1, document/literal).</wsdl:documentation>`, "\n")
	w(`  <wsdl:types>`, "\n", `    <s:schema elementFormDefault="qualified" targetNamespace="`, Namespace, `">`, "\n")
	for _, op := range operations {
		w(`      <s:element name="`, op.name, `">`, "\n", `        <s:complexType>`)
		if len(op.params) == 0 {
			w(`<s:sequence />`)
		} else {
			w("\n", `          <s:sequence>`, "\n")
			for _, p := range op.params {
				if p.typ == "int" {
					w(`            <s:element minOccurs="1" maxOccurs="1" name="`, p.name, `" type="s:int" />`, "\n")
				} else {
					w(`            <s:element minOccurs="0" maxOccurs="1" name="`, p.name, `" type="s:string" />`, "\n")
				}
			}
			w(`          </s:sequence>`, "\n        ")
		}
		w(`</s:complexType>`, "\n", `      </s:element>`, "\n")
		w(`      <s:element name="`, op.name, `Response">`, "\n", `        <s:complexType>`, "\n", `          <s:sequence>`, "\n")
		switch op.result {
		case "int":
			w(`            <s:element minOccurs="1" maxOccurs="1" name="`, op.name, `Result" type="s:int" />`, "\n")
		case "array":
			w(`            <s:element minOccurs="0" maxOccurs="1" name="`, op.name, `Result" type="tns:ArrayOfString" />`, "\n")
		default:
			w(`            <s:element minOccurs="0" maxOccurs="1" name="`, op.name, `Result" type="s:string" />`, "\n")
		}
		w(`          </s:sequence>`, "\n", `        </s:complexType>`, "\n", `      </s:element>`, "\n")
	}
	w(`      <s:complexType name="ArrayOfString">`, "\n", `        <s:sequence>`, "\n",
		`          <s:element minOccurs="0" maxOccurs="unbounded" name="string" nillable="true" type="s:string" />`, "\n",
		`        </s:sequence>`, "\n", `      </s:complexType>`, "\n")
	w(`    </s:schema>`, "\n", `  </wsdl:types>`, "\n")
	for _, op := range operations {
		w(`  <wsdl:message name="`, op.name, `SoapIn"><wsdl:part name="parameters" element="tns:`, op.name, `" /></wsdl:message>`, "\n")
		w(`  <wsdl:message name="`, op.name, `SoapOut"><wsdl:part name="parameters" element="tns:`, op.name, `Response" /></wsdl:message>`, "\n")
	}
	w(`  <wsdl:portType name="QBWebConnectorSvcSoap">`, "\n")
	for _, op := range operations {
		w(`    <wsdl:operation name="`, op.name, `"><wsdl:input message="tns:`, op.name, `SoapIn" /><wsdl:output message="tns:`, op.name, `SoapOut" /></wsdl:operation>`, "\n")
	}
	w(`  </wsdl:portType>`, "\n")
	w(`  <wsdl:binding name="QBWebConnectorSvcSoap" type="tns:QBWebConnectorSvcSoap">`, "\n",
		`    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" />`, "\n")
	for _, op := range operations {
		w(`    <wsdl:operation name="`, op.name, `"><soap:operation soapAction="`, Namespace, op.name, `" style="document" />`,
			`<wsdl:input><soap:body use="literal" /></wsdl:input><wsdl:output><soap:body use="literal" /></wsdl:output></wsdl:operation>`, "\n")
	}
	w(`  </wsdl:binding>`, "\n")
	w(`  <wsdl:service name="QBWebConnectorSvc">`, "\n",
		`    <wsdl:port name="QBWebConnectorSvcSoap" binding="tns:QBWebConnectorSvcSoap"><soap:address location="`)
	escapeAttr(&b, location)
	w(`" /></wsdl:port>`, "\n", `  </wsdl:service>`, "\n", `</wsdl:definitions>`, "\n")
	return b.Bytes()
}

func escapeAttr(b *bytes.Buffer, s string) {
	var e bytes.Buffer
	_ = xml.EscapeText(&e, []byte(s))
	b.WriteString(strings.ReplaceAll(e.String(), `"`, "&quot;"))
}
