//go:build !windows

package main

import (
	"runtime"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/qbd"
)

// comProcessor is unavailable: QuickBooks Desktop runs only on Windows. The
// problem says so and how to use the simulator instead.
func comProcessor() (qbd.RequestProcessor, error) {
	return nil, connector.ErrQuickBooksNotOnThisSystem(runtime.GOOS)
}
