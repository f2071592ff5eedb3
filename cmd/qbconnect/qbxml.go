package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/spf13/cobra"
)

// newQBXMLCmd groups the qbXML tools: examples, decode and check.
func newQBXMLCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qbxml",
		Short: "Work with qbXML 13.0 documents",
	}
	cmd.AddCommand(newQBXMLExamplesCmd(), newQBXMLDecodeCmd(), newQBXMLCheckCmd())
	return cmd
}

func newQBXMLExamplesCmd() *cobra.Command {
	var subscriptions bool
	cmd := &cobra.Command{
		Use:   "examples DIR",
		Short: "Write one valid example request per request type, as DIR/<RequestType>.xml",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			names := qbxml.RequestNames()
			if subscriptions {
				names = append(names, qbxml.SubscriptionRequestNames()...)
			}
			for _, name := range names {
				doc, err := qbxml.ExampleDocument(name)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, name+".xml"), doc, 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d example requests to %s\n", len(names), dir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&subscriptions, "subscriptions", false, "also write the requests of QBXMLSubscriptionMsgsRq")
	return cmd
}

func openInput(cmd *cobra.Command, name string) (io.Reader, func(), error) {
	if name == "-" {
		return cmd.InOrStdin(), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func newQBXMLDecodeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "decode FILE",
		Short: "Decode a qbXML response (or a receiveResponseXML SOAP envelope) into JSON lines",
		Long: `decode streams a qbXML response document and prints one JSON object per line:
for each response its status, and for each record its element name and data keyed by
qbXML element names. FILE may be - for standard input. Memory stays flat on any size.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, done, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer done()
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
			err = decodeJSONLines(in, out)
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
}

type statusLine struct {
	Response               string `json:"response"`
	RequestID              string `json:"requestID"`
	StatusCode             int    `json:"statusCode"`
	StatusSeverity         string `json:"statusSeverity"`
	StatusMessage          string `json:"statusMessage"`
	RetCount               *int   `json:"retCount,omitempty"`
	IteratorRemainingCount *int   `json:"iteratorRemainingCount,omitempty"`
	IteratorID             string `json:"iteratorID,omitempty"`
}

// decodeJSONLines writes one JSON line per response (its status) and per
// record. The plain elements a response holds directly (TxnDelType, TxnID
// and TimeDeleted of a TxnDelRs, ListMergeType of a ListMergeRs) are one
// record named after the response, keyed by element name. A request
// document, or a response without a statusCode, is an error: neither is a
// QuickBooks answer, successful or not.
func decodeJSONLines(r io.Reader, w io.Writer) error {
	dec := qbxml.NewDecoder(r, &qbxml.Options{Generic: true})
	var line bytes.Buffer
	var plain *qbxml.Node // plain elements of the current response, not yet written
	emit := func() error {
		line.WriteByte('\n')
		_, err := w.Write(line.Bytes())
		line.Reset()
		return err
	}
	writeRecord := func(rsName, typ string, data *qbxml.Node) error {
		resp, _ := json.Marshal(rsName)
		t, _ := json.Marshal(typ)
		b, err := data.MarshalJSON()
		if err != nil {
			return err
		}
		line.WriteString(`{"response":`)
		line.Write(resp)
		line.WriteString(`,"type":`)
		line.Write(t)
		line.WriteString(`,"data":`)
		line.Write(b)
		line.WriteByte('}')
		return emit()
	}
	flush := func() error {
		if plain == nil {
			return nil
		}
		p := plain
		plain = nil
		return writeRecord(p.Name, p.Name, p)
	}
	for {
		it, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return err
		}
		switch it.Kind {
		case qbxml.ItemResponse:
			if err := flush(); err != nil {
				return err
			}
			rs := it.Response
			if set := dec.MessageSet().Name; strings.HasSuffix(set, "Rq") || strings.HasSuffix(rs.Name, "Rq") {
				return fmt.Errorf("<%s> in <%s> is a request, not a response", rs.Name, set)
			}
			if !rs.HasStatus {
				return fmt.Errorf("<%s> has no statusCode: it is not a QuickBooks response", rs.Name)
			}
			b, err := json.Marshal(statusLine{
				Response: rs.Name, RequestID: rs.RequestID, StatusCode: rs.StatusCode,
				StatusSeverity: rs.StatusSeverity, StatusMessage: rs.StatusMessage,
				RetCount: rs.RetCount, IteratorRemainingCount: rs.IteratorRemainingCount, IteratorID: rs.IteratorID,
			})
			if err != nil {
				return err
			}
			line.Write(b)
			if err := emit(); err != nil {
				return err
			}
		case qbxml.ItemRecord:
			n := it.Record.ToNode()
			if len(n.Children) == 0 && len(n.Attrs) == 0 {
				if plain == nil {
					plain = &qbxml.Node{Name: it.Response.Name}
				}
				plain.Children = append(plain.Children, n)
				continue
			}
			if err := flush(); err != nil {
				return err
			}
			if err := writeRecord(it.Response.Name, it.Record.ElementName(), n); err != nil {
				return err
			}
		}
	}
}

func newQBXMLCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a qbXML request against the qbXML 13.0 schema",
		Long: `check reads a qbXML request (a QBXML document, or a single request element such as
<InvoiceAddRq>) and prints each schema problem with its path. It exits with status 1
when there are problems. FILE may be - for standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, done, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer done()
			root, err := qbxml.ParseNode(in, nil)
			if err != nil {
				return err
			}
			problems := qbxml.Problems(root)
			for _, p := range problems {
				fmt.Fprintln(cmd.OutOrStdout(), p.String())
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s)", args[0], len(problems))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", args[0])
			return nil
		},
	}
}
