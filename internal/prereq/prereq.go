// Package prereq is how kafkalink's tests ask for what they need from the
// machine (a command-line client, root, a runtime): on a laptop a missing
// prerequisite skips the test with a clear message; in CI (CI=true) it fails
// it, because .ci/run installs everything the tests need.
package prereq

import (
	"os"
	"os/exec"
	"testing"
)

// Missing skips the test, or, in CI, fails it, saying why.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required in CI (.ci/run installs it): %s", why)
	}
	t.Skipf("skipping: %s (CI installs it)", why)
}

// Tool returns the path of a command-line tool, or reports it Missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return p
}
