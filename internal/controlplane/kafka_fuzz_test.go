package controlplane_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/msk"
)

// FuzzKafkaRequests sends arbitrary kafka requests — method, path, query
// and body, signed (SigV4, service kafka) by account a or b — through the
// whole front door: signature check, IAM, routing, JSON decoding and the
// MSK control plane over a real store. Nothing may panic, and every
// answer must be a well-formed rest-json one: a 2xx JSON object (or
// nothing for 204), or an error whose x-amzn-ErrorType names an MSK error
// with its status and whose body is a JSON object with a message — never
// a 5xx, a redirect or plain text, and no Go type names in messages.
//
//	go test ./internal/controlplane/ -run '^$' -fuzz FuzzKafkaRequests -fuzztime 60s
func FuzzKafkaRequests(f *testing.F) {
	e := newKafkaEnv(f)
	e.connectivity(e.orders, msk.SchemeIAM, msk.SchemeTLS)
	e.putPolicy(e.orders, basicPolicy(e.orders, kafkaClient))
	ctx := context.Background()
	caller, err := e.iam.Resolve(ctx, e.accounts["a"].AccessKeyID)
	if err != nil {
		f.Fatal(err)
	}
	cl, err := e.msk.DescribeCluster(ctx, caller, e.orders, "kafka:DescribeCluster")
	if err != nil {
		f.Fatal(err)
	}
	orders := "/v1/clusters/" + url.PathEscape(e.orders)
	vc := string(mustJSON(map[string]any{"targetClusterArn": e.orders, "authentication": "SASL_IAM", "vpcId": e.vpcB,
		"clientSubnets": e.clientSubnets, "securityGroups": []string{e.groupB}, "tags": map[string]string{"k": "v"}}))
	vcARN := "/v1/vpc-connection/" + url.PathEscape("arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11")
	addRequestSeeds(f, []requestSeed{
		{0, "GET", orders, "", ""},
		{1, "GET", "/api/v2/clusters/" + url.PathEscape(e.orders), "", ""},
		{0, "GET", "/api/v2/clusters", "clusterNameFilter=or&maxResults=1&nextToken=MQ", ""},
		{0, "GET", "/api/v2/clusters", "clusterTypeFilter=PROVISIONED", ""},
		{1, "GET", orders + "/bootstrap-brokers", "", ""},
		{0, "PUT", orders + "/connectivity", "", `{"currentVersion":"` + cl.CurrentVersion + `","connectivityInfo":{"publicAccess":{"type":"DISABLED"},"vpcConnectivity":{"clientAuthentication":{"sasl":{"iam":{"enabled":true},"scram":{"enabled":false}},"tls":{"enabled":true}}}}}`},
		{0, "PUT", orders + "/policy", "", string(mustJSON(map[string]string{"policy": basicPolicy(e.orders, kafkaClient)}))},
		{0, "GET", orders + "/policy", "", ""},
		{0, "DELETE", "/v1/clusters/" + url.PathEscape(e.loose) + "/policy", "", ""},
		{1, "POST", "/v1/vpc-connection", "", vc},
		{1, "GET", vcARN, "", ""},
		{1, "DELETE", vcARN, "", ""},
		{1, "GET", "/v1/vpc-connections", "maxResults=2&nextToken=Mg", ""},
		{0, "GET", orders + "/client-vpc-connections", "maxResults=100", ""},
		{0, "PUT", orders + "/client-vpc-connection", "", `{"vpcConnectionArn":"arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11"}`},
		{0, "GET", orders + "/nodes", "", ""},
		{0, "GET", "/v1/tags/" + url.PathEscape(e.orders), "", ""},
		{0, "POST", "/v1/tags/" + url.PathEscape(e.orders), "", `{"tags":{"a":"b"}}`},
		{0, "DELETE", "/v1/tags/" + url.PathEscape(e.orders), "tagKeys=a&tagKeys=b", ""},
		{0, "PUT", orders + "/policy", "", `{"policy":5,"x":[{"y":null}]}`},
		{0, "PUT", orders + "/connectivity", "", `{"connectivityInfo":{"vpcConnectivity":{"clientAuthentication":{"Sasl":{}}}},"CurrentVersion":1e400}`},
		{1, "POST", "/v1/vpc-connection", "", `{"targetClusterArn":"arn:aws:kafka:us-east-1:111111111111:cluster/x/y","clientSubnets":[],"securityGroups":null}` + "\n{}"},
		{0, "GET", "/v1//clusters/../x/./y%2F%2E%2E", "a=%zz&;b", ""},
		{0, "HEAD", "/api/v2/clusters", "", ""},
		{0, "0", "//", "0", ""},
		{1, "PATCH", "/", "", "\xff\xfe"},
	})
	creds := []iam.Credentials{e.accounts["a"], e.accounts["b"]}
	header := http.Header{"Content-Type": {"application/json"}}

	f.Fuzz(func(t *testing.T, who uint8, method, path, query string, body []byte) {
		// What an HTTP server would hand the front door: a request line
		// it could parse.
		req, uri, ok := fuzzedRequest(t, creds[who%2], "kafka", method, path, query, header, body)
		if !ok {
			return
		}
		status, h, got := serveHTTP(e.handler, req)
		checkFuzzedAnswer(t, method+" "+uri, body, append([]byte(uri), body...), status, h, got,
			func(status int, h http.Header, got []byte) string { return restJSONProblem(method, status, h, got) },
			[]string{"Go ", "struct {", "json:", "map[", "[]string"})
	})
}
