package controlplane

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/route53"
)

// Route 53's rest-xml protocol (API version 2013-04-01): request URIs
// under /2013-04-01/, XML request bodies in Route 53's namespace,
// parameters in the query string, XML responses, and errors as
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>
// </ErrorResponse>. An InvalidChangeBatch error lists the problems of the
// batch in <Messages><Message/>…</Messages> too, inside <Error>, where
// every SDK finds its code: <Message> is them all, as Route 53 joins them.

const (
	r53Namespace = "https://route53.amazonaws.com/doc/2013-04-01/"
	r53Version   = "/2013-04-01/"
	r53MaxDepth  = 16    // elements deep; the deepest request is 8
	r53MaxNodes  = 20000 // elements in one request
)

// route53Service answers route53 (rest-xml) from kafkalink's Route 53:
// private hosted zones, their record sets, VPC associations and
// authorizations.
type route53Service struct {
	r53 *route53.Service
	log *slog.Logger
}

// WithRoute53 serves route53 (private hosted zones) from svc.
func WithRoute53(svc *route53.Service) Option {
	return func(s *Server) { s.services["route53"] = &route53Service{r53: svc, log: s.log} }
}

type r53ErrorXML struct {
	XMLName   xml.Name        `xml:"ErrorResponse"`
	Xmlns     string          `xml:"xmlns,attr"`
	Type      string          `xml:"Error>Type"`
	Code      string          `xml:"Error>Code"`
	Message   string          `xml:"Error>Message"`
	Messages  *r53MessagesXML `xml:"Error>Messages,omitempty"`
	RequestID string          `xml:"RequestId"`
}

type r53MessagesXML struct {
	Items []string `xml:"Message"`
}

func (s *route53Service) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeRoute53Error(w, c, status, code, message, nil)
}

// writeRoute53Error writes an error in Route 53's shape.
func writeRoute53Error(w http.ResponseWriter, c *Call, status int, code, message string, messages []string) {
	e := r53ErrorXML{Xmlns: r53Namespace, Type: "Sender", Code: code, Message: message, RequestID: c.RequestID}
	if status >= 500 {
		e.Type = "Receiver"
	}
	if messages != nil {
		e.Messages = &r53MessagesXML{Items: messages}
	}
	b, err := xml.Marshal(e)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>kafkalink could not encode the error</Message></Error></ErrorResponse>")
	}
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	writeBody(w, "text/xml", status, append([]byte(xml.Header), b...))
}

// writeError answers a Route 53 error as it is, an IAM error in Route
// 53's shape, anything else as an internal error.
func (s *route53Service) writeError(w http.ResponseWriter, c *Call, op string, err error) {
	var re *route53.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &re):
		writeRoute53Error(w, c, re.Status, re.Code, re.Message, re.Messages)
	case errors.As(err, &ie):
		writeRoute53Error(w, c, ie.Status, ie.Code, ie.Message, nil)
	default:
		s.log.Error("route53 call failed", "request_id", c.RequestID, "operation", op, "err", err)
		writeRoute53Error(w, c, http.StatusInternalServerError, "InternalFailure", "kafkalink could not complete the request", nil)
	}
}

// writeRoute53Result writes an operation's response with Route 53's
// namespace on its root element.
func writeRoute53Result(w http.ResponseWriter, c *Call, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		writeRoute53Error(w, c, http.StatusInternalServerError, "InternalFailure", "kafkalink could not encode the response", nil)
		return
	}
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	writeBody(w, "text/xml", status, append([]byte(xml.Header), b...))
}

// r53Input is an error in a request's parameters, answered InvalidInput.
func r53Input(format string, a ...any) error {
	return &route53.Error{Status: http.StatusBadRequest, Code: route53.CodeInvalidInput, Message: fmt.Sprintf(format, a...)}
}

// route53Op is a routed operation: its name, and what answers it.
type route53Op struct {
	name string
	run  func(s *route53Service, w http.ResponseWriter, c *Call, id string) error
}

