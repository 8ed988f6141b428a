package controlplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/prereq"

	"github.com/kafkalink/kafkalink/internal/controlplane"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/store"
)

// env is a front door with two accounts and AWS CLI profiles for them.
type env struct {
	t        *testing.T
	iam      *iam.Service
	url      string
	dir      string
	accounts map[string]iam.Credentials // profile → root credentials
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, false)
}

// newEnvWith is newEnv, with the ec2 service (region us-east-1, default
// zones) behind the front door too when withEC2.
func newEnvWith(t *testing.T, withEC2 bool) *env {
	t.Helper()
	prereq.Tool(t, "aws")
	ts := newTestServices(t)
	var opts []controlplane.Option
	if withEC2 {
		opts = append(opts, controlplane.WithEC2(ts.ec2))
	}
	srv := httptest.NewServer(controlplane.New(ts.iam, "us-east-1", nil, opts...))
	t.Cleanup(srv.Close)
	return cliFor(t, ts.iam, srv.URL, ts.dir, ts.createAccounts(map[string]string{"a": "111111111111", "b": "222222222222"}))
}

// testServices are a store, IAM and EC2 (us-east-1) in a test's
// directory.
type testServices struct {
	tb  testing.TB
	dir string
	st  *store.Bolt
	iam *iam.Service
	ec2 *ec2.Service
}

func newTestServices(tb testing.TB) testServices {
	tb.Helper()
	ts := testServices{tb: tb, dir: tb.TempDir()}
	var err error
	if ts.st, err = store.OpenBolt(filepath.Join(ts.dir, "state.db")); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ts.st.Close() })
	if ts.iam, err = iam.NewInDir(ts.st, ts.dir); err != nil {
		tb.Fatal(err)
	}
	if ts.ec2, err = ec2.New(ts.st, "us-east-1", nil, nil); err != nil {
		tb.Fatal(err)
	}
	return ts
}

// createAccounts creates accounts (profile → id) and returns their root
// credentials by profile.
func (ts testServices) createAccounts(ids map[string]string) map[string]iam.Credentials {
	ts.tb.Helper()
	out := map[string]iam.Credentials{}
	for profile, id := range ids {
		_, creds, err := ts.iam.CreateAccount(context.Background(), id)
		if err != nil {
			ts.tb.Fatal(err)
		}
		out[profile] = creds
	}
	return out
}

// profile adds (or replaces) an AWS CLI profile.
func (e *env) profile(name string, c iam.Credentials) {
	e.t.Helper()
	f, err := os.OpenFile(filepath.Join(e.dir, "credentials"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", name, c.AccessKeyID, c.SecretAccessKey)
	if c.SessionToken != "" {
		fmt.Fprintf(f, "aws_session_token = %s\n", c.SessionToken)
	}
	fmt.Fprintln(f)
}

// aws runs the aws CLI as profile and returns its parsed JSON output, or
// the error text when want is an error code.
func (e *env) aws(profile string, args ...string) (map[string]any, string, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--profile", profile, "--endpoint-url", e.url, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = prereq.AWSEnv(
		"AWS_CONFIG_FILE="+filepath.Join(e.dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "credentials"),
		"AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return nil, stderr.String(), err
	}
	out := map[string]any{}
	if s := strings.TrimSpace(stdout.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			e.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, s)
		}
	}
	return out, stderr.String(), nil
}

