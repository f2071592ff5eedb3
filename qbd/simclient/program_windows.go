//go:build windows

package simclient

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// wineUnixFileName is Wine's kernel32 export that names the host file behind
// a Windows path; it exists only under Wine.
var (
	kernel32         = windows.NewLazySystemDLL("kernel32.dll")
	wineUnixFileName = kernel32.NewProc("wine_get_unix_file_name")
	getProcessHeap   = kernel32.NewProc("GetProcessHeap")
	heapFree         = kernel32.NewProc("HeapFree")
)

// hostPath returns the path under which the simulator, a program of the host
// system, can read the calling program. On Windows that is the path itself;
// under Wine (the connector's Windows build in tests, with the simulator
// running natively beside it) it is the host's name of the file, which Wine
// tells (C:\x and Z:\tmp\x are Wine's names for host folders).
func hostPath(p string) string {
	if p == "" || wineUnixFileName.Find() != nil {
		return p
	}
	w, err := windows.UTF16PtrFromString(p)
	if err != nil {
		return p
	}
	r, _, _ := wineUnixFileName.Call(uintptr(unsafe.Pointer(w)))
	if r == 0 {
		return p
	}
	// Wine allocates the answer on the process heap; the caller frees it.
	if h, _, _ := getProcessHeap.Call(); h != 0 {
		defer heapFree.Call(h, 0, r)
	}
	// r is memory Wine's C code returned, not Go's: reading it through a
	// pointer made from the integer is what the export's contract asks.
	return windows.BytePtrToString((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&r))))
}