// route53Route routes a request by method and path (an id path segment is
// returned unescaped); op.run is nil when no operation matches.
func route53Route(method, escapedPath string) (op route53Op, id string, err error) {
	rest, found := strings.CutPrefix(escapedPath, r53Version)
	if !found {
		return route53Op{}, "", nil
	}
	segs := strings.Split(rest, "/")
	if len(segs) >= 2 {
		if id, err = url.PathUnescape(segs[1]); err != nil {
			return route53Op{}, "", r53Input("The request path is not valid: %s", err.Error())
		}
		if id == "" {
			return route53Op{}, "", nil
		}
	}
	var ops map[string]route53Op
	switch {
	case len(segs) == 1 && segs[0] == "hostedzone":
		ops = map[string]route53Op{"POST": {"CreateHostedZone", (*route53Service).createHostedZone}, "GET": {"ListHostedZones", (*route53Service).listHostedZones}}
	case len(segs) == 1 && segs[0] == "hostedzonesbyname":
		ops = map[string]route53Op{"GET": {"ListHostedZonesByName", (*route53Service).listHostedZonesByName}}
	case len(segs) == 2 && segs[0] == "hostedzone":
		ops = map[string]route53Op{"GET": {"GetHostedZone", (*route53Service).getHostedZone}, "DELETE": {"DeleteHostedZone", (*route53Service).deleteHostedZone}}
	case len(segs) == 2 && segs[0] == "change":
		ops = map[string]route53Op{"GET": {"GetChange", (*route53Service).getChange}}
	case (len(segs) == 3 || len(segs) == 4 && segs[3] == "") && segs[0] == "hostedzone" && segs[2] == "rrset":
		ops = map[string]route53Op{"POST": {"ChangeResourceRecordSets", (*route53Service).changeResourceRecordSets}, "GET": {"ListResourceRecordSets", (*route53Service).listResourceRecordSets}}
	case len(segs) == 3 && segs[0] == "hostedzone":
		switch segs[2] {
		case "authorizevpcassociation":
			ops = map[string]route53Op{"POST": {"CreateVPCAssociationAuthorization", (*route53Service).createAuthorization},
				"GET": {"ListVPCAssociationAuthorizations", (*route53Service).listAuthorizations}}
		case "deauthorizevpcassociation":
			ops = map[string]route53Op{"POST": {"DeleteVPCAssociationAuthorization", (*route53Service).deleteAuthorization}}
		case "associatevpc":
			ops = map[string]route53Op{"POST": {"AssociateVPCWithHostedZone", (*route53Service).associateVPC}}
		case "disassociatevpc":
			ops = map[string]route53Op{"POST": {"DisassociateVPCFromHostedZone", (*route53Service).disassociateVPC}}
		}
	}
	return ops[method], id, nil
}

func (s *route53Service) serve(w http.ResponseWriter, c *Call) {
	p := c.Request.URL.EscapedPath()
	op, id, err := route53Route(c.Request.Method, p)
	if err != nil {
		s.writeError(w, c, "", err)
		return
	}
	if op.run == nil {
		s.fail(w, c, http.StatusBadRequest, route53.CodeInvalidInput, fmt.Sprintf("kafkalink's Route 53 has no operation %s %s.", c.Request.Method, p))
		return
	}
	c.Action = op.name
	if err := op.run(s, w, c, id); err != nil {
		s.writeError(w, c, op.name, err)
	}
}

// xmlNode is one element of a request body.
type xmlNode struct {
	name     string
	text     strings.Builder
	children []*xmlNode
}

// parseXMLTree reads a request body: one root element, every element in
// Route 53's namespace, no DTD; comments and processing instructions are
// skipped.
func parseXMLTree(body []byte) (*xmlNode, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, r53Input("Invalid XML ; the request body is empty.")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	var root *xmlNode
	var stack []*xmlNode
	nodes := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "xml: ")
			if strings.Contains(msg, "CharsetReader") {
				msg = "only UTF-8 is supported"
			}
			return nil, r53Input("Invalid XML ; %s", msg)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != r53Namespace {
				return nil, r53Input("Invalid XML ; the element '%s' is not in the namespace %s.", t.Name.Local, r53Namespace)
			}
			if root != nil && len(stack) == 0 {
				return nil, r53Input("Invalid XML ; the document has more than one root element.")
			}
			if nodes++; nodes > r53MaxNodes || len(stack) >= r53MaxDepth {
				return nil, r53Input("Invalid XML ; the document is too large.")
			}
			n := &xmlNode{name: t.Name.Local}
			if root == nil {
				root = n
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, r53Input("Invalid XML ; text outside the root element.")
				}
				continue
			}
			if !utf8.Valid(t) {
				return nil, r53Input("Invalid XML ; the document is not valid UTF-8.")
			}
			stack[len(stack)-1].text.Write(t)
		case xml.Directive:
			return nil, r53Input("Invalid XML ; a document type declaration is not allowed.")
		}
	}
	if root == nil {
		return nil, r53Input("Invalid XML ; the document has no root element.")
	}
	return root, nil
}

