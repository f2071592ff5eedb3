//go:build !unix

package syncengine_test

import "time"

// processCPU is not measured on this system.
func processCPU() time.Duration { return 0 }

// threadCPU runs fn; its CPU time is not measured on this system.
func threadCPU(fn func()) time.Duration {
	fn()
	return 0
}
