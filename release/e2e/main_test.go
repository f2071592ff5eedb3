package e2e

import (
	"os"
	"testing"

	"github.com/qbconnect/qbconnect/internal/testenv"
)

// bins are qbconnect, qbdsim and a qbconnector built once for the package.
var bins *testenv.Binaries

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &bins))
}
