package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kafkalink/kafkalink/internal/daemon"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
)

const policyUsage = `Usage:
  kafkalink policy simulate --principal ARN --action ACTION [--resource ARN]
      [--identity-policy FILE]... [--resource-policy FILE] [--resource-account ID]
      [--context KEY=VALUE]... [--state-dir DIR] [--json]

Evaluates one request with kafkalink's policy engine and explains the
decision: which statement of which policy allowed or denied it, or that
nothing matched. --state-dir adds the principal's stored identity policies
(kafkalink must not be running on that directory).
`

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// simulation is what `kafkalink policy simulate --json` prints.
type simulation struct {
	Principal string   `json:"principal"`
	Action    string   `json:"action"`
	Resource  string   `json:"resource"`
	Decision  string   `json:"decision"` // Allow, ExplicitDeny, ImplicitDeny
	Allowed   bool     `json:"allowed"`
	Reason    string   `json:"reason"`
	Matched   []string `json:"matched_statements"`
}

func policyCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "simulate" {
		fmt.Fprint(stderr, policyUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("policy simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var identityFiles, contextKV listFlag
	principal := fs.String("principal", "", "the caller: account id, user, role or assumed-role ARN, or anonymous")
	action := fs.String("action", "", `the action, e.g. kafka-cluster:Connect`)
	resource := fs.String("resource", "*", "the resource ARN")
	resourceAccount := fs.String("resource-account", "", "the account owning the resource (default: the resource ARN's, else the principal's)")
	resourceFile := fs.String("resource-policy", "", "the resource's policy (a cluster policy, a trust policy …), a JSON file")
	stateDir := fs.String("state-dir", "", "also evaluate the principal's identity policies stored in this state directory")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	fs.Var(&identityFiles, "identity-policy", "an identity policy of the principal, a JSON file (repeatable)")
	fs.Var(&contextKV, "context", "a condition key and value, KEY=VALUE (repeat a key for several values)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *principal == "" || *action == "" {
		fmt.Fprint(stderr, policyUsage)
		return errUsage
	}
	p, err := iam.ParsePrincipal(*principal)
	if err != nil {
		return err
	}
	req := policy.Request{Principal: p, Action: *action, Resource: *resource, ResourceAccount: *resourceAccount, Context: map[string][]string{}}
	if req.ResourceAccount == "" {
		if f := strings.SplitN(*resource, ":", 6); len(f) == 6 && len(f[4]) == 12 {
			req.ResourceAccount = f[4]
		}
	}
	for _, kv := range contextKV {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--context %q: want KEY=VALUE", kv)
		}
		req.Context[k] = append(req.Context[k], v)
	}
	var identity []policy.Named
	for _, f := range identityFiles {
		n, err := readPolicy(f, "identity policy "+f, policy.Identity)
		if err != nil {
			return err
		}
		identity = append(identity, n)
	}
	var resourcePolicy *policy.Named
	if *resourceFile != "" {
		n, err := readPolicy(*resourceFile, "resource policy "+*resourceFile, policy.Resource)
		if err != nil {
			return err
		}
		resourcePolicy = &n
	}
	switch {
	case *stateDir != "":
		stored, caller, err := storedPolicies(*stateDir, p)
		if err != nil {
			return err
		}
		identity, req.Principal = append(identity, stored...), caller
	case p.Kind == policy.Root:
		identity = append(identity, iam.RootPolicy(p.Account))
	}
	d := policy.Evaluate(req, identity, resourcePolicy)
	out := simulation{Principal: *principal, Action: *action, Resource: *resource, Decision: d.Effect, Allowed: d.Allowed, Reason: d.Reason, Matched: []string{}}
	for _, m := range d.Matches {
		out.Matched = append(out.Matched, m.Effect+" "+m.String())
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "decision: %s\nreason:   %s\n", out.Decision, out.Reason)
	if len(out.Matched) > 0 {
		fmt.Fprintln(stdout, "matched statements:")
		for _, m := range out.Matched {
			fmt.Fprintf(stdout, "  %s\n", m)
		}
	}
	return nil
}

// readPolicy reads and parses a policy file.
func readPolicy(path, name string, kind policy.Kind) (policy.Named, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return policy.Named{}, err
	}
	p, err := policy.Parse(string(b), kind)
	if err != nil {
		return policy.Named{}, fmt.Errorf("%s: %w", path, err)
	}
	return policy.Named{Name: name, Policy: p}, nil
}

// storedPolicies are the identity policies a state directory keeps for the
// principal, and the principal with the identifiers IAM gave it.
func storedPolicies(stateDir string, p policy.Principal) ([]policy.Named, policy.Principal, error) {
	svc, closeStore, err := daemon.OpenIAM(stateDir)
	if err != nil {
		return nil, p, err
	}
	defer closeStore()
	ctx := context.Background()
	c, err := svc.CallerFor(ctx, p)
	if err != nil {
		return nil, p, err
	}
	named, err := svc.IdentityPolicies(ctx, c)
	return named, c.Principal, err
}
