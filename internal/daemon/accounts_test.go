package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/prereq"
)

// callerIdentity runs the real aws CLI with the AWS CLI files kafkalink
// wrote and returns the account sts get-caller-identity names.
func callerIdentity(t *testing.T, info DevInfo, profile string) string {
	t.Helper()
	aws := prereq.Tool(t, "aws")
	cmd := exec.Command(aws, "--profile", profile, "--endpoint-url", info.API, "sts", "get-caller-identity")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+info.AWSConfigFile, "AWS_SHARED_CREDENTIALS_FILE="+info.AWSCredentialsFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws --profile %s sts get-caller-identity: %v\n%s", profile, err, out)
	}
	var id struct{ Account, Arn string }
	if err := json.Unmarshal(out, &id); err != nil {
		t.Fatalf("get-caller-identity output %q: %v", out, err)
	}
	return id.Account
}

// kafkalink dev's demo accounts work with the aws CLI as the issue's
// one-liner uses it, and keep their keys across restarts.
func TestDevAccountsWithAWSCLI(t *testing.T) {
	prereq.Tool(t, "aws")
	dir := t.TempDir()
	o := devOptions(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := StartDev(ctx, o, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := readDevJSON(t, dir)
	if info.API == "" || info.Region != DevRegion || len(info.Accounts) != 2 {
		t.Fatalf("dev.json: got api %q, region %q, %d accounts; want an api, %s and 2 accounts", info.API, info.Region, len(info.Accounts), DevRegion)
	}
	for _, a := range info.Accounts {
		if got := callerIdentity(t, info, a.Profile); got != a.ID {
			t.Errorf("profile %s: got account %s; want %s", a.Profile, got, a.ID)
		}
	}
	for _, f := range []string{info.AWSConfigFile, info.AWSCredentialsFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: got %v, %v; want mode 0600", f, fi.Mode(), err)
		}
	}
	d.Close()
	d2, err := StartDev(ctx, o, Options{})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { d2.Close() })
	again := readDevJSON(t, dir)
	for i, a := range again.Accounts {
		if a.AccessKeyID != info.Accounts[i].AccessKeyID || a.SecretAccessKey != info.Accounts[i].SecretAccessKey {
			t.Errorf("account %s: key changed across a restart", a.ID)
		}
	}
	if got := callerIdentity(t, again, "kl-b"); got != "222222222222" {
		t.Errorf("after restart: got account %s; want 222222222222", got)
	}
	state, err := os.ReadFile(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(state, []byte(info.Accounts[0].SecretAccessKey)) {
		t.Error("state.db holds a secret access key in the clear")
	}
}
