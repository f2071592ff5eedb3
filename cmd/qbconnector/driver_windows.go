//go:build windows

package main

import (
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/rp2"
)

// comProcessor returns QuickBooks' own request processor (QBXMLRP2 over
// COM).
func comProcessor() (qbd.RequestProcessor, error) { return rp2.New("") }
