// Package testkit holds what the conformance modules (nomad, goplugin) share. It uses the standard library only,
// so each module keeps its own pinned go-plugin and gRPC.
package testkit

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// DriverBinary returns the absolute path of POT_DRIVER_BIN, or else of the repository's linux build as seen from
// a conformance module's directory (where go test runs its tests); the test fails when it is absent.
func DriverBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("POT_DRIVER_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "..", "dist", "pot-task-driver-linux-x64")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatalf("resolving driver binary %q: %v", bin, err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("driver binary missing (%v): build it with `bun run build` or set POT_DRIVER_BIN", err)
	}
	return abs
}

// WaitFor polls cond every 10ms until it holds (true) or limit passes (false, after one last try).
func WaitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
