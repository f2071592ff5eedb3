package signing

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
)

// FileDigest hashes the file at path with h, checking ctx between blocks
// so that a cancelled caller does not wait for a huge file.
func FileDigest(ctx context.Context, path string, h crypto.Hash) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	d := h.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := f.Read(buf)
		d.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("signing: reading %s: %w", path, err)
		}
	}
	return d.Sum(nil), nil
}

// Format is the file format that decides how a file is signed.
type Format string

// The formats DetectFormat reports.
const (
	// FormatPE is a PE/COFF image: a Windows .exe, .dll or .sys.
	FormatPE Format = "pe"
	// FormatMSI is a compound document, as Windows Installer packages are.
	FormatMSI Format = "msi"
	// FormatOther is any other file; it is signed with a detached signature.
	FormatOther Format = "other"
)

// DetachedSuffix is appended to a file's name to name its detached
// signature.
const DetachedSuffix = ".p7s"

var compoundMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// DetectFormat reads the first bytes of a file to tell PE images ("MZ") and
// compound documents (MSI) from other files. The extension is not used.
func DetectFormat(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("signing: reading %s: %w", path, err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("MZ")):
		return FormatPE, nil
	case bytes.Equal(head, compoundMagic):
		return FormatMSI, nil
	default:
		return FormatOther, nil
	}
}
