package signingtest

import (
	"bytes"
	"crypto/sha256"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sassoftware/relic/v8/lib/comdoc"

	"github.com/qbconnect/qbconnect/signing"
)

// TinyPE writes a minimal but well-formed 64-bit Windows console executable
// (one .text section whose code returns 0) to a new file and returns its
// path. It is built in memory in microseconds; osslsigncode and Windows'
// Authenticode code accept it. Different names give images with different
// content, so their signatures differ.
func TinyPE(tb testing.TB, name ...string) string {
	tb.Helper()
	label := "qbconnect test program"
	if len(name) > 0 {
		label = name[0]
	}
	return writePE(tb, label, 0)
}

// SizedPE is TinyPE with a .text section of at least size bytes (filled
// with pseudo-random bytes after the code), for benchmarks and tests of
// large executables.
func SizedPE(tb testing.TB, name string, size int) string {
	tb.Helper()
	return writePE(tb, name, size)
}

func writePE(tb testing.TB, label string, size int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fileName(label)+".exe")
	if err := os.WriteFile(path, tinyPE(label, size), 0o755); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	return path
}

func tinyPE(label string, size int) []byte {
	const (
		fileAlign = 0x200
		sectAlign = 0x1000
		textRVA   = 0x1000
	)
	textSize := (max(size, 16+len(label)) + fileAlign - 1) / fileAlign * fileAlign
	text := make([]byte, textSize)
	fillPseudoRandom(text[16+len(label):], label)
	copy(text, []byte{0x31, 0xC0, 0xC3}) // xor eax, eax; ret
	copy(text[16:], label)
	virtSize := (textSize + sectAlign - 1) / sectAlign * sectAlign

	var b bytes.Buffer
	dos := make([]byte, 64)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3C:], 64)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(pe.FileHeader{
		Machine:              pe.IMAGE_FILE_MACHINE_AMD64,
		NumberOfSections:     1,
		SizeOfOptionalHeader: uint16(binary.Size(pe.OptionalHeader64{})),
		Characteristics:      pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_LARGE_ADDRESS_AWARE,
	})
	w(pe.OptionalHeader64{
		Magic:                       0x20B,
		MajorLinkerVersion:          14,
		SizeOfCode:                  uint32(textSize),
		AddressOfEntryPoint:         textRVA,
		BaseOfCode:                  textRVA,
		ImageBase:                   0x140000000,
		SectionAlignment:            sectAlign,
		FileAlignment:               fileAlign,
		MajorOperatingSystemVersion: 6,
		MajorSubsystemVersion:       6,
		SizeOfImage:                 uint32(textRVA + virtSize),
		SizeOfHeaders:               fileAlign,
		Subsystem:                   pe.IMAGE_SUBSYSTEM_WINDOWS_CUI,
		DllCharacteristics:          pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT | pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE | pe.IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA | pe.IMAGE_DLLCHARACTERISTICS_TERMINAL_SERVER_AWARE,
		SizeOfStackReserve:          0x100000,
		SizeOfStackCommit:           0x1000,
		SizeOfHeapReserve:           0x100000,
		SizeOfHeapCommit:            0x1000,
		NumberOfRvaAndSizes:         16,
	})
	var sh pe.SectionHeader32
	copy(sh.Name[:], ".text")
	sh.VirtualSize = uint32(textSize)
	sh.VirtualAddress = textRVA
	sh.SizeOfRawData = uint32(textSize)
	sh.PointerToRawData = fileAlign
	sh.Characteristics = pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_EXECUTE | pe.IMAGE_SCN_MEM_READ
	w(sh)
	b.Write(make([]byte, fileAlign-b.Len()))
	b.Write(text)
	return b.Bytes()
}

// fillPseudoRandom fills b with incompressible bytes derived from seed.
func fillPseudoRandom(b []byte, seed string) {
	block := sha256.Sum256([]byte(seed))
	for i := 0; i < len(b); i += len(block) {
		copy(b[i:], block[:])
		block = sha256.Sum256(block[:])
	}
}

const goProgram = `package main

import "fmt"

func main() { fmt.Println(%q) }
`

// GoWindowsExe builds a small Go program for windows/amd64 that prints
// message, and returns the executable's path. It skips the test when no Go
// toolchain is found. The first build in a fresh build cache compiles the
// Windows standard library (tens of seconds); later ones take about a second.
func GoWindowsExe(tb testing.TB, message string) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("signingtest: no go toolchain on PATH to build a Windows executable")
	}
	dir := tb.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, fmt.Appendf(nil, goProgram, message), 0o644); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	out := filepath.Join(dir, "program.exe")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=on", "GOWORK=off")
	if outp, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("signingtest: building Windows executable: %v\n%s", err, outp)
	}
	return out
}

