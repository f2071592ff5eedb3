// Command updatee stands in for a connector build in the self-update tests:
// started by an update, it confirms through the platform like the real
// connector, records its version and PID, and runs until stopped. Built
// with -X main.broken=1 it fails at once, like a release that cannot start.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
)

var (
	version = "dev"
	broken  = ""
)

func main() {
	if broken != "" {
		fmt.Fprintln(os.Stderr, "updatee: this build is broken on purpose")
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := gatewayclient.New(os.Getenv("UPDATEE_PLATFORM"), gatewayclient.Options{Credential: os.Getenv("UPDATEE_CREDENTIAL")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "updatee:", err)
		os.Exit(2)
	}
	if _, err := connector.ConfirmUpdate(ctx, c, os.Getenv("UPDATEE_FROM"), version); err != nil {
		fmt.Fprintln(os.Stderr, "updatee:", err)
		os.Exit(2)
	}
	if err := os.WriteFile(os.Getenv("UPDATEE_MARKER"), []byte(fmt.Sprintf("%s %d", version, os.Getpid())), 0o644); err != nil {
		os.Exit(2)
	}
	<-ctx.Done()
}
