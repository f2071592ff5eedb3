package store_test

import (
	"os"
	"testing"

	"github.com/qbconnect/qbconnect/store/storetest"
)

// postgresDSN returns a per-test schema factory on the database named by
// QBCONNECT_TEST_POSTGRES, or skips the test when it is not set.
func postgresDSN(tb testing.TB) storetest.DSNFunc {
	tb.Helper()
	base := os.Getenv("QBCONNECT_TEST_POSTGRES")
	if base == "" {
		tb.Skip("QBCONNECT_TEST_POSTGRES is not set; .ci/run sets it to a fresh database")
	}
	return storetest.PostgresDSN(base)
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, postgresDSN(t))
}
