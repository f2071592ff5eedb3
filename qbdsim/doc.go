// Package qbdsim is a QuickBooks Desktop simulator: it stands where
// QuickBooks stands, for the demo, the tests and the benchmarks.
//
// A Simulator keeps QuickBooks' state (running or closed, started in the
// background for an application that may log in automatically, the open
// company file with its mode and logged-in user, a modal dialog), the
// connections and sessions of integrated applications, each company file's
// Integrated Applications preferences, and the authorization dialogs
// QuickBooks shows its administrator. It verifies the calling program's code
// signature itself, so a program re-signed with another certificate is a new
// application to it, as it is to QuickBooks. Faults (HRESULTs, modal dialogs,
// QuickBooks closing, slow responses) can be injected.
//
// The simulator is a qbd driver in-process ([Simulator.NewProcessor]); its
// HTTP server (package qbdsim/server) serves the same to other processes,
// with a web UI. Company files and their qbXML processing are package
// qbdsim/companyfile.
//
// It imports qbd, signing and companyfile, never the platform or the
// connector.
package qbdsim
