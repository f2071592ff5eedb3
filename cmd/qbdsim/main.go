// Command qbdsim is the QuickBooks Desktop simulator: it keeps company files,
// QuickBooks' state and its Integrated Applications preferences, and serves a
// request processor to out-of-process connectors.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "qbdsim: not built yet")
	os.Exit(1)
}
