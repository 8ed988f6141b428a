package controlplane

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// The AWS query protocol (sts, iam): form-encoded requests naming an Action,
// XML responses <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>, and
// errors as <ErrorResponse><Error><Type/><Code/><Message/></Error>
// <RequestId/></ErrorResponse>.

// field is one member of a query-protocol result, in order.
type field struct {
	Name  string
	Value any
}

// members is an XML list as the query protocol writes it.
type members[T any] struct {
	Items []T `xml:"member"`
}

func list[T any](items []T) members[T] { return members[T]{Items: items} }

// writeQueryResult writes an Action's result; fields nil means an
// operation without output.
func writeQueryResult(w http.ResponseWriter, ns, action, requestID string, fields []field) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}}
	enc.EncodeToken(root)
	if fields != nil {
		res := xml.StartElement{Name: xml.Name{Local: action + "Result"}}
		enc.EncodeToken(res)
		for _, f := range fields {
			enc.EncodeElement(f.Value, xml.StartElement{Name: xml.Name{Local: f.Name}})
		}
		enc.EncodeToken(res.End())
	}
	meta := xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}
	enc.EncodeToken(meta)
	enc.EncodeElement(requestID, xml.StartElement{Name: xml.Name{Local: "RequestId"}})
	enc.EncodeToken(meta.End())
	enc.EncodeToken(root.End())
	enc.Flush()
	writeBody(w, "text/xml", http.StatusOK, buf.Bytes())
}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// writeQueryError writes an error in the query protocol's shape.
func writeQueryError(w http.ResponseWriter, ns string, status int, code, message, requestID string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(queryError{Xmlns: ns, Type: typ, Code: code, Message: message, RequestID: requestID})
	writeBody(w, "text/xml", status, append([]byte(xml.Header), b...))
}

// writeBody writes a whole response: its content type, length, status and
// body.
func writeBody(w http.ResponseWriter, contentType string, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
