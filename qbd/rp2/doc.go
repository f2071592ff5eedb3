// Package rp2 is the qbd driver for QuickBooks Desktop itself on Windows:
// it drives Intuit's QBXMLRP2 request processor ("QBXMLRP2.RequestProcessor")
// through COM IDispatch calls with go-ole, without cgo. COM exceptions become
// *qbd.Error values carrying QuickBooks' HRESULT (the exception's scode).
//
// The driver itself builds only for Windows (GOOS=windows CGO_ENABLED=0);
// on other systems the package holds only the error mapping.
package rp2
