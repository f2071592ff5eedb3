// Package qbxml is a codec for Intuit's qbXML 13.0, the XML language of
// QuickBooks Desktop's SDK. It imports nothing of the rest of qbconnect and
// may be used by any program.
//
// # Generated types and schema metadata
//
// Every complex element of the schema has a generated Go type named after
// it: request types (InvoiceAddRq, CustomerQueryRq, ... 232 in QBXMLMsgsRq
// and 7 subscription requests), response types (InvoiceQueryRs) and every
// record and aggregate (InvoiceAdd, InvoiceRet, InvoiceLineRet,
// CustomerRef). Fields follow schema order. A simple child is a *string
// (nil means absent; an empty string is sent as an empty element, which
// clears a field in a Mod request), a repeated one a []string; a complex
// child is a pointer, a repeated one a slice of values. A repeated choice
// whose members may interleave (InvoiceLineRet | InvoiceLineGroupRet) is a
// slice of a union type with one pointer per member. Attributes
// (requestID, iterator, iteratorID, metaData, defMacro, ...) are strings.
// Helpers String, Int, Bool, Date, DateTime and Amount build field values.
//
// The same schema is available as data at run time: Lookup(name) returns
// the *ElementType of any complex element, request or response ("CustomerAdd",
// "InvoiceLineRet", "InvoiceQueryRq"), with its Attrs and its Children in
// schema order. Each Child gives its name, effective Min and Max
// occurrences (Unbounded for repeating children), its Choice group and, if
// it is simple, a *SimpleType with the base Kind (KindString, KindAmount,
// KindPrice, KindQuantity, KindPercent, KindDate, KindDateTime, KindBool,
// KindInt, KindID, KindEnum, ...), MaxLength and Enum values; if it is
// complex, Child.Type returns its ElementType. ElementType.Model holds the
// content model as sequences and choices of particles. RequestNames,
// ResponseNames and ResponseName list and pair the messages.
//
// # Generic element trees
//
// Node is an order-preserving element tree (Name, Attrs, Children, Text)
// that can hold any request, response or record without a generated type.
// ParseNode reads one, Node.AppendXML and Node.WriteXML write one with the
// encoder's escaping, Node.MarshalJSON and Node.Map turn one into data
// keyed by element names, using the schema to keep repeatable children in
// arrays. Every generated type converts to a Node with ToNode.
//
// # Encoding
//
// MsgsRq is a request message set (onError, newMessageSetID,
// oldMessageSetID, responseData) holding any mix of requests. Marshal
// validates it with Validate (unknown elements, order, occurrences,
// required elements and attributes, choices, enumerations, maximum
// lengths and the lexical form of amounts, dates, booleans and integers)
// and returns a document that starts with Header. A *ValidationError lists
// each Problem with the path of the element, which names the request, the
// field and the limit. Text is escaped and every character outside
// ISO-8859-1 is written as a numeric character reference, since
// QuickBooks reads requests as ISO-8859-1.
//
// # Decoding
//
// NewDecoder reads a response document from an io.Reader with a streaming
// tokenizer built on github.com/orisano/gosax and yields, through Next,
// one Item per response (its Response status: requestID, statusCode,
// statusSeverity, statusMessage, retCount, iteratorRemainingCount,
// iteratorID) followed by one Item per record, decoded into its generated
// type (or a *Node with Options.Generic). Only the current record is held,
// so memory stays flat on responses of any size. The decoder is lenient
// where QuickBooks deviates from the schema: element order is not
// checked, unknown elements are skipped (or kept in Nodes) and enumerated
// values are kept as sent. It reads UTF-8, ISO-8859-1 and windows-1252
// input, entity and character references and CDATA, accepts a Web
// Connector receiveResponseXML SOAP envelope and decodes the qbXML inside
// it while streaming, and rejects DTDs, excessive depth and oversized
// tokens. Errors wrap ErrSyntax, ErrDTD, ErrTooDeep, ErrTokenTooLarge,
// ErrCharset or ErrNotQBXML. NewStdDecoder is the same decoder on
// encoding/xml, kept as the reference for differential tests.
//
// # Limits
//
// Decoding costs time in proportion to the input's size whatever its
// shape, since a tenant's passthrough request and a connector's or Web
// Connector's answer are untrusted. Besides Options.MaxDepth (64) and
// Options.MaxTokenSize (8 MiB, which also bounds the text of one element
// however comments and CDATA sections split it), an element may carry at
// most 16 attributes (qbXML's busiest carry 7) and names may be 128 bytes
// long (qbXML's longest has 39); beyond them Next, ParseNode and
// CheckDocument fail with ErrTokenTooLarge. CheckDocument applies the
// same tokenizer to any XML document, such as a SOAP envelope, before a
// parser without limits reads it. BenchmarkDecodeHostileShapes reports
// the time per KB of the worst shapes at 10 KB and at 1 MB:
//
//	go test ./qbxml -run '^$' -bench DecodeHostileShapes -benchtime 3x
//
// # Speed
//
// Nearly all of a qbXML response is simple elements, <Name>text</Name>,
// between container elements. The gosax tokenizer handles that shape
// without detours: a start tag whose name is up to 16 ASCII letters and
// digits is checked eight bytes at a time, and the open-element stack
// keeps such a name as two machine words, so the end tag is matched by
// comparing words; the text is checked for characters that need attention
// a word at a time and copied once, into a shared arena. Everything else
// (attributes, prefixes, long names, comments, CDATA, nested content)
// takes the general path, which the differential fuzz target
// FuzzDecodeDifferential holds to the encoding/xml reference.
// Decoding into Nodes (Options.Generic, what the sync engine uses) takes
// the same path for a child that is a simple element, and shares each
// element name among the Nodes. BenchmarkDecodeInvoiceQueryRs (typed) and
// BenchmarkDecodeInvoiceQueryRsGeneric report the decoder's MB/s on a 62 MB
// response and x-stdlib, its lead over the reference measured in pairs of
// runs within the same benchmark:
//
//	go test ./qbxml -run '^$' -bench DecodeInvoiceQueryRs -benchtime 5x -count 3
//
// # Status codes
//
// Status(code) returns a StatusInfo from one table: severity, meaning,
// whether a retry can help, and a message for end users.
package qbxml
