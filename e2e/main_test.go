package e2e

import (
	"os"
	"testing"

	"github.com/qbconnect/qbconnect/internal/testenv"
)

// bins are the binaries built once for the package; browser is one
// Chromium shared by the tests, a tab each.
var (
	bins    *testenv.Binaries
	browser *testenv.Browser
)

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBrowser(m, &bins, &browser))
}
