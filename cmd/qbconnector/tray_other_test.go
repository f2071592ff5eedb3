//go:build !windows

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestTrayOffWindowsSaysItIsWindowsOnly: "qbconnector tray" off Windows
// exits 1 and says the tray app is Windows-only, pointing to the UI.
func TestTrayOffWindowsSaysItIsWindowsOnly(t *testing.T) {
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), []string{"tray", "--data-dir", t.TempDir()}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "runs on Windows only") || !strings.Contains(errb.String(), "qbconnector ui") {
		t.Errorf("qbconnector tray: exit %d, stderr %q; want 1 and that it runs on Windows only", code, errb.String())
	}
}
