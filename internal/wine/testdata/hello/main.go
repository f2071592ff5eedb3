// Command hello is the smallest Go program for Windows that the Wine tests
// run: the Go runtime calls ProcessPrng before main, crypto/rand reads it
// again, and the program prints what Windows told it.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
)

func main() {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		fmt.Fprintln(os.Stderr, "crypto/rand:", err)
		os.Exit(1)
	}
	fmt.Printf("hello from %s/%s, ProgramData=%s, random=%x\n", runtime.GOOS, runtime.GOARCH, os.Getenv("ProgramData"), b)
}
