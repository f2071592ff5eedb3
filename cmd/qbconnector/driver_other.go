//go:build !windows

package main

import (
	"errors"

	"github.com/qbconnect/qbconnect/qbd"
)

// comProcessor is unavailable: QuickBooks Desktop runs only on Windows.
func comProcessor() (qbd.RequestProcessor, error) {
	return nil, errors.New("QuickBooks Desktop runs only on Windows: link with --qbdsim URL to use the simulator")
}
