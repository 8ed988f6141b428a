package controlplane

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/msk"
)

// kafkaService answers kafka (rest-json): MSK's clusters, cluster
// policies and managed VPC connections. Routes are the model's request
// URIs; a cluster or connection ARN in a path is one percent-encoded
// segment.
type kafkaService struct {
	msk *msk.Service
	mux *http.ServeMux
}

// WithKafka serves the kafka API from an MSK control plane.
func WithKafka(svc *msk.Service) Option {
	return func(s *Server) {
		k := &kafkaService{msk: svc, mux: http.NewServeMux()}
		k.routes()
		s.services["kafka"] = k
	}
}

// kafkaCall is a routed kafka call: the front door's call and the
// response writer.
type kafkaCall struct {
	*Call
	w http.ResponseWriter
}

type kafkaHandler func(k *kafkaService, c kafkaCall) (any, error)

type callKey struct{}

func (k *kafkaService) routes() {
	k.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(callKey{}).(*Call)
		k.fail(w, c, http.StatusNotFound, "NotFoundException", fmt.Sprintf("No operation matches %s %s.", r.Method, r.URL.EscapedPath()))
	})
	for pattern, h := range map[string]kafkaHandler{
		"GET /v1/clusters/{clusterArn}":                        (*kafkaService).describeCluster,
		"GET /api/v2/clusters/{clusterArn}":                    (*kafkaService).describeClusterV2,
		"GET /api/v2/clusters":                                 (*kafkaService).listClustersV2,
		"GET /v1/clusters/{clusterArn}/bootstrap-brokers":      (*kafkaService).getBootstrapBrokers,
		"PUT /v1/clusters/{clusterArn}/connectivity":           (*kafkaService).updateConnectivity,
		"PUT /v1/clusters/{clusterArn}/policy":                 (*kafkaService).putClusterPolicy,
		"GET /v1/clusters/{clusterArn}/policy":                 (*kafkaService).getClusterPolicy,
		"DELETE /v1/clusters/{clusterArn}/policy":              (*kafkaService).deleteClusterPolicy,
		"POST /v1/vpc-connection":                              (*kafkaService).createVpcConnection,
		"GET /v1/vpc-connection/{arn}":                         (*kafkaService).describeVpcConnection,
		"DELETE /v1/vpc-connection/{arn}":                      (*kafkaService).deleteVpcConnection,
		"GET /v1/vpc-connections":                              (*kafkaService).listVpcConnections,
		"GET /v1/clusters/{clusterArn}/client-vpc-connections": (*kafkaService).listClientVpcConnections,
		"PUT /v1/clusters/{clusterArn}/client-vpc-connection":  (*kafkaService).rejectClientVpcConnection,
		"POST /v1/tags/{resourceArn}":                          (*kafkaService).tagResource,
		"DELETE /v1/tags/{resourceArn}":                        (*kafkaService).untagResource,
		"GET /v1/tags/{resourceArn}":                           (*kafkaService).listTagsForResource,
		"GET /v1/clusters/{clusterArn}/nodes":                  (*kafkaService).listNodes,
		"POST /api/v2/clusters":                                (*kafkaService).createClusterV2,
		"DELETE /v1/clusters/{clusterArn}":                     (*kafkaService).deleteCluster,
		"PATCH /v1/clusters/{clusterArn}/security":             (*kafkaService).updateSecurity,
	} {
		k.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(callKey{}).(*Call)
			c.Request = r
			out, err := h(k, kafkaCall{Call: c, w: w})
			if err != nil {
				k.writeError(w, c, err)
				return
			}
			if _, ok := out.(noContent); ok {
				w.Header().Set("x-amzn-RequestId", c.RequestID)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			writeJSON(w, c, http.StatusOK, out)
		})
	}
}

func (k *kafkaService) serve(w http.ResponseWriter, c *Call) {
	// ServeMux would redirect a path that is not clean (//, dot segments):
	// no kafka route is one.
	if p := c.Request.URL.EscapedPath(); !strings.HasPrefix(p, "/") || (path.Clean(p) != p && path.Clean(p)+"/" != p) || strings.HasPrefix(p, "//") {
		k.fail(w, c, http.StatusNotFound, "NotFoundException", fmt.Sprintf("No operation matches %s %s.", c.Request.Method, p))
		return
	}
	k.mux.ServeHTTP(w, c.Request.WithContext(context.WithValue(c.Request.Context(), callKey{}, c)))
}

