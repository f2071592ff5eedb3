package main

import (
	"maps"

	"github.com/qbconnect/qbconnect/internal/clidoc"
)

// examples are the help's examples of every command, by path below
// qbconnector (those of Windows-only commands in examples_windows.go);
// clidoc.Check (examples_test.go) fails on a command without one and on
// an example that no longer parses.
var examples = func() clidoc.Examples {
	ex := clidoc.Examples{
		"link": `qbconnector link --platform https://platform.example.com --code ABCD-1234
qbconnector link --platform http://127.0.0.1:8080 --code ABCD-1234 --qbdsim 127.0.0.1:8765   # the simulator, off Windows`,
		"run": `qbconnector run
qbconnector run --print-ui-url --update-interval 15m`,
		"status": `qbconnector status
qbconnector status --format json                   # for scripts: the local API's status`,
		"pause":  `qbconnector pause --for 8h`,
		"resume": `qbconnector resume`,
		"sync":   `qbconnector sync                                   # Perform Sync for every linked file`,
		"unlink": `qbconnector unlink --connection con_123`,
		"ui": `qbconnector ui
qbconnector ui --open                              # what the Start-menu shortcut runs`,
		"version": `qbconnector version
qbconnector version --format json                  # for an inventory: version, signer, build`,
	}
	maps.Copy(ex, osExamples)
	return ex
}()
