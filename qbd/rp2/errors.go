package rp2

import (
	"strings"

	"github.com/qbconnect/qbconnect/qbd"
)

// Windows HRESULTs the driver meets besides QuickBooks' own.
const (
	hrDispException uint32 = 0x80020009 // DISP_E_EXCEPTION: the real code is the exception's scode
)

// errorFor builds the error for a failed COM call: the HRESULT (the
// exception's scode when the call raised an exception) and QuickBooks'
// message for it. QuickBooks' own description is kept when the table has no
// text for the code, or when it differs (newer QuickBooks versions reword
// some messages); the table's text then stays in Message so that the same
// situation reads the same with every driver.
func errorFor(hr, scode uint32, description string) *qbd.Error {
	code := hr
	if hr == hrDispException && scode != 0 {
		code = scode
	}
	description = strings.TrimSpace(description)
	e := qbd.NewError(code)
	switch {
	case qbd.Message(code) == "Unknown QuickBooks request processor error." && description != "":
		e.Message = description
	case description != "" && description != e.Message:
		e.Err = descriptionError(description)
	}
	return e
}

// descriptionError is QuickBooks' own wording of an error, kept as the
// cause when it differs from the table's.
type descriptionError string

func (d descriptionError) Error() string { return "QuickBooks said: " + string(d) }
