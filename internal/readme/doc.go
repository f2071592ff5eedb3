// Package readme holds the test that keeps README.md true: it runs every
// command that the README shows in a code block and that can run on this
// machine, against real processes, and fails when one fails. It has no
// non-test code.
//
//	go test ./internal/readme -v    # each command, as a subtest named after its README line
//
// Adding a command to the README usually needs no change here:
//
//   - Lines of indented blocks and of fenced blocks without an info string
//     (or sh, bash, shell, console) are commands; fence anything else
//     (diagrams, output, JSON) as ```text or ```json.
//   - Commands run in README order in one workspace folder, with the
//     project's binaries on PATH and as ./qbconnect, ./qbdsim and
//     ./qbconnector; `go run ./cmd/NAME` runs the built NAME. go commands
//     run in the repository, and what they write with -o lands in the
//     workspace.
//   - A running `qbconnect serve` on the workspace's qbconnect.db (the
//     README's --db sqlite:qbconnect.db) and a running `qbdsim serve` on
//     its companies folder (with the "always" policy) answer them;
//     QBCONNECT_SERVER, QBCONNECT_API_KEY and QBDSIM_ADDR point at them.
//   - $BASE, $KEY, $ORG, $COMPANY, $CONNECTION and $CODE get real values
//     (placeholders in readme_test.go); a new $NAME needs an entry there.
//     Illustrative literals (an API key prefix, the simulator's default
//     address) are replaced with real ones (literals).
//   - curl fails on an HTTP error status (a .curlrc with fail-with-body).
//   - Servers and the demo (servers in rules_test.go) are started, awaited
//     until they print their ready line, interrupted as Ctrl+C does, and
//     must exit cleanly; they listen on a free port whatever --addr says.
//   - `go test` with -run or -bench is checked with `go test -list`: the
//     pattern must name at least one test or benchmark.
//   - A command that cannot run here (another host, Windows, the whole
//     suite) must be listed in notHere with the reason; the test fails on
//     one that is not listed, and on a listed one that could run.
package readme
