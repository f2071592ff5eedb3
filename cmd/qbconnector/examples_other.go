//go:build !windows

package main

import "github.com/qbconnect/qbconnect/internal/clidoc"

// osExamples: off Windows, service is hidden and has no commands.
var osExamples = clidoc.Examples{}
