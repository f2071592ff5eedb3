//go:build !windows

package connector

// programData is Windows' machine-wide data folder; DefaultDataDir asks for
// it only on Windows.
func programData() string { return `C:\ProgramData` }