func (k *kafkaService) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeRestJSONError(w, c, status, code, message, "")
}

// writeError answers an error from the MSK control plane, IAM, or
// anything else in MSK's shape.
func (k *kafkaService) writeError(w http.ResponseWriter, c *Call, err error) {
	var me *msk.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &me):
		writeRestJSONError(w, c, me.Status, me.Code, me.Message, me.Parameter)
	case errors.As(err, &ie) && ie.Status == http.StatusForbidden:
		writeRestJSONError(w, c, http.StatusForbidden, "ForbiddenException", ie.Message, "")
	case errors.As(err, &ie):
		writeRestJSONError(w, c, ie.Status, ie.Code, ie.Message, "")
	default:
		writeRestJSONError(w, c, http.StatusInternalServerError, "InternalServerErrorException", "kafkalink could not complete the request", "")
	}
}

// writeRestJSONError writes the rest-json error shape: the name in
// x-amzn-ErrorType, the message (and parameter) in the body.
func writeRestJSONError(w http.ResponseWriter, c *Call, status int, code, message, param string) {
	body := map[string]string{"message": message}
	if param != "" {
		body["invalidParameter"] = param
	}
	w.Header().Set("x-amzn-ErrorType", code)
	writeJSON(w, c, status, body)
}

func writeJSON(w http.ResponseWriter, c *Call, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"kafkalink could not encode the response"}`)
	}
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	writeBody(w, "application/json", status, b)
}

// decodeBody reads a JSON request body strictly: unknown members and
// wrong types are a BadRequestException, as MSK answers them.
func decodeBody(c kafkaCall, v any) error {
	if why := bodyProblem(c.Body, v); why != "" {
		return &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "The request body is not valid: " + why}
	}
	return nil
}

// bodyProblem reads a JSON request body strictly into v and says why it
// is not valid ("" if it is, or is empty): not an object of v's members
// with their types, data after it, or a member named only
// case-insensitively.
func bodyProblem(body []byte, v any) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return "data after the JSON object"
	}
	if name := inexactMember(body, reflect.TypeOf(v)); name != "" {
		return "unknown field \"" + name + "\""
	}
	return ""
}

// inexactMember returns a member of data that encoding/json matched to a
// field of t only case-insensitively ("VpcId" for vpcId): the model's
// names are exact.
func inexactMember(data []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
	case t.Kind() == reflect.Struct:
		var m map[string]json.RawMessage
		json.Unmarshal(data, &m)
		for k, v := range m {
			f, ok := jsonField(t, k)
			if !ok {
				return k
			}
			if name := inexactMember(v, f.Type); name != "" {
				return name
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
		var l []json.RawMessage
		var m map[string]json.RawMessage
		json.Unmarshal(data, &l)
		json.Unmarshal(data, &m)
		for _, v := range m {
			l = append(l, v)
		}
		for _, v := range l {
			if name := inexactMember(v, t.Elem()); name != "" {
				return name
			}
		}
	}
	return ""
}

// jsonField is the field of struct t that the JSON member name is.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || (tag == "" && f.Name == name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonProblem describes a JSON decoding error without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s has the wrong type (%s)", te.Field, te.Value)
	}
	msg := err.Error()
	return strings.TrimPrefix(msg, "json: ")
}

// required reports a missing required member as MSK does.
func required(name, value string) error {
	if value == "" {
		return &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: name + " is a required parameter.", Parameter: name}
	}
	return nil
}

// maxARN bounds ARNs in requests.
const maxARN = 2048

func (c kafkaCall) arn(name string) (string, error) {
	v := c.Request.PathValue(name)
	if len(v) > maxARN {
		return "", &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: name + " is too long.", Parameter: name}
	}
	return v, required(name, v)
}

// JSON shapes (the model's member names).

type jsonScheme struct {
	Enabled bool `json:"enabled"`
}

type jsonVpcConnectivity struct {
	ClientAuthentication *struct {
		Sasl *struct {
			Scram *jsonScheme `json:"scram,omitempty"`
			Iam   *jsonScheme `json:"iam,omitempty"`
		} `json:"sasl,omitempty"`
		Tls *jsonScheme `json:"tls,omitempty"`
	} `json:"clientAuthentication,omitempty"`
}

type jsonPublicAccess struct {
	Type string `json:"type"`
}

type jsonConnectivityInfo struct {
	PublicAccess    *jsonPublicAccess    `json:"publicAccess,omitempty"`
	VpcConnectivity *jsonVpcConnectivity `json:"vpcConnectivity,omitempty"`
	NetworkType     string               `json:"networkType,omitempty"`
}

func vpcConnectivityJSON(on map[msk.Scheme]bool) *jsonVpcConnectivity {
	v := &jsonVpcConnectivity{}
	v.ClientAuthentication = &struct {
		Sasl *struct {
			Scram *jsonScheme `json:"scram,omitempty"`
			Iam   *jsonScheme `json:"iam,omitempty"`
		} `json:"sasl,omitempty"`
		Tls *jsonScheme `json:"tls,omitempty"`
	}{}
	ca := v.ClientAuthentication
	ca.Sasl = &struct {
		Scram *jsonScheme `json:"scram,omitempty"`
		Iam   *jsonScheme `json:"iam,omitempty"`
	}{Scram: &jsonScheme{on[msk.SchemeSCRAM]}, Iam: &jsonScheme{on[msk.SchemeIAM]}}
	ca.Tls = &jsonScheme{on[msk.SchemeTLS]}
	return v
}

func (v *jsonVpcConnectivity) schemes() map[msk.Scheme]bool {
	out := map[msk.Scheme]bool{}
	if v == nil || v.ClientAuthentication == nil {
		return out
	}
	ca := v.ClientAuthentication
	if ca.Sasl != nil && ca.Sasl.Iam != nil {
		out[msk.SchemeIAM] = ca.Sasl.Iam.Enabled
	}
	if ca.Sasl != nil && ca.Sasl.Scram != nil {
		out[msk.SchemeSCRAM] = ca.Sasl.Scram.Enabled
	}
	if ca.Tls != nil {
		out[msk.SchemeTLS] = ca.Tls.Enabled
	}
	return out
}

func awsISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func clientAuthJSON(a msk.ClientAuth) map[string]any {
	return map[string]any{
		"sasl":            map[string]any{"iam": jsonScheme{a.IAM}, "scram": jsonScheme{a.SCRAM}},
		"tls":             map[string]any{"enabled": a.TLS, "certificateAuthorityArnList": []string{}},
		"unauthenticated": jsonScheme{a.Unauthenticated},
	}
}

func brokerNodeGroupJSON(c msk.Cluster) map[string]any {
	return map[string]any{
		"brokerAZDistribution": "DEFAULT",
		"clientSubnets":        nonNil(c.Subnets),
		"securityGroups":       nonNil(c.SecurityGroups),
		"instanceType":         "kafka.m5.large",
		"zoneIds":              nonNil(c.ZoneIDs),
		"connectivityInfo": jsonConnectivityInfo{
			PublicAccess:    &jsonPublicAccess{"DISABLED"},
			VpcConnectivity: vpcConnectivityJSON(c.VpcConnectivity),
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func encryptionJSON(a msk.ClientAuth) map[string]any {
	cb := "TLS"
	if a.Unauthenticated {
		cb = "TLS_PLAINTEXT"
	}
	return map[string]any{"encryptionInTransit": map[string]any{"clientBroker": cb, "inCluster": true}}
}

// clusterInfoJSON is DescribeCluster's ClusterInfo.
func clusterInfoJSON(c msk.Cluster) map[string]any {
	return map[string]any{
		"clusterArn": c.Identity.ARN(), "clusterName": c.Identity.Name, "creationTime": awsISO(c.Created),
		"currentVersion": c.CurrentVersion, "state": c.State, "tags": tagsJSON(c.Tags),
		"numberOfBrokerNodes":       c.Brokers,
		"brokerNodeGroupInfo":       brokerNodeGroupJSON(c),
		"clientAuthentication":      clientAuthJSON(c.Auth),
		"currentBrokerSoftwareInfo": map[string]any{"kafkaVersion": c.KafkaVersion},
		"encryptionInfo":            encryptionJSON(c.Auth),
		"enhancedMonitoring":        "DEFAULT",
		"storageMode":               "LOCAL",
	}
}

// clusterJSON is DescribeClusterV2's and ListClustersV2's Cluster.
func clusterJSON(c msk.Cluster) map[string]any {
	if c.Serverless {
		vpcs := []any{}
		for _, v := range c.VpcConfigs {
			vpcs = append(vpcs, map[string]any{"subnetIds": nonNil(v.Subnets), "securityGroupIds": nonNil(v.SecurityGroups)})
		}
		return map[string]any{
			"clusterArn": c.Identity.ARN(), "clusterName": c.Identity.Name, "clusterType": "SERVERLESS",
			"creationTime": awsISO(c.Created), "currentVersion": c.CurrentVersion, "state": c.State, "tags": tagsJSON(c.Tags),
			"serverless": map[string]any{
				"vpcConfigs":           vpcs,
				"clientAuthentication": map[string]any{"sasl": map[string]any{"iam": jsonScheme{true}}},
			},
		}
	}
	return map[string]any{
		"clusterArn": c.Identity.ARN(), "clusterName": c.Identity.Name, "clusterType": "PROVISIONED",
		"creationTime": awsISO(c.Created), "currentVersion": c.CurrentVersion, "state": c.State, "tags": tagsJSON(c.Tags),
		"provisioned": map[string]any{
			"numberOfBrokerNodes":       c.Brokers,
			"brokerNodeGroupInfo":       brokerNodeGroupJSON(c),
			"clientAuthentication":      clientAuthJSON(c.Auth),
			"currentBrokerSoftwareInfo": map[string]any{"kafkaVersion": c.KafkaVersion},
			"encryptionInfo":            encryptionJSON(c.Auth),
			"enhancedMonitoring":        "DEFAULT",
			"storageMode":               "LOCAL",
		},
	}
}

func tagsJSON(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

func (k *kafkaService) describeCluster(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	cl, err := k.msk.DescribeCluster(c.Ctx, c.Caller, arn, "kafka:DescribeCluster")
	if err != nil {
		return nil, err
	}
	if cl.Serverless {
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "This operation is not supported for serverless clusters; use DescribeClusterV2.", Parameter: "clusterArn"}
	}
	return map[string]any{"clusterInfo": clusterInfoJSON(cl)}, nil
}

func (k *kafkaService) describeClusterV2(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	cl, err := k.msk.DescribeCluster(c.Ctx, c.Caller, arn, "kafka:DescribeClusterV2")
	if err != nil {
		return nil, err
	}
	return map[string]any{"clusterInfo": clusterJSON(cl)}, nil
}

// page returns the page of n items that nextToken and maxResults select,
// and the token of the next page ("" for the last).
func page(c kafkaCall, n int) (from, to int, next string, err error) {
	q := c.Request.URL.Query()
	max := 100
	if v := q.Get("maxResults"); v != "" {
		if max, err = strconv.Atoi(v); err != nil || max < 1 || max > 100 {
			return 0, 0, "", &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "maxResults must be between 1 and 100.", Parameter: "maxResults"}
		}
	}
	if tok := q.Get("nextToken"); tok != "" {
		b, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr == nil {
			from, derr = strconv.Atoi(string(b))
		}
		if derr != nil || from < 0 || from > n {
			return 0, 0, "", &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "The nextToken is not valid.", Parameter: "nextToken"}
		}
	}
	to = min(from+max, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	return from, to, next, nil
}

func (k *kafkaService) listClustersV2(c kafkaCall) (any, error) {
	q := c.Request.URL.Query()
	if t := q.Get("clusterTypeFilter"); t != "" && t != "PROVISIONED" && t != "SERVERLESS" {
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "clusterTypeFilter must be PROVISIONED or SERVERLESS.", Parameter: "clusterTypeFilter"}
	}
	all, err := k.msk.ListClusters(c.Ctx, c.Caller, q.Get("clusterNameFilter"))
	if err != nil {
		return nil, err
	}
	if t := q.Get("clusterTypeFilter"); t != "" {
		kept := all[:0]
		for _, cl := range all {
			if cl.Serverless == (t == "SERVERLESS") {
				kept = append(kept, cl)
			}
		}
		all = kept
	}
	from, to, next, err := page(c, len(all))
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, cl := range all[from:to] {
		list = append(list, clusterJSON(cl))
	}
	return withNext(map[string]any{"clusterInfoList": list}, next), nil
}

func withNext(m map[string]any, next string) map[string]any {
	if next != "" {
		m["nextToken"] = next
	}
	return m
}

func (k *kafkaService) getBootstrapBrokers(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	return k.msk.GetBootstrapBrokers(c.Ctx, c.Caller, arn)
}

func (k *kafkaService) updateConnectivity(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	var in struct {
		ConnectivityInfo *jsonConnectivityInfo `json:"connectivityInfo"`
		CurrentVersion   string                `json:"currentVersion"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := required("currentVersion", in.CurrentVersion); err != nil {
		return nil, err
	}
	if in.ConnectivityInfo == nil {
		return nil, required("connectivityInfo", "")
	}
	if pa := in.ConnectivityInfo.PublicAccess; pa != nil && pa.Type != "" && pa.Type != "DISABLED" {
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "kafkalink offers no public access; only DISABLED is accepted.", Parameter: "connectivityInfo"}
	}
	var want map[msk.Scheme]bool // nil keeps the cluster's as it is
	if in.ConnectivityInfo.VpcConnectivity != nil {
		want = in.ConnectivityInfo.VpcConnectivity.schemes()
	}
	if _, err := k.msk.UpdateConnectivity(c.Ctx, c.Caller, arn, in.CurrentVersion, want); err != nil {
		return nil, err
	}
	return map[string]any{"clusterArn": arn, "clusterOperationArn": operationARN(arn, c.RequestID)}, nil
}

