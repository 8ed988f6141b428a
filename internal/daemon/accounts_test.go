package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/prereq"
)

// callerIdentity runs the real aws CLI with the AWS CLI files kafkalink
// wrote and returns the account sts get-caller-identity names.
func callerIdentity(t *testing.T, info DevInfo, profile string) string {
	t.Helper()
	var id struct{ Account, Arn string }
	mustCLI(t, info, profile, &id, "sts", "get-caller-identity")
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