// decodeXML reads a request body whose root element is root into v (a
// pointer to a struct whose fields are *string, pointers to such structs,
// or slices of them, named by their xml tags). An element v has no field
// for, an element that appears twice for a field that is not a slice,
// and text where elements belong are InvalidInput.
func decodeXML(body []byte, root string, v any) error {
	n, err := parseXMLTree(body)
	if err != nil {
		return err
	}
	if n.name != root {
		return r53Input("Invalid XML ; the root element is '%s'; want '%s'.", n.name, root)
	}
	return fillXML(n, reflect.ValueOf(v).Elem())
}

func fillXML(n *xmlNode, v reflect.Value) error {
	if strings.TrimSpace(n.text.String()) != "" {
		return r53Input("Invalid XML ; the element '%s' holds text where elements belong.", n.name)
	}
	t := v.Type()
	seen := map[string]bool{}
	for _, c := range n.children {
		i := xmlFieldIndex(t, c.name)
		if i < 0 {
			return r53Input("Invalid XML ; the element '%s' is not allowed in '%s'.", c.name, n.name)
		}
		f := v.Field(i)
		if f.Kind() == reflect.Slice {
			f.Set(reflect.Append(f, reflect.New(f.Type().Elem()).Elem()))
			f = f.Index(f.Len() - 1)
		} else if seen[c.name] {
			return r53Input("Invalid XML ; the element '%s' appears more than once in '%s'.", c.name, n.name)
		}
		seen[c.name] = true
		if f.Kind() == reflect.Pointer {
			f.Set(reflect.New(f.Type().Elem()))
			f = f.Elem()
		}
		switch f.Kind() {
		case reflect.String:
			if len(c.children) > 0 {
				return r53Input("Invalid XML ; the element '%s' holds elements where text belongs.", c.name)
			}
			f.SetString(c.text.String())
		case reflect.Struct:
			if err := fillXML(c, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// xmlFieldIndex returns the index of the struct field whose xml tag
// (or name) is name, -1 if none.
func xmlFieldIndex(t reflect.Type, name string) int {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return i
		}
	}
	return -1
}

// Request bodies: every leaf a *string (nil when absent), parsed with
// Route 53's messages.
type (
	r53VPCIn struct {
		VPCRegion *string `xml:"VPCRegion"`
		VPCId     *string `xml:"VPCId"`
	}
	r53CreateHostedZoneIn struct {
		Name             *string   `xml:"Name"`
		VPC              *r53VPCIn `xml:"VPC"`
		CallerReference  *string   `xml:"CallerReference"`
		HostedZoneConfig *struct {
			Comment     *string `xml:"Comment"`
			PrivateZone *string `xml:"PrivateZone"`
		} `xml:"HostedZoneConfig"`
		DelegationSetId *string `xml:"DelegationSetId"`
	}
	r53VPCRequestIn struct {
		VPC     *r53VPCIn `xml:"VPC"`
		Comment *string   `xml:"Comment"`
	}
	r53ChangeBatchIn struct {
		ChangeBatch *struct {
			Comment *string `xml:"Comment"`
			Changes *struct {
				Change []r53ChangeIn `xml:"Change"`
			} `xml:"Changes"`
		} `xml:"ChangeBatch"`
	}
	r53ChangeIn struct {
		Action            *string     `xml:"Action"`
		ResourceRecordSet *r53RRSetIn `xml:"ResourceRecordSet"`
	}
	r53RRSetIn struct {
		Name          *string `xml:"Name"`
		Type          *string `xml:"Type"`
		SetIdentifier *string `xml:"SetIdentifier"`
		Weight        *string `xml:"Weight"`
		Region        *string `xml:"Region"`
		GeoLocation   *struct {
			ContinentCode   *string `xml:"ContinentCode"`
			CountryCode     *string `xml:"CountryCode"`
			SubdivisionCode *string `xml:"SubdivisionCode"`
		} `xml:"GeoLocation"`
		Failover         *string `xml:"Failover"`
		MultiValueAnswer *string `xml:"MultiValueAnswer"`
		TTL              *string `xml:"TTL"`
		ResourceRecords  *struct {
			ResourceRecord []struct {
				Value *string `xml:"Value"`
			} `xml:"ResourceRecord"`
		} `xml:"ResourceRecords"`
		AliasTarget *struct {
			HostedZoneId         *string `xml:"HostedZoneId"`
			DNSName              *string `xml:"DNSName"`
			EvaluateTargetHealth *string `xml:"EvaluateTargetHealth"`
		} `xml:"AliasTarget"`
		HealthCheckId           *string `xml:"HealthCheckId"`
		TrafficPolicyInstanceId *string `xml:"TrafficPolicyInstanceId"`
		CidrRoutingConfig       *struct {
			CollectionId *string `xml:"CollectionId"`
			LocationName *string `xml:"LocationName"`
		} `xml:"CidrRoutingConfig"`
		GeoProximityLocation *struct {
			AWSRegion      *string `xml:"AWSRegion"`
			LocalZoneGroup *string `xml:"LocalZoneGroup"`
			Coordinates    *struct {
				Latitude  *string `xml:"Latitude"`
				Longitude *string `xml:"Longitude"`
			} `xml:"Coordinates"`
			Bias *string `xml:"Bias"`
		} `xml:"GeoProximityLocation"`
	}
)

// routing names the routing-policy members a record set carries.
func (r *r53RRSetIn) routing() []string {
	var out []string
	for name, present := range map[string]bool{
		"SetIdentifier": r.SetIdentifier != nil, "Weight": r.Weight != nil, "Region": r.Region != nil,
		"GeoLocation": r.GeoLocation != nil, "Failover": r.Failover != nil, "MultiValueAnswer": r.MultiValueAnswer != nil,
		"HealthCheckId": r.HealthCheckId != nil, "TrafficPolicyInstanceId": r.TrafficPolicyInstanceId != nil,
		"CidrRoutingConfig": r.CidrRoutingConfig != nil, "GeoProximityLocation": r.GeoProximityLocation != nil,
	} {
		if present {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func r53Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// r53Missing is the InvalidInput for a required element that is absent.
func r53Missing(parent, child string) error {
	return r53Input("Invalid XML ; the element '%s' is not complete: '%s' is expected.", parent, child)
}

// r53Bool parses an XML Schema boolean.
func r53Bool(name, v string) (bool, error) {
	switch v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, r53Input("Invalid XML ; '%s' is not a valid value for '%s': want true or false.", v, name)
}

// vpc reads a request's VPC element.
func (v *r53VPCIn) vpc(parent string) (route53.VPC, error) {
	if v == nil {
		return route53.VPC{}, r53Missing(parent, "VPC")
	}
	return route53.VPC{Region: r53Str(v.VPCRegion), ID: r53Str(v.VPCId)}, nil
}

// maxItems reads a page size parameter: absent is 0 (the default),
// otherwise a positive number.
func maxItems(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, r53Input("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a positive integer", v, name)
	}
	return n, nil
}

// pageSizeText is the MaxItems a list answers: what was asked for, at
// most limit.
func pageSizeText(n, limit int) string {
	if n <= 0 || n > limit {
		n = limit
	}
	return strconv.Itoa(n)
}

// Response shapes.
type (
	r53ZoneXML struct {
		ID                     string           `xml:"Id"`
		Name                   string           `xml:"Name"`
		CallerReference        string           `xml:"CallerReference"`
		Config                 r53ZoneConfigXML `xml:"Config"`
		ResourceRecordSetCount int              `xml:"ResourceRecordSetCount"`
	}
	r53ZoneConfigXML struct {
		Comment     string `xml:"Comment,omitempty"`
		PrivateZone bool   `xml:"PrivateZone"`
	}
	r53ZonesXML struct {
		Items []r53ZoneXML `xml:"HostedZone"`
	}
	r53ChangeInfoXML struct {
		ID          string `xml:"Id"`
		Status      string `xml:"Status"`
		SubmittedAt string `xml:"SubmittedAt"`
		Comment     string `xml:"Comment,omitempty"`
	}
	r53VPCXML struct {
		VPCRegion string `xml:"VPCRegion"`
		VPCId     string `xml:"VPCId"`
	}
	r53VPCsXML struct {
		Items []r53VPCXML `xml:"VPC"`
	}
	r53DelegationSetXML struct {
		NameServers []string `xml:"NameServers>NameServer"`
	}
	r53RRSetXML struct {
		Name            string         `xml:"Name"`
		Type            string         `xml:"Type"`
		TTL             *int64         `xml:"TTL,omitempty"`
		ResourceRecords *r53RecordsXML `xml:"ResourceRecords,omitempty"`
		AliasTarget     *r53AliasXML   `xml:"AliasTarget,omitempty"`
	}
	r53RecordsXML struct {
		Items []r53RecordXML `xml:"ResourceRecord"`
	}
	r53RecordXML struct {
		Value string `xml:"Value"`
	}
	r53AliasXML struct {
		HostedZoneId         string `xml:"HostedZoneId"`
		DNSName              string `xml:"DNSName"`
		EvaluateTargetHealth bool   `xml:"EvaluateTargetHealth"`
	}
	r53RRSetsXML struct {
		Items []r53RRSetXML `xml:"ResourceRecordSet"`
	}
	// r53ChangeResponse is the response of every operation that answers
	// only a ChangeInfo.
	r53ChangeResponse struct {
		XMLName    xml.Name
		Xmlns      string           `xml:"xmlns,attr"`
		ChangeInfo r53ChangeInfoXML `xml:"ChangeInfo"`
	}
)

func r53ZoneOut(z route53.HostedZone) r53ZoneXML {
	return r53ZoneXML{ID: "/hostedzone/" + z.ID, Name: z.Name, CallerReference: z.CallerReference,
		Config: r53ZoneConfigXML{Comment: z.Comment, PrivateZone: true}, ResourceRecordSetCount: len(z.Records)}
}

func r53ZonesOut(zs []route53.HostedZone) r53ZonesXML {
	out := r53ZonesXML{Items: make([]r53ZoneXML, len(zs))}
	for i, z := range zs {
		out.Items[i] = r53ZoneOut(z)
	}
	return out
}

func r53ChangeOut(ci route53.ChangeInfo) r53ChangeInfoXML {
	return r53ChangeInfoXML{ID: "/change/" + ci.ID, Status: ci.Status, SubmittedAt: ci.Submitted.UTC().Format("2006-01-02T15:04:05.000Z"), Comment: ci.Comment}
}

func r53VPCsOut(vs []route53.VPC) r53VPCsXML {
	out := r53VPCsXML{Items: make([]r53VPCXML, len(vs))}
	for i, v := range vs {
		out.Items[i] = r53VPCXML{VPCRegion: v.Region, VPCId: v.ID}
	}
	return out
}

func r53RRSetOut(r route53.RecordSet) r53RRSetXML {
	out := r53RRSetXML{Name: route53.PresentName(r.Name), Type: r.Type}
	if r.Alias != nil {
		out.AliasTarget = &r53AliasXML{HostedZoneId: r.Alias.HostedZoneID, DNSName: route53.PresentName(r.Alias.DNSName), EvaluateTargetHealth: r.Alias.EvaluateTargetHealth}
		return out
	}
	out.TTL = &r.TTL
	out.ResourceRecords = &r53RecordsXML{Items: make([]r53RecordXML, len(r.Values))}
	for i, v := range r.Values {
		out.ResourceRecords.Items[i] = r53RecordXML{Value: v}
	}
	return out
}

func (s *route53Service) changed(w http.ResponseWriter, c *Call, op string, ci route53.ChangeInfo) {
	writeRoute53Result(w, c, http.StatusOK, r53ChangeResponse{XMLName: xml.Name{Local: op + "Response"}, Xmlns: r53Namespace, ChangeInfo: r53ChangeOut(ci)})
}

func (s *route53Service) createHostedZone(w http.ResponseWriter, c *Call, _ string) error {
	var in r53CreateHostedZoneIn
	if err := decodeXML(c.Body, "CreateHostedZoneRequest", &in); err != nil {
		return err
	}
	switch {
	case in.Name == nil:
		return r53Missing("CreateHostedZoneRequest", "Name")
	case in.CallerReference == nil:
		return r53Missing("CreateHostedZoneRequest", "CallerReference")
	}
	req := route53.CreateZoneInput{Name: *in.Name, CallerReference: *in.CallerReference, DelegationSetID: r53Str(in.DelegationSetId)}
	if cfg := in.HostedZoneConfig; cfg != nil {
		req.Comment = r53Str(cfg.Comment)
		if cfg.PrivateZone != nil {
			private, err := r53Bool("PrivateZone", *cfg.PrivateZone)
			if err != nil {
				return err
			}
			if !private && in.VPC == nil {
				return r53Input("kafkalink serves private hosted zones only: CreateHostedZone needs a VPC (VPCId and VPCRegion)")
			}
		}
	}
	if in.VPC != nil {
		v, _ := in.VPC.vpc("CreateHostedZoneRequest")
		req.VPC = &v
	}
	z, ci, err := s.r53.CreateHostedZone(c.Ctx, c.Caller, req)
	if err != nil {
		return err
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Location", scheme+"://"+c.Request.Host+r53Version+"hostedzone/"+z.ID)
	writeRoute53Result(w, c, http.StatusCreated, struct {
		XMLName       xml.Name            `xml:"CreateHostedZoneResponse"`
		Xmlns         string              `xml:"xmlns,attr"`
		HostedZone    r53ZoneXML          `xml:"HostedZone"`
		ChangeInfo    r53ChangeInfoXML    `xml:"ChangeInfo"`
		DelegationSet r53DelegationSetXML `xml:"DelegationSet"`
		VPC           r53VPCXML           `xml:"VPC"`
	}{Xmlns: r53Namespace, HostedZone: r53ZoneOut(z), ChangeInfo: r53ChangeOut(ci),
		DelegationSet: r53DelegationSetXML{NameServers: route53.NameServers()}, VPC: r53VPCXML{VPCRegion: z.VPCs[0].Region, VPCId: z.VPCs[0].ID}})
	return nil
}

func (s *route53Service) getHostedZone(w http.ResponseWriter, c *Call, id string) error {
	z, err := s.r53.GetHostedZone(c.Ctx, c.Caller, id)
	if err != nil {
		return err
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName    xml.Name   `xml:"GetHostedZoneResponse"`
		Xmlns      string     `xml:"xmlns,attr"`
		HostedZone r53ZoneXML `xml:"HostedZone"`
		VPCs       r53VPCsXML `xml:"VPCs"`
	}{Xmlns: r53Namespace, HostedZone: r53ZoneOut(z), VPCs: r53VPCsOut(z.VPCs)})
	return nil
}

func (s *route53Service) listHostedZones(w http.ResponseWriter, c *Call, _ string) error {
	q := c.Request.URL.Query()
	max, err := maxItems(q, "maxitems")
	if err != nil {
		return err
	}
	if t := q.Get("hostedzonetype"); t != "" && t != "PrivateHostedZone" {
		return r53Input("1 validation error detected: Value '%s' at 'hostedZoneType' failed to satisfy constraint: Member must satisfy enum value set: [PrivateHostedZone]", t)
	}
	if q.Get("delegationsetid") != "" {
		return &route53.Error{Status: http.StatusBadRequest, Code: route53.CodeNoSuchDelegationSet, Message: "A reusable delegation set with the specified ID does not exist."}
	}
	marker := q.Get("marker")
	zones, next, err := s.r53.ListHostedZones(c.Ctx, c.Caller, marker, max)
	if err != nil {
		return err
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName     xml.Name    `xml:"ListHostedZonesResponse"`
		Xmlns       string      `xml:"xmlns,attr"`
		HostedZones r53ZonesXML `xml:"HostedZones"`
		Marker      string      `xml:"Marker"`
		IsTruncated bool        `xml:"IsTruncated"`
		NextMarker  string      `xml:"NextMarker,omitempty"`
		MaxItems    string      `xml:"MaxItems"`
	}{Xmlns: r53Namespace, HostedZones: r53ZonesOut(zones), Marker: marker, IsTruncated: next != "", NextMarker: next, MaxItems: pageSizeText(max, route53.MaxZonePage)})
	return nil
}

func (s *route53Service) listHostedZonesByName(w http.ResponseWriter, c *Call, _ string) error {
	q := c.Request.URL.Query()
	max, err := maxItems(q, "maxitems")
	if err != nil {
		return err
	}
	dnsName, zoneID := q.Get("dnsname"), q.Get("hostedzoneid")
	zones, nextName, nextID, err := s.r53.ListHostedZonesByName(c.Ctx, c.Caller, dnsName, zoneID, max)
	if err != nil {
		return err
	}
	if dnsName != "" {
		dnsName, _ = route53.ParseZoneName(dnsName)
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName          xml.Name    `xml:"ListHostedZonesByNameResponse"`
		Xmlns            string      `xml:"xmlns,attr"`
		HostedZones      r53ZonesXML `xml:"HostedZones"`
		DNSName          string      `xml:"DNSName,omitempty"`
		HostedZoneID     string      `xml:"HostedZoneId,omitempty"`
		IsTruncated      bool        `xml:"IsTruncated"`
		NextDNSName      string      `xml:"NextDNSName,omitempty"`
		NextHostedZoneID string      `xml:"NextHostedZoneId,omitempty"`
		MaxItems         string      `xml:"MaxItems"`
	}{Xmlns: r53Namespace, HostedZones: r53ZonesOut(zones), DNSName: dnsName, HostedZoneID: zoneID, IsTruncated: nextID != "",
		NextDNSName: nextName, NextHostedZoneID: nextID, MaxItems: pageSizeText(max, route53.MaxZonePage)})
	return nil
}

func (s *route53Service) deleteHostedZone(w http.ResponseWriter, c *Call, id string) error {
	ci, err := s.r53.DeleteHostedZone(c.Ctx, c.Caller, id)
	if err != nil {
		return err
	}
	s.changed(w, c, "DeleteHostedZone", ci)
	return nil
}

func (s *route53Service) getChange(w http.ResponseWriter, c *Call, id string) error {
	ci, err := s.r53.GetChange(c.Ctx, c.Caller, id)
	if err != nil {
		return err
	}
	s.changed(w, c, "GetChange", ci)
	return nil
}

// changes reads a change batch's changes.
func (in *r53ChangeBatchIn) changes() ([]route53.Change, error) {
	const root = "ChangeResourceRecordSetsRequest"
	if in.ChangeBatch == nil {
		return nil, r53Missing(root, "ChangeBatch")
	}
	if in.ChangeBatch.Changes == nil {
		return nil, r53Missing("ChangeBatch", "Changes")
	}
	out := make([]route53.Change, 0, len(in.ChangeBatch.Changes.Change))
	for _, ch := range in.ChangeBatch.Changes.Change {
		switch {
		case ch.Action == nil:
			return nil, r53Missing("Change", "Action")
		case ch.ResourceRecordSet == nil:
			return nil, r53Missing("Change", "ResourceRecordSet")
		}
		r := ch.ResourceRecordSet
		switch {
		case r.Name == nil:
			return nil, r53Missing("ResourceRecordSet", "Name")
		case r.Type == nil:
			return nil, r53Missing("ResourceRecordSet", "Type")
		}
		c := route53.Change{Action: *ch.Action, Name: *r.Name, Type: *r.Type, Routing: r.routing()}
		if r.TTL != nil {
			ttl, err := strconv.ParseInt(strings.TrimSpace(*r.TTL), 10, 64)
			if err != nil {
				return nil, r53Input("Invalid XML ; '%s' is not a valid value for 'TTL'.", *r.TTL)
			}
			c.TTL = &ttl
		}
		if r.ResourceRecords != nil {
			if len(r.ResourceRecords.ResourceRecord) == 0 {
				return nil, r53Missing("ResourceRecords", "ResourceRecord")
			}
			for _, rr := range r.ResourceRecords.ResourceRecord {
				if rr.Value == nil {
					return nil, r53Missing("ResourceRecord", "Value")
				}
				c.Values = append(c.Values, *rr.Value)
			}
		}
		if a := r.AliasTarget; a != nil {
			switch {
			case a.HostedZoneId == nil:
				return nil, r53Missing("AliasTarget", "HostedZoneId")
			case a.DNSName == nil:
				return nil, r53Missing("AliasTarget", "DNSName")
			case a.EvaluateTargetHealth == nil:
				return nil, r53Missing("AliasTarget", "EvaluateTargetHealth")
			}
			eval, err := r53Bool("EvaluateTargetHealth", *a.EvaluateTargetHealth)
			if err != nil {
				return nil, err
			}
			c.Alias = &route53.AliasTarget{HostedZoneID: *a.HostedZoneId, DNSName: *a.DNSName, EvaluateTargetHealth: eval}
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *route53Service) changeResourceRecordSets(w http.ResponseWriter, c *Call, id string) error {
	var in r53ChangeBatchIn
	if err := decodeXML(c.Body, "ChangeResourceRecordSetsRequest", &in); err != nil {
		return err
	}
	changes, err := in.changes()
	if err != nil {
		return err
	}
	ci, err := s.r53.ChangeResourceRecordSets(c.Ctx, c.Caller, id, r53Str(in.ChangeBatch.Comment), changes)
	if err != nil {
		return err
	}
	s.changed(w, c, "ChangeResourceRecordSets", ci)
	return nil
}

func (s *route53Service) listResourceRecordSets(w http.ResponseWriter, c *Call, id string) error {
	q := c.Request.URL.Query()
	max, err := maxItems(q, "maxitems")
	if err != nil {
		return err
	}
	page, err := s.r53.ListResourceRecordSets(c.Ctx, c.Caller, id, q.Get("name"), q.Get("type"), max)
	if err != nil {
		return err
	}
	sets := r53RRSetsXML{Items: make([]r53RRSetXML, len(page.Records))}
	for i, r := range page.Records {
		sets.Items[i] = r53RRSetOut(r)
	}
	next := ""
	if page.NextName != "" {
		next = route53.PresentName(page.NextName)
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName            xml.Name     `xml:"ListResourceRecordSetsResponse"`
		Xmlns              string       `xml:"xmlns,attr"`
		ResourceRecordSets r53RRSetsXML `xml:"ResourceRecordSets"`
		IsTruncated        bool         `xml:"IsTruncated"`
		NextRecordName     string       `xml:"NextRecordName,omitempty"`
		NextRecordType     string       `xml:"NextRecordType,omitempty"`
		MaxItems           string       `xml:"MaxItems"`
	}{Xmlns: r53Namespace, ResourceRecordSets: sets, IsTruncated: next != "", NextRecordName: next, NextRecordType: page.NextType,
		MaxItems: pageSizeText(max, route53.MaxRecordPage)})
	return nil
}

// vpcRequest reads the body of an operation that names a VPC.
func vpcRequest(c *Call, root string) (route53.VPC, string, error) {
	var in r53VPCRequestIn
	if err := decodeXML(c.Body, root, &in); err != nil {
		return route53.VPC{}, "", err
	}
	v, err := in.VPC.vpc(root)
	return v, r53Str(in.Comment), err
}

func (s *route53Service) createAuthorization(w http.ResponseWriter, c *Call, id string) error {
	v, comment, err := vpcRequest(c, "CreateVPCAssociationAuthorizationRequest")
	if err != nil {
		return err
	}
	if comment != "" {
		return r53Input("Invalid XML ; the element 'Comment' is not allowed in 'CreateVPCAssociationAuthorizationRequest'.")
	}
	if err := s.r53.CreateVPCAssociationAuthorization(c.Ctx, c.Caller, id, v); err != nil {
		return err
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName      xml.Name  `xml:"CreateVPCAssociationAuthorizationResponse"`
		Xmlns        string    `xml:"xmlns,attr"`
		HostedZoneID string    `xml:"HostedZoneId"`
		VPC          r53VPCXML `xml:"VPC"`
	}{Xmlns: r53Namespace, HostedZoneID: strings.TrimPrefix(id, "/hostedzone/"), VPC: r53VPCXML{VPCRegion: v.Region, VPCId: v.ID}})
	return nil
}

func (s *route53Service) listAuthorizations(w http.ResponseWriter, c *Call, id string) error {
	q := c.Request.URL.Query()
	max, err := maxItems(q, "maxresults")
	if err != nil {
		return err
	}
	vpcs, next, err := s.r53.ListVPCAssociationAuthorizations(c.Ctx, c.Caller, id, q.Get("nexttoken"), max)
	if err != nil {
		return err
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName      xml.Name   `xml:"ListVPCAssociationAuthorizationsResponse"`
		Xmlns        string     `xml:"xmlns,attr"`
		HostedZoneID string     `xml:"HostedZoneId"`
		NextToken    string     `xml:"NextToken,omitempty"`
		VPCs         r53VPCsXML `xml:"VPCs"`
	}{Xmlns: r53Namespace, HostedZoneID: strings.TrimPrefix(id, "/hostedzone/"), NextToken: next, VPCs: r53VPCsOut(vpcs)})
	return nil
}

func (s *route53Service) deleteAuthorization(w http.ResponseWriter, c *Call, id string) error {
	v, comment, err := vpcRequest(c, "DeleteVPCAssociationAuthorizationRequest")
	if err != nil {
		return err
	}
	if comment != "" {
		return r53Input("Invalid XML ; the element 'Comment' is not allowed in 'DeleteVPCAssociationAuthorizationRequest'.")
	}
	if err := s.r53.DeleteVPCAssociationAuthorization(c.Ctx, c.Caller, id, v); err != nil {
		return err
	}
	writeRoute53Result(w, c, http.StatusOK, struct {
		XMLName xml.Name `xml:"DeleteVPCAssociationAuthorizationResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
	}{Xmlns: r53Namespace})
	return nil
}

func (s *route53Service) associateVPC(w http.ResponseWriter, c *Call, id string) error {
	v, comment, err := vpcRequest(c, "AssociateVPCWithHostedZoneRequest")
	if err != nil {
		return err
	}
	ci, err := s.r53.AssociateVPCWithHostedZone(c.Ctx, c.Caller, id, v, comment)
	if err != nil {
		return err
	}
	s.changed(w, c, "AssociateVPCWithHostedZone", ci)
	return nil
}

func (s *route53Service) disassociateVPC(w http.ResponseWriter, c *Call, id string) error {
	v, comment, err := vpcRequest(c, "DisassociateVPCFromHostedZoneRequest")
	if err != nil {
		return err
	}
	ci, err := s.r53.DisassociateVPCFromHostedZone(c.Ctx, c.Caller, id, v, comment)
	if err != nil {
		return err
	}
	s.changed(w, c, "DisassociateVPCFromHostedZone", ci)
	return nil
}