// operationARN names a cluster operation as MSK does.
func operationARN(clusterARN, id string) string {
	return strings.Replace(clusterARN, ":cluster/", ":cluster-operation/", 1) + "/" + id
}

func (k *kafkaService) putClusterPolicy(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	var in struct {
		Policy         string `json:"policy"`
		CurrentVersion string `json:"currentVersion"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := required("policy", in.Policy); err != nil {
		return nil, err
	}
	v, err := k.msk.PutClusterPolicy(c.Ctx, c.Caller, arn, in.Policy, in.CurrentVersion)
	if err != nil {
		return nil, err
	}
	return map[string]any{"currentVersion": v}, nil
}

func (k *kafkaService) getClusterPolicy(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	p, err := k.msk.GetClusterPolicy(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"policy": p.Policy, "currentVersion": p.CurrentVersion}, nil
}

func (k *kafkaService) deleteClusterPolicy(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	return map[string]any{}, k.msk.DeleteClusterPolicy(c.Ctx, c.Caller, arn)
}

// maxListItems bounds the subnets and security groups of a request.
const maxListItems = 64

func (k *kafkaService) createVpcConnection(c kafkaCall) (any, error) {
	var in struct {
		TargetClusterArn string            `json:"targetClusterArn"`
		Authentication   string            `json:"authentication"`
		VpcID            string            `json:"vpcId"`
		ClientSubnets    []string          `json:"clientSubnets"`
		SecurityGroups   []string          `json:"securityGroups"`
		Tags             map[string]string `json:"tags"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	for _, r := range []struct{ name, v string }{{"targetClusterArn", in.TargetClusterArn}, {"authentication", in.Authentication}, {"vpcId", in.VpcID}} {
		if err := required(r.name, r.v); err != nil {
			return nil, err
		}
		if len(r.v) > maxARN {
			return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: r.name + " is too long.", Parameter: r.name}
		}
	}
	if len(in.ClientSubnets) > maxListItems || len(in.SecurityGroups) > maxListItems || len(in.Tags) > 50 {
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Too many subnets, security groups or tags."}
	}
	if in.SecurityGroups == nil {
		return nil, required("securityGroups", "")
	}
	vc, err := k.msk.CreateVpcConnection(c.Ctx, c.Caller, msk.CreateVpcConnectionInput{
		ClusterARN: in.TargetClusterArn, Auth: msk.Scheme(in.Authentication), VpcID: in.VpcID,
		Subnets: in.ClientSubnets, SecurityGroups: in.SecurityGroups, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"vpcConnectionArn": vc.ARN, "state": vc.State, "authentication": string(vc.Auth), "vpcId": vc.VpcID,
		"clientSubnets": vc.Subnets, "securityGroups": vc.SecurityGroups, "creationTime": awsISO(vc.Created), "tags": tagsJSON(vc.Tags),
	}, nil
}

func (k *kafkaService) describeVpcConnection(c kafkaCall) (any, error) {
	arn, err := c.arn("arn")
	if err != nil {
		return nil, err
	}
	vc, err := k.msk.DescribeVpcConnection(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"vpcConnectionArn": vc.ARN, "targetClusterArn": vc.ClusterARN, "state": vc.State, "authentication": string(vc.Auth),
		"vpcId": vc.VpcID, "subnets": vc.Subnets, "securityGroups": vc.SecurityGroups, "creationTime": awsISO(vc.Created), "tags": tagsJSON(vc.Tags),
	}, nil
}

func (k *kafkaService) deleteVpcConnection(c kafkaCall) (any, error) {
	arn, err := c.arn("arn")
	if err != nil {
		return nil, err
	}
	vc, err := k.msk.DeleteVpcConnection(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"vpcConnectionArn": vc.ARN, "state": vc.State}, nil
}

func (k *kafkaService) listVpcConnections(c kafkaCall) (any, error) {
	all, err := k.msk.ListVpcConnections(c.Ctx, c.Caller)
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(c, len(all))
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, vc := range all[from:to] {
		list = append(list, map[string]any{"vpcConnectionArn": vc.ARN, "targetClusterArn": vc.ClusterARN,
			"creationTime": awsISO(vc.Created), "authentication": string(vc.Auth), "vpcId": vc.VpcID, "state": vc.State})
	}
	return withNext(map[string]any{"vpcConnections": list}, next), nil
}

func (k *kafkaService) listClientVpcConnections(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	all, err := k.msk.ListClientVpcConnections(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(c, len(all))
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, vc := range all[from:to] {
		list = append(list, map[string]any{"vpcConnectionArn": vc.ARN, "owner": vc.Owner,
			"creationTime": awsISO(vc.Created), "authentication": string(vc.Auth), "state": vc.State})
	}
	return withNext(map[string]any{"clientVpcConnections": list}, next), nil
}

func (k *kafkaService) rejectClientVpcConnection(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	var in struct {
		VpcConnectionArn string `json:"vpcConnectionArn"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := required("vpcConnectionArn", in.VpcConnectionArn); err != nil {
		return nil, err
	}
	return map[string]any{}, k.msk.RejectClientVpcConnection(c.Ctx, c.Caller, arn, in.VpcConnectionArn)
}

// noContent is the answer of operations whose success is 204 and no body.
type noContent struct{}

func (k *kafkaService) tagResource(c kafkaCall) (any, error) {
	arn, err := c.arn("resourceArn")
	if err != nil {
		return nil, err
	}
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, required("tags", "")
	}
	return noContent{}, k.msk.Tag(c.Ctx, c.Caller, arn, in.Tags)
}

func (k *kafkaService) untagResource(c kafkaCall) (any, error) {
	arn, err := c.arn("resourceArn")
	if err != nil {
		return nil, err
	}
	keys := c.Request.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return nil, required("tagKeys", "")
	}
	return noContent{}, k.msk.Untag(c.Ctx, c.Caller, arn, keys)
}

func (k *kafkaService) listTagsForResource(c kafkaCall) (any, error) {
	arn, err := c.arn("resourceArn")
	if err != nil {
		return nil, err
	}
	tags, err := k.msk.Tags(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"tags": tags}, nil
}

func (k *kafkaService) listNodes(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	cl, nodes, err := k.msk.ListNodes(c.Ctx, c.Caller, arn)
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(c, len(nodes))
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, n := range nodes[from:to] {
		bn := map[string]any{
			"brokerId":                  float64(n.ID),
			"endpoints":                 nonNil(n.Hosts),
			"currentBrokerSoftwareInfo": map[string]any{"kafkaVersion": cl.KafkaVersion},
		}
		if len(cl.Subnets) > 0 {
			bn["clientSubnet"] = cl.Subnets[int(max(n.ID, 0))%len(cl.Subnets)]
		}
		if len(n.Hosts) > 0 {
			bn["clientVpcIpAddress"] = n.Hosts[0]
		}
		list = append(list, map[string]any{
			"nodeType": "BROKER", "instanceType": "kafka.m5.large", "addedToClusterTime": awsISO(cl.Created),
			"nodeARN":        strings.Replace(arn, ":cluster/", ":broker/", 1) + "/" + strconv.Itoa(int(n.ID)),
			"brokerNodeInfo": bn,
		})
	}
	return withNext(map[string]any{"nodeInfoList": list}, next), nil
}

// jsonClientAuthentication is ClientAuthentication in requests.
type jsonClientAuthentication struct {
	Sasl *struct {
		Iam   *jsonScheme `json:"iam"`
		Scram *jsonScheme `json:"scram"`
	} `json:"sasl"`
	Tls *struct {
		Enabled                     bool     `json:"enabled"`
		CertificateAuthorityArnList []string `json:"certificateAuthorityArnList"`
	} `json:"tls"`
	Unauthenticated *jsonScheme `json:"unauthenticated"`
}

// merge is cur with what the request names changed; what it leaves out
// stays as it is.
func (a *jsonClientAuthentication) merge(cur msk.ClientAuth) msk.ClientAuth {
	set := func(dst *bool, s *jsonScheme) {
		if s != nil {
			*dst = s.Enabled
		}
	}
	if a.Sasl != nil {
		set(&cur.IAM, a.Sasl.Iam)
		set(&cur.SCRAM, a.Sasl.Scram)
	}
	if a.Tls != nil {
		cur.TLS = a.Tls.Enabled
	}
	set(&cur.Unauthenticated, a.Unauthenticated)
	return cur
}

func (a *jsonClientAuthentication) auth() msk.ClientAuth {
	if a == nil {
		return msk.ClientAuth{}
	}
	return a.merge(msk.ClientAuth{})
}

func (k *kafkaService) createClusterV2(c kafkaCall) (any, error) {
	var in struct {
		ClusterName string            `json:"clusterName"`
		Tags        map[string]string `json:"tags"`
		Provisioned *struct {
			BrokerNodeGroupInfo *struct {
				ClientSubnets        []string        `json:"clientSubnets"`
				SecurityGroups       []string        `json:"securityGroups"`
				InstanceType         string          `json:"instanceType"`
				BrokerAZDistribution string          `json:"brokerAZDistribution"`
				StorageInfo          json.RawMessage `json:"storageInfo"`
				ConnectivityInfo     json.RawMessage `json:"connectivityInfo"`
				ZoneIds              []string        `json:"zoneIds"`
			} `json:"brokerNodeGroupInfo"`
			ClientAuthentication *jsonClientAuthentication `json:"clientAuthentication"`
			KafkaVersion         string                    `json:"kafkaVersion"`
			NumberOfBrokerNodes  int                       `json:"numberOfBrokerNodes"`
			// Accepted and not acted on: kafkalink has no brokers of its
			// own to configure, encrypt, monitor or log.
			ConfigurationInfo  json.RawMessage `json:"configurationInfo"`
			EncryptionInfo     json.RawMessage `json:"encryptionInfo"`
			EnhancedMonitoring string          `json:"enhancedMonitoring"`
			OpenMonitoring     json.RawMessage `json:"openMonitoring"`
			LoggingInfo        json.RawMessage `json:"loggingInfo"`
			StorageMode        string          `json:"storageMode"`
			Rebalancing        json.RawMessage `json:"rebalancing"`
		} `json:"provisioned"`
		Serverless *struct {
			VpcConfigs []struct {
				SubnetIds        []string `json:"subnetIds"`
				SecurityGroupIds []string `json:"securityGroupIds"`
			} `json:"vpcConfigs"`
			ClientAuthentication *struct {
				Sasl *struct {
					Iam *jsonScheme `json:"iam"`
				} `json:"sasl"`
			} `json:"clientAuthentication"`
			ConnectivityInfo json.RawMessage `json:"connectivityInfo"`
		} `json:"serverless"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := required("clusterName", in.ClusterName); err != nil {
		return nil, err
	}
	switch {
	case in.Provisioned != nil && in.Serverless != nil:
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Specify either provisioned or serverless, not both."}
	case in.Serverless != nil:
		sv := in.Serverless
		if len(sv.VpcConfigs) > msk.MaxServerlessVPCs {
			return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Too many VPC configurations.", Parameter: "vpcConfigs"}
		}
		si := msk.ServerlessInput{Name: in.ClusterName, Tags: in.Tags,
			IAM: sv.ClientAuthentication == nil || (sv.ClientAuthentication.Sasl != nil && sv.ClientAuthentication.Sasl.Iam != nil && sv.ClientAuthentication.Sasl.Iam.Enabled)}
		for _, v := range sv.VpcConfigs {
			if len(v.SubnetIds) > maxListItems || len(v.SecurityGroupIds) > maxListItems {
				return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Too many subnets or security groups.", Parameter: "vpcConfigs"}
			}
			si.VpcConfigs = append(si.VpcConfigs, msk.VpcConfig{Subnets: v.SubnetIds, SecurityGroups: v.SecurityGroupIds})
		}
		cl, err := k.msk.CreateServerless(c.Ctx, c.Caller, si)
		if err != nil {
			return nil, err
		}
		return map[string]any{"clusterArn": cl.Identity.ARN(), "clusterName": in.ClusterName, "state": cl.State, "clusterType": "SERVERLESS"}, nil
	case in.Provisioned == nil:
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Specify provisioned or serverless."}
	}
	p := in.Provisioned
	if p.BrokerNodeGroupInfo == nil {
		return nil, required("brokerNodeGroupInfo", "")
	}
	if err := required("kafkaVersion", p.KafkaVersion); err != nil {
		return nil, err
	}
	if len(p.BrokerNodeGroupInfo.ClientSubnets) > maxListItems || len(p.BrokerNodeGroupInfo.SecurityGroups) > maxListItems || len(p.KafkaVersion) > 128 {
		return nil, &msk.Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "Too many subnets or security groups, or a kafkaVersion that is too long."}
	}
	cl, err := k.msk.CreateCluster(c.Ctx, c.Caller, msk.CreateClusterInput{
		Name: in.ClusterName, Brokers: p.NumberOfBrokerNodes, Auth: p.ClientAuthentication.auth(),
		Subnets: p.BrokerNodeGroupInfo.ClientSubnets, SecurityGroups: p.BrokerNodeGroupInfo.SecurityGroups,
		KafkaVersion: p.KafkaVersion, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"clusterArn": cl.Identity.ARN(), "clusterName": in.ClusterName, "state": cl.State, "clusterType": "PROVISIONED"}, nil
}

func (k *kafkaService) deleteCluster(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	cl, err := k.msk.DeleteCluster(c.Ctx, c.Caller, arn, c.Request.URL.Query().Get("currentVersion"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"clusterArn": arn, "state": cl.State}, nil
}

func (k *kafkaService) updateSecurity(c kafkaCall) (any, error) {
	arn, err := c.arn("clusterArn")
	if err != nil {
		return nil, err
	}
	var in struct {
		ClientAuthentication *jsonClientAuthentication `json:"clientAuthentication"`
		CurrentVersion       string                    `json:"currentVersion"`
		EncryptionInfo       json.RawMessage           `json:"encryptionInfo"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := required("currentVersion", in.CurrentVersion); err != nil {
		return nil, err
	}
	if in.ClientAuthentication == nil {
		return nil, required("clientAuthentication", "")
	}
	if _, err := k.msk.UpdateSecurity(c.Ctx, c.Caller, arn, in.CurrentVersion, in.ClientAuthentication.merge); err != nil {
		return nil, err
	}
	return map[string]any{"clusterArn": arn, "clusterOperationArn": operationARN(arn, c.RequestID)}, nil
}