const wxsTemplate = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="%[1]s" Manufacturer="qbconnect tests" Version="1.0.0" Language="1033"
           UpgradeCode="8F1C2B57-6A0E-4C43-9A43-2E5F0C6B7D11">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine" Description="%[1]s"/>
    <Media Id="1" Cabinet="payload.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="qbconnect-test">
          <Component Id="Payload" Guid="2C7B1E4A-93D5-4F0B-8E61-0A4D7C9B3F25">
            <File Id="PayloadFile" Name="payload.bin" Source="payload.bin" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1">
      <ComponentRef Id="Payload"/>
    </Feature>
  </Product>
</Wix>
`

// MSI builds a small Windows Installer package with wixl (Debian package
// wixl) and returns its path; it skips the test when wixl is not installed.
// The package installs one 64 KiB file of pseudo-random (incompressible)
// bytes derived from name, so packages with different names differ.
func MSI(tb testing.TB, name string) string {
	tb.Helper()
	wixl, err := exec.LookPath("wixl")
	if err != nil {
		tb.Skip("signingtest: wixl is not installed (apt-get install wixl); skipping MSI test")
	}
	dir := tb.TempDir()
	payload := make([]byte, 64<<10)
	fillPseudoRandom(payload, name)
	if err := os.WriteFile(filepath.Join(dir, "payload.bin"), payload, 0o644); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	escaped := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(name)
	if err := os.WriteFile(filepath.Join(dir, "package.wxs"), fmt.Appendf(nil, wxsTemplate, escaped), 0o644); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	out := filepath.Join(dir, fileName(name)+".msi")
	cmd := exec.Command(wixl, "-o", out, "package.wxs")
	cmd.Dir = dir
	if outp, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("signingtest: wixl: %v\n%s", err, outp)
	}
	return out
}

// CopyFile copies the file at path into a new temporary directory and
// returns the copy's path (same base name), so that a test can sign or
// tamper with a copy.
func CopyFile(tb testing.TB, path string) string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	out := filepath.Join(tb.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, data, info.Mode().Perm()); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	return out
}

// Tamper flips one byte of the file at path that its signature covers: in
// the first section of a PE image, in the largest stream of an MSI, in the
// middle of any other file. The file keeps its structure, so verifiers
// must notice the change from the digest, not from a parse error. It
// returns the offset it changed.
func Tamper(tb testing.TB, path string) int64 {
	tb.Helper()
	format, err := signing.DetectFormat(path)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	var offset int64
	switch format {
	case signing.FormatPE:
		offset = peOffset(tb, path)
	case signing.FormatMSI:
		offset = msiOffset(tb, path)
	default:
		info, err := os.Stat(path)
		if err != nil {
			tb.Fatalf("signingtest: %v", err)
		}
		if info.Size() == 0 {
			tb.Fatalf("signingtest: cannot tamper with empty file %s", path)
		}
		offset = info.Size() / 2
	}
	FlipByte(tb, path, offset)
	return offset
}

// FlipByte inverts the bits of the byte at offset in the file at path.
func FlipByte(tb testing.TB, path string, offset int64) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		tb.Fatalf("signingtest: reading byte %d of %s: %v", offset, path, err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, offset); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
}

func peOffset(tb testing.TB, path string) int64 {
	tb.Helper()
	f, err := pe.Open(path)
	if err != nil {
		tb.Fatalf("signingtest: %s: %v", path, err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Size > 0 {
			return int64(s.Offset) + int64(s.Size)/2
		}
	}
	tb.Fatalf("signingtest: %s has no section with data", path)
	return 0
}

func msiOffset(tb testing.TB, path string) int64 {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	defer f.Close()
	doc, err := comdoc.ReadFile(f)
	if err != nil {
		tb.Fatalf("signingtest: %s: %v", path, err)
	}
	entries, err := doc.ListDir(nil)
	if err != nil {
		tb.Fatalf("signingtest: %s: %v", path, err)
	}
	var best *comdoc.DirEnt
	for _, e := range entries {
		name := e.Name()
		if e.Type != comdoc.DirStream || strings.Contains(name, "DigitalSignature") {
			continue
		}
		if best == nil || e.StreamSize > best.StreamSize {
			best = e
		}
	}
	if best == nil || best.StreamSize < doc.Header.MinStdStreamSize {
		tb.Fatalf("signingtest: %s has no stream large enough to tamper with", path)
	}
	// The first sector of a regular stream; sector n starts at
	// FirstSector + n*SectorSize.
	offset := doc.FirstSector + int64(best.NextSector)*int64(doc.SectorSize) + 100
	// Make sure the offset is inside the file.
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		tb.Fatalf("signingtest: %v", err)
	}
	return offset
}
