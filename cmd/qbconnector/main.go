// Command qbconnector is the desktop connector that runs next to QuickBooks
// Desktop and carries work between the platform and QuickBooks.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "qbconnector: not built yet")
	os.Exit(1)
}
