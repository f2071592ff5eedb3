//go:build windows

package main

import "github.com/qbconnect/qbconnect/internal/clidoc"

// osExamples are the examples of the Windows service commands.
var osExamples = clidoc.Examples{
	"service":           `qbconnector service install`,
	"service install":   `qbconnector service install`,
	"service uninstall": `qbconnector service uninstall`,
	"service run":       `qbconnector service run                            # started by the service manager`,
	"tray":              `qbconnector tray                                   # started at logon by the installer`,
}
