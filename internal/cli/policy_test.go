package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/daemon"
)

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runJSON runs the command line, wants exit code 0, and decodes stdout.
func runJSON(t *testing.T, args []string, v any) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(args, &out, &errb); code != 0 {
		t.Fatalf("%v: got exit code %d; want 0\n%s", args, code, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("%v: output %q: %v", args, out.String(), err)
	}
}

func TestPolicySimulate(t *testing.T) {
	dir := t.TempDir()
	readOrders := writeFile(t, dir, "read-orders.json", `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOrders","Effect":"Allow",
		"Action":["kafka-cluster:Connect","kafka-cluster:ReadData"],"Resource":"arn:aws:kafka:us-east-1:111111111111:*/c1/*",
		"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)
	denyOrders := writeFile(t, dir, "deny-orders.json", `{"Version":"2012-10-17","Statement":{"Sid":"NoOrders","Effect":"Deny",
		"Action":"kafka-cluster:*Data","Resource":"arn:aws:kafka:*:*:topic/*/*/orders"}}`)
	clusterPolicy := writeFile(t, dir, "cluster-policy.json", `{"Version":"2012-10-17","Statement":[{"Sid":"ReaderRole","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::222222222222:role/reader"},"Action":"kafka-cluster:*","Resource":"*"}]}`)
	const topic = "arn:aws:kafka:us-east-1:111111111111:topic/c1/abcd/orders"
	cases := []struct {
		name    string
		args    []string
		want    string
		reason  string
		matched int
	}{
		{"identity allow with condition", []string{"--principal", "arn:aws:iam::111111111111:user/alice", "--identity-policy", readOrders,
			"--context", "aws:SecureTransport=true"}, "Allow", `"ReadOrders" (#1) of identity policy`, 1},
		{"condition key missing: nothing matches", []string{"--principal", "arn:aws:iam::111111111111:user/alice", "--identity-policy", readOrders},
			"ImplicitDeny", "no statement", 0},
		{"explicit deny wins", []string{"--principal", "arn:aws:iam::111111111111:user/alice", "--identity-policy", readOrders,
			"--identity-policy", denyOrders, "--context", "aws:SecureTransport=true"}, "ExplicitDeny", `"NoOrders"`, 2},
		{"cross-account needs the cluster policy too", []string{"--principal", "arn:aws:sts::222222222222:assumed-role/reader/s1",
			"--identity-policy", readOrders, "--context", "aws:SecureTransport=true"}, "ImplicitDeny", "cross-account", 1},
		{"cross-account allowed by both", []string{"--principal", "arn:aws:sts::222222222222:assumed-role/reader/s1",
			"--identity-policy", readOrders, "--resource-policy", clusterPolicy, "--context", "aws:SecureTransport=true"},
			"Allow", "cluster-policy.json", 2},
		{"account root owns its resources", []string{"--principal", "111111111111"}, "Allow", "root user of account 111111111111", 1},
		{"another account's root does not", []string{"--principal", "222222222222"}, "ImplicitDeny", "cross-account", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got simulation
			runJSON(t, append([]string{"policy", "simulate", "--json", "--action", "kafka-cluster:ReadData", "--resource", topic}, c.args...), &got)
			if got.Decision != c.want || got.Allowed != (c.want == "Allow") {
				t.Errorf("got decision %s (allowed %v); want %s\nreason: %s", got.Decision, got.Allowed, c.want, got.Reason)
			}
			if !strings.Contains(got.Reason, c.reason) {
				t.Errorf("got reason %q; want it to name %q", got.Reason, c.reason)
			}
			if len(got.Matched) != c.matched {
				t.Errorf("got matched statements %q; want %d", got.Matched, c.matched)
			}
		})
	}
}

