package api

// The documentation of the Web Connector routes (webconnector.go). They
// are served when Config.WebConnector is set, as `qbconnect serve` does
// unless the operator disables the Web Connector.

// xmlResp is an answer with an XML body (SOAP envelopes, the WSDL).
func xmlResp(desc string) jsonObj {
	return jsonObj{"description": desc, "content": jsonObj{"text/xml": jsonObj{"schema": str("")}}}
}

func webConnectorDocs() map[string]opSpec {
	qwcFile := object([]string{"fileName", "qwc", "userName", "passwordSet", "appUrl"}, jsonObj{
		"fileName":    str("A name to save the file under, ending in .qwc."),
		"qwc":         str("The .qwc file (QBWCXML) to add to the QuickBooks Web Connector."),
		"userName":    str("The UserName written in the file."),
		"password":    str("The password to type into the Web Connector: present only in the answer that generated it (the first download, or ?newPassword=true). The platform keeps only its hash."),
		"passwordSet": withDesc(boolean(), "An earlier password is still valid (password is then absent)."),
		"appUrl":      str("The SOAP endpoint the file points the Web Connector at."),
	})
	return map[string]opSpec{
		"GET /v1/companies/{companyId}/connections/{connectionId}/qwc": {id: "getQwcFile",
			desc:    "The .qwc file the end user adds to Intuit's QuickBooks Web Connector to link the company file, with the password to type into it the first time (or with ?newPassword=true).",
			summary: "Download the QuickBooks Web Connector file (.qwc) of a webconnector connection", tag: "Connection",
			query: []jsonObj{queryParam("newPassword", "true replaces the password (the old one stops working) and returns the new one.", enum("true", "false"))},
			ok: map[int]jsonObj{200: jsonResp("The file; the one-time password the first time and with ?newPassword=true. OwnerID and FileID never change, so a regenerated file never meets QBWC1039.",
				qwcFile)},
			// 409: the connection is a connector connection, or the
			// platform's address is not one the Web Connector accepts.
			errors: []int{400, 401, 404, 409},
		},
		"POST /qbwc": {id: "callWebConnectorService", desc: "The Web Connector calls this SOAP 1.1 service (serverVersion, clientVersion, authenticate, sendRequestXML, receiveResponseXML, connectionError, getLastError, closeConnection) on each of its runs.", summary: "QuickBooks Web Connector SOAP 1.1 endpoint (the WSDL is GET /qbwc?wsdl)", tag: "WebConnector",
			body: jsonObj{"required": true, "content": jsonObj{"text/xml": jsonObj{"schema": str("A SOAP 1.1 envelope with one Web Connector callback.")}}},
			ok: map[int]jsonObj{
				200: xmlResp("The callback's answer."),
				413: xmlResp("A SOAP fault: the body is larger than the endpoint accepts."),
				500: xmlResp("A SOAP fault: a malformed envelope, an unknown operation or ticket, or an internal error (SOAP 1.1 answers faults with 500)."),
			}},
		"GET /qbwc": {id: "getWebConnectorService", desc: "The Web Connector checks the endpoint's certificate with a GET before it calls it; ?wsdl answers the service's WSDL.", summary: "The Web Connector's certificate probe, or with ?wsdl the WSDL", tag: "WebConnector",
			query: []jsonObj{{"name": "wsdl", "in": "query", "required": false, "allowEmptyValue": true, "description": "Present: answer the WSDL.", "schema": str("")}},
			ok: map[int]jsonObj{200: {"description": "A line of text, or the WSDL with ?wsdl.", "content": jsonObj{
				"text/plain": jsonObj{"schema": str("")}, "text/xml": jsonObj{"schema": str("")}}}}},
		"GET /qbwc/support": {id: "getWebConnectorSupport", desc: "The AppSupport page of the .qwc file, which the Web Connector checks when the file is added.", summary: "The AppSupport page the Web Connector checks when a .qwc is added", tag: "WebConnector",
			ok: map[int]jsonObj{200: {"description": "A short help text.", "content": jsonObj{"text/plain": jsonObj{"schema": str("")}}}}},
	}
}
