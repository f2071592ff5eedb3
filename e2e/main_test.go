package e2e

import (
	"fmt"
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
	os.Exit(run(m))
}

func run(m *testing.M) int {
	b, err := testenv.StartBrowser()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.Close()
	browser = b
	return testenv.Main(m, &bins)
}