func TestPolicySimulateRejectsMalformedPolicy(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`)
	var out, errb bytes.Buffer
	code := Main([]string{"policy", "simulate", "--principal", "111111111111", "--action", "a:b", "--identity-policy", bad}, &out, &errb)
	if code != 1 {
		t.Errorf("got exit code %d; want 1", code)
	}
	if !strings.Contains(errb.String(), "MalformedPolicyDocument") {
		t.Errorf("got stderr %q; want MalformedPolicyDocument", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("got stdout %q; want nothing", out.String())
	}
}

// --state-dir evaluates the policies IAM keeps for the principal.
func TestPolicySimulateStoredPolicies(t *testing.T) {
	dir := t.TempDir()
	svc, closeStore, err := daemon.OpenIAM(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := svc.CreateAccount(ctx, "111111111111"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "111111111111", "alice", "/"); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kafka-cluster:Connect","Resource":"arn:aws:kafka:*:111111111111:cluster/${aws:username}/*"}}`
	if err := svc.PutInlinePolicy(ctx, "111111111111", "user", "alice", "own-cluster", doc); err != nil {
		t.Fatal(err)
	}
	closeStore()
	for _, c := range []struct {
		resource string
		want     string
	}{
		{"arn:aws:kafka:us-east-1:111111111111:cluster/alice/abcd", "Allow"},
		{"arn:aws:kafka:us-east-1:111111111111:cluster/bob/abcd", "ImplicitDeny"},
	} {
		var got simulation
		runJSON(t, []string{"policy", "simulate", "--json", "--state-dir", dir, "--principal", "arn:aws:iam::111111111111:user/alice",
			"--action", "kafka-cluster:Connect", "--resource", c.resource}, &got)
		if got.Decision != c.want {
			t.Errorf("%s: got %s (%s); want %s", c.resource, got.Decision, got.Reason, c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"policy", "simulate", "--state-dir", dir, "--principal", "arn:aws:iam::111111111111:user/nobody", "--action", "a:b"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "NoSuchEntity") {
		t.Errorf("unknown user: got exit code %d, stderr %q; want 1 and NoSuchEntity", code, errb.String())
	}
}

func TestAccountsCreateAndList(t *testing.T) {
	dir := t.TempDir()
	var created struct {
		ID              string `json:"id"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	}
	runJSON(t, []string{"accounts", "create", "--state-dir", dir, "--id", "333333333333", "--json"}, &created)
	if created.ID != "333333333333" || !strings.HasPrefix(created.AccessKeyID, "AKIA") || len(created.SecretAccessKey) != 40 {
		t.Errorf("got %+v; want account 333333333333 with an AKIA key and a 40-character secret", created)
	}
	runJSON(t, []string{"accounts", "create", "--state-dir", dir, "--json"}, &created)
	if len(created.ID) != 12 || created.ID == "333333333333" {
		t.Errorf("got random account id %q; want a new 12-digit id", created.ID)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"accounts", "create", "--state-dir", dir, "--id", "333333333333"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "EntityAlreadyExists") {
		t.Errorf("again: got exit code %d, stderr %q; want 1 and EntityAlreadyExists", code, errb.String())
	}
	out.Reset()
	if code := Main([]string{"accounts", "list", "--state-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("list: got exit code %d; want 0: %s", code, errb.String())
	}
	for _, id := range []string{"333333333333", created.ID} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("list: got %q; want it to include %s", out.String(), id)
		}
	}
	if strings.Contains(out.String(), created.SecretAccessKey) {
		t.Error("list printed a secret access key")
	}
}

// A running kafkalink holds the state directory: accounts create says so
// instead of waiting or corrupting it.
func TestAccountsCreateWhileRunning(t *testing.T) {
	dir := t.TempDir()
	_, closeStore, err := daemon.OpenIAM(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore() })
	var out, errb bytes.Buffer
	if code := Main([]string{"accounts", "create", "--state-dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "is kafkalink running") {
		t.Errorf("got exit code %d, stderr %q; want 1 and a word that kafkalink holds the directory", code, errb.String())
	}
}
