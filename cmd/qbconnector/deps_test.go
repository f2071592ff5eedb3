package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The connector verifies signatures (its own, and each update's) but never
// signs, so it must not link the signing stack: relic's Authenticode
// signer and certificate loader, and through them OpenPGP, the OS keyring
// and D-Bus. They would grow the signed binary that users install and put
// code it never runs in front of antivirus heuristics.
func TestConnectorLinksNoSigningStack(t *testing.T) {
	banned := []string{
		"github.com/sassoftware/relic/v8/lib/certloader",
		"github.com/sassoftware/relic/v8/lib/authenticode",
		"github.com/sassoftware/relic/v8/lib/passprompt",
		"github.com/qbconnect/qbconnect/signing/sign",
		"github.com/ProtonMail/go-crypto/openpgp",
		"github.com/zalando/go-keyring",
		"github.com/godbus/dbus",
	}
	// The Windows tray library (fyne.io/systray) imports D-Bus for its
	// Linux notifier in every build; that is the tray's, not signing's.
	allowedImporters := map[string]bool{"fyne.io/systray": true, "fyne.io/systray/internal/generated/notifier": true, "github.com/godbus/dbus/v5": true, "github.com/godbus/dbus/v5/introspect": true}
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			importers := map[string][]string{}
			var all []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				all = append(all, f[0])
				for _, imp := range f[1:] {
					importers[imp] = append(importers[imp], f[0])
				}
			}
			if len(all) < 50 {
				t.Fatalf("go list found only %d packages; is this the connector?", len(all))
			}
			for _, pkg := range all {
				for _, b := range banned {
					if pkg != b && !strings.HasPrefix(pkg, b+"/") && !strings.HasPrefix(pkg, b+"/v") {
						continue
					}
					for _, by := range importers[pkg] {
						if !allowedImporters[by] {
							t.Errorf("the connector (GOOS=%s) links %s, imported by %s", goos, pkg, by)
						}
					}
				}
			}
		})
	}
}
