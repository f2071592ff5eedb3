package control_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goList runs go list with args in the module and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// TestTheAdaptersDependOnTheControlPlaneNotOnTheStore checks which way the
// platform's packages import: the REST API is an adapter on the control
// plane and never reaches the store; the Web Connector endpoint never
// reaches the REST API; the control plane speaks no HTTP.
func TestTheAdaptersDependOnTheControlPlaneNotOnTheStore(t *testing.T) {
	const mod = "github.com/qbconnect/qbconnect/"
	for _, c := range []struct {
		pkg, forbidden string
	}{
		{"./api", mod + "store"},
		{"./api", mod + "notify"},
		{"./qbwc", mod + "api"},
		{"./qbwc", mod + "store"},
		{"./control", mod + "store"},
		{"./control", mod + "api"},
		// The control plane speaks no HTTP, not even through the gateway
		// package (its HTTP client is gateway/gatewayclient).
		{"./control", "net/http"},
		{"./gateway", "net/http"},
	} {
		if deps := goList(t, "-deps", c.pkg); slices.Contains(deps, c.forbidden) {
			t.Errorf("go list -deps %s contains %s", c.pkg, c.forbidden)
		}
	}
	if deps := goList(t, "-deps", "./api"); !slices.Contains(deps, mod+"control") {
		t.Error("the REST API does not use the control plane")
	}
	if deps := goList(t, "-deps", "./qbwc"); !slices.Contains(deps, mod+"control") {
		t.Error("the Web Connector endpoint does not use the control plane")
	}
}
