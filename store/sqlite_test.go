package store_test

import (
	"testing"

	"github.com/qbconnect/qbconnect/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, storetest.SQLiteDSN)
}
