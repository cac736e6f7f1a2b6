package jemallocprof

import (
	"os"
	"testing"
)

// requireOrSkip skips the test with why, except in CI (CI=true), where
// a missing prerequisite is a failure: CI installs everything the tests
// need, so a skip there would hide a broken set-up.
func requireOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}
