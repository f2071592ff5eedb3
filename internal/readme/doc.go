// Package readme holds the test that keeps README.md true: it runs every
// command that the README shows in a code block and that can run on this
// machine, against real processes, and fails when one fails. It has no
// non-test code; see readme_test.go for the rules that decide how each
// command runs, and commands_test.go for how commands are found.
//
//	go test ./internal/readme -v    # each command, as a subtest named after its README line
package readme