// ok runs a command that must succeed.
func (e *env) ok(profile string, args ...string) map[string]any {
	e.t.Helper()
	out, stderr, err := e.aws(profile, args...)
	if err != nil {
		e.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// fails runs a command that must fail with an AWS error code.
func (e *env) fails(code, profile string, args ...string) string {
	e.t.Helper()
	_, stderr, err := e.aws(profile, args...)
	if err == nil {
		e.t.Fatalf("aws %s: succeeded; want %s", strings.Join(args, " "), code)
	}
	if !strings.Contains(stderr, "("+code+")") {
		e.t.Fatalf("aws %s: got %q; want error code %s", strings.Join(args, " "), stderr, code)
	}
	return stderr
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

const (
	allowAll       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trustAccountB  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`
	readOnlyIAM    = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadIAM","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
	denyCreateUser = `{"Version":"2012-10-17","Statement":[{"Sid":"NoNewUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`
)

func TestSTSWithTheAWSCLI(t *testing.T) {
	e := newEnv(t)
	id := e.ok("a", "sts", "get-caller-identity")
	if get(id, "Account") != "111111111111" || get(id, "Arn") != "arn:aws:iam::111111111111:root" {
		t.Errorf("got %v; want account 111111111111 root", id)
	}
	// A role in A that B may assume; B's user needs an identity policy too.
	e.ok("a", "iam", "create-role", "--role-name", "reader", "--assume-role-policy-document", trustAccountB)
	e.ok("b", "iam", "create-user", "--user-name", "bob")
	keys := e.ok("b", "iam", "create-access-key", "--user-name", "bob")
	e.profile("bob", iam.Credentials{AccessKeyID: get(keys, "AccessKey", "AccessKeyId").(string), SecretAccessKey: get(keys, "AccessKey", "SecretAccessKey").(string)})
	roleARN := "arn:aws:iam::111111111111:role/reader"
	e.fails("AccessDenied", "bob", "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "s1")
	e.ok("b", "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "assume", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)
	out := e.ok("bob", "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "s1", "--duration-seconds", "900")
	if got := get(out, "AssumedRoleUser", "Arn"); got != "arn:aws:sts::111111111111:assumed-role/reader/s1" {
		t.Errorf("got assumed role %v; want arn:aws:sts::111111111111:assumed-role/reader/s1", got)
	}
	exp, _ := time.Parse(time.RFC3339, get(out, "Credentials", "Expiration").(string))
	if d := time.Until(exp); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("credentials expire in %v; want 15m", d)
	}
	e.profile("session", iam.Credentials{AccessKeyID: get(out, "Credentials", "AccessKeyId").(string),
		SecretAccessKey: get(out, "Credentials", "SecretAccessKey").(string), SessionToken: get(out, "Credentials", "SessionToken").(string)})
	if got := get(e.ok("session", "sts", "get-caller-identity"), "Arn"); got != "arn:aws:sts::111111111111:assumed-role/reader/s1" {
		t.Errorf("session identity: got %v", got)
	}
	// The role has no permissions yet.
	e.fails("AccessDenied", "session", "iam", "list-users")
	e.ok("a", "iam", "put-role-policy", "--role-name", "reader", "--policy-name", "ro", "--policy-document", readOnlyIAM)
	e.ok("session", "iam", "list-users")
	e.fails("ValidationError", "bob", "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "s1", "--duration-seconds", "7200")

	tok := e.ok("bob", "sts", "get-session-token", "--duration-seconds", "3600")
	e.profile("bobsession", iam.Credentials{AccessKeyID: get(tok, "Credentials", "AccessKeyId").(string),
		SecretAccessKey: get(tok, "Credentials", "SecretAccessKey").(string), SessionToken: get(tok, "Credentials", "SessionToken").(string)})
	if got := get(e.ok("bobsession", "sts", "get-caller-identity"), "Arn"); got != "arn:aws:iam::222222222222:user/bob" {
		t.Errorf("session token identity: got %v", got)
	}
	e.fails("AccessDenied", "bobsession", "sts", "get-session-token")
}

func TestIAMWithTheAWSCLI(t *testing.T) {
	e := newEnv(t)
	u := e.ok("a", "iam", "create-user", "--user-name", "alice", "--path", "/team/")
	if got := get(u, "User", "Arn"); got != "arn:aws:iam::111111111111:user/team/alice" {
		t.Errorf("got %v", got)
	}
	e.fails("EntityAlreadyExists", "a", "iam", "create-user", "--user-name", "alice")
	if got := get(e.ok("a", "iam", "get-user", "--user-name", "alice"), "User", "UserName"); got != "alice" {
		t.Errorf("get-user: got %v", got)
	}
	e.fails("NoSuchEntity", "a", "iam", "get-user", "--user-name", "nobody")
	if users := get(e.ok("a", "iam", "list-users"), "Users").([]any); len(users) != 1 {
		t.Errorf("list-users: got %d users; want 1", len(users))
	}
	// Account B sees none of A's users.
	if users, _ := get(e.ok("b", "iam", "list-users"), "Users").([]any); len(users) != 0 {
		t.Errorf("account b lists %d users; want 0", len(users))
	}

	k := e.ok("a", "iam", "create-access-key", "--user-name", "alice")
	keyID := get(k, "AccessKey", "AccessKeyId").(string)
	if !strings.HasPrefix(keyID, "AKIA") {
		t.Errorf("access key id %s; want AKIA…", keyID)
	}
	e.profile("alice", iam.Credentials{AccessKeyID: keyID, SecretAccessKey: get(k, "AccessKey", "SecretAccessKey").(string)})
	if md := get(e.ok("a", "iam", "list-access-keys", "--user-name", "alice"), "AccessKeyMetadata").([]any); len(md) != 1 {
		t.Errorf("list-access-keys: got %d; want 1", len(md))
	}
	// Alice can do nothing without policies: a denied call.
	stderr := e.fails("AccessDenied", "alice", "iam", "list-users")
	if !strings.Contains(stderr, "arn:aws:iam::111111111111:user/team/alice is not authorized to perform: iam:ListUsers") {
		t.Errorf("denial does not name the principal and action: %s", stderr)
	}
	// Inline policy.
	e.fails("MalformedPolicyDocument", "a", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "bad", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Action":"*","Resource":"*"}]}`)
	e.fails("MalformedPolicyDocument", "a", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "bad", "--policy-document", `not json`)
	e.ok("a", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "ro", "--policy-document", readOnlyIAM)
	doc := e.ok("a", "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "ro")
	if get(doc, "PolicyDocument", "Statement") == nil {
		t.Errorf("get-user-policy: document not returned as JSON: %v", doc)
	}
	if names := get(e.ok("a", "iam", "list-user-policies", "--user-name", "alice"), "PolicyNames").([]any); len(names) != 1 || names[0] != "ro" {
		t.Errorf("list-user-policies: got %v", names)
	}
	e.ok("alice", "iam", "list-users")
	e.fails("AccessDenied", "alice", "iam", "create-user", "--user-name", "mallory")

	// Managed policies and attachments; an explicit deny wins.
	p := e.ok("a", "iam", "create-policy", "--policy-name", "admin", "--policy-document", allowAll)
	adminARN := get(p, "Policy", "Arn").(string)
	if adminARN != "arn:aws:iam::111111111111:policy/admin" {
		t.Errorf("policy arn %s", adminARN)
	}
	e.ok("a", "iam", "get-policy", "--policy-arn", adminARN)
	e.ok("a", "iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", adminARN)
	if att := get(e.ok("a", "iam", "list-attached-user-policies", "--user-name", "alice"), "AttachedPolicies").([]any); len(att) != 1 {
		t.Errorf("list-attached-user-policies: got %v", att)
	}
	e.ok("alice", "iam", "create-user", "--user-name", "carol")
	e.ok("a", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "deny", "--policy-document", denyCreateUser)
	if stderr := e.fails("AccessDenied", "alice", "iam", "create-user", "--user-name", "dave"); !strings.Contains(stderr, "explicit deny") {
		t.Errorf("denial does not say explicit deny: %s", stderr)
	}
	e.fails("DeleteConflict", "a", "iam", "delete-policy", "--policy-arn", adminARN)
	e.ok("a", "iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", adminARN)
	e.ok("a", "iam", "delete-policy", "--policy-arn", adminARN)
	e.ok("a", "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "deny")
	e.ok("a", "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "ro")

	// Access key lifecycle: an inactive key is refused at once.
	e.ok("a", "iam", "update-access-key", "--user-name", "alice", "--access-key-id", keyID, "--status", "Inactive")
	e.fails("InvalidClientTokenId", "alice", "sts", "get-caller-identity")
	e.ok("a", "iam", "update-access-key", "--user-name", "alice", "--access-key-id", keyID, "--status", "Active")
	e.ok("alice", "sts", "get-caller-identity")
	e.fails("DeleteConflict", "a", "iam", "delete-user", "--user-name", "alice")
	e.ok("a", "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", keyID)
	e.fails("InvalidClientTokenId", "alice", "sts", "get-caller-identity")
	e.ok("a", "iam", "delete-user", "--user-name", "alice")

	// Roles.
	e.fails("MalformedPolicyDocument", "a", "iam", "create-role", "--role-name", "r", "--assume-role-policy-document", allowAll)
	r := e.ok("a", "iam", "create-role", "--role-name", "r", "--assume-role-policy-document", trustAccountB)
	if get(r, "Role", "Arn") != "arn:aws:iam::111111111111:role/r" {
		t.Errorf("create-role: %v", r)
	}
	if got := get(e.ok("a", "iam", "get-role", "--role-name", "r"), "Role", "AssumeRolePolicyDocument", "Statement"); got == nil {
		t.Errorf("get-role: trust policy not returned as JSON")
	}
	e.ok("a", "iam", "update-assume-role-policy", "--role-name", "r", "--policy-document", strings.ReplaceAll(trustAccountB, "222222222222", "111111111111"))
	if roles := get(e.ok("a", "iam", "list-roles"), "Roles").([]any); len(roles) != 1 {
		t.Errorf("list-roles: got %d", len(roles))
	}
	e.ok("a", "iam", "put-role-policy", "--role-name", "r", "--policy-name", "p", "--policy-document", readOnlyIAM)
	e.ok("a", "iam", "get-role-policy", "--role-name", "r", "--policy-name", "p")
	if names := get(e.ok("a", "iam", "list-role-policies", "--role-name", "r"), "PolicyNames").([]any); len(names) != 1 {
		t.Errorf("list-role-policies: got %v", names)
	}
	e.ok("a", "iam", "attach-role-policy", "--role-name", "r", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if att := get(e.ok("a", "iam", "list-attached-role-policies", "--role-name", "r"), "AttachedPolicies").([]any); len(att) != 1 {
		t.Errorf("list-attached-role-policies: got %v", att)
	}
	e.fails("DeleteConflict", "a", "iam", "delete-role", "--role-name", "r")
	e.ok("a", "iam", "detach-role-policy", "--role-name", "r", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	e.ok("a", "iam", "delete-role-policy", "--role-name", "r", "--policy-name", "p")
	e.ok("a", "iam", "delete-role", "--role-name", "r")
	e.fails("NoSuchEntity", "a", "iam", "get-role", "--role-name", "r")
}

func TestUnsignedAndForgedRequestsAreRefused(t *testing.T) {
	e := newEnv(t)
	e.profile("forged", iam.Credentials{AccessKeyID: e.accounts["a"].AccessKeyID, SecretAccessKey: "not-the-secret-0000000000000000000000000"})
	e.fails("SignatureDoesNotMatch", "forged", "sts", "get-caller-identity")
	e.profile("unknown", iam.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "x"})
	e.fails("InvalidClientTokenId", "unknown", "sts", "get-caller-identity")
	_, stderr, err := e.aws("a", "sts", "get-caller-identity", "--no-sign-request")
	if err == nil || !strings.Contains(stderr, "MissingAuthenticationToken") {
		t.Errorf("unsigned request: got %v %s; want MissingAuthenticationToken", err, stderr)
	}
}
