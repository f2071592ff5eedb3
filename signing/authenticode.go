package signing

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"unicode/utf16"

	"github.com/sassoftware/relic/v8/lib/comdoc"
	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
	"github.com/sassoftware/relic/v8/lib/x509tools"
)

// This file reads and checks Authenticode signatures embedded in PE images
// and MSI packages. It is written on relic's CMS (lib/pkcs7), timestamp
// (lib/pkcs9) and compound document (lib/comdoc) packages only: relic's
// lib/authenticode also holds the signing side, which imports its
// certificate loader and, through it, OpenPGP, the OS keyring and D-Bus.
// The connector verifies signatures and never signs, so verification must
// not link those (TestConnectorLinksNoSigningStack checks it).

// Authenticode object identifiers (Microsoft's Authenticode PE format).
var (
	oidSpcIndirectDataContent = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}
	oidSpcPEImageData         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 15}
	oidSpcSipInfo             = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 30}
	oidSpcSpOpusInfo          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 12}
)

// spcIndirectDataContent is the signed content of an Authenticode
// signature: what was signed (a PE image, an MSI package) and its digest.
type spcIndirectDataContent struct {
	Data struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"optional"`
	}
	MessageDigest struct {
		DigestAlgorithm pkix.AlgorithmIdentifier
		Digest          []byte
	}
}

// spcSpOpusInfo is the signed attribute that carries the program's
// description and "more information" link. Each field is explicitly
// tagged and holds a choice, read by spcString (encoding/asn1 fills a
// RawValue with the outer tag, explicit or not).
type spcSpOpusInfo struct {
	ProgramName asn1.RawValue `asn1:"optional,tag:0"`
	MoreInfo    asn1.RawValue `asn1:"optional,tag:1"`
}

// spcString decodes an explicitly tagged SpcString: [0] a BMPString
// (UTF-16, big endian) or [1] an IA5String.
func spcString(outer asn1.RawValue) string {
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(outer.Bytes, &v); err != nil || v.Class != asn1.ClassContextSpecific {
		return ""
	}
	switch v.Tag {
	case 0:
		if len(v.Bytes)%2 != 0 {
			return ""
		}
		words := make([]uint16, len(v.Bytes)/2)
		for i := range words {
			words[i] = binary.BigEndian.Uint16(v.Bytes[2*i:])
		}
		return string(utf16.Decode(words))
	case 1:
		return string(v.Bytes)
	}
	return ""
}

// authenticodeSignature is an Authenticode signature whose CMS signature
// (and timestamp, if any) verified: who signed, the signed digest of the
// file, and the program description.
type authenticodeSignature struct {
	pkcs9.TimestampedSignature
	hash        crypto.Hash
	digest      []byte
	description string
}

// errNotSigned reports a file without an Authenticode signature.
var errNotSigned = errors.New("no Authenticode signature")

// parseAuthenticode verifies the CMS signature of an Authenticode blob and
// returns the digest it signs. dataType is the kind of content the
// signature must claim (PE image, SIP info for MSI).
func parseAuthenticode(der []byte, dataType asn1.ObjectIdentifier) (*authenticodeSignature, error) {
	psd, err := pkcs7.Unmarshal(der)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#7 signature: %w", err)
	}
	if !psd.Content.ContentInfo.ContentType.Equal(oidSpcIndirectDataContent) {
		return nil, fmt.Errorf("not an Authenticode signature (content type %v)", psd.Content.ContentInfo.ContentType)
	}
	// With no detached content, Verify checks the signature over the
	// embedded SpcIndirectDataContent.
	p7sig, err := psd.Content.Verify(nil, false)
	if err != nil {
		return nil, fmt.Errorf("the signature does not verify: %w", err)
	}
	ts, err := pkcs9.VerifyOptionalTimestamp(p7sig)
	if err != nil {
		return nil, fmt.Errorf("the timestamp does not verify: %w", err)
	}
	var indirect spcIndirectDataContent
	if err := psd.Content.ContentInfo.Unmarshal(&indirect); err != nil {
		return nil, fmt.Errorf("reading SpcIndirectDataContent: %w", err)
	}
	if !indirect.Data.Type.Equal(dataType) {
		return nil, fmt.Errorf("the signature is for content of type %v, not %v", indirect.Data.Type, dataType)
	}
	hash, err := x509tools.PkixDigestToHashE(indirect.MessageDigest.DigestAlgorithm)
	if err != nil {
		return nil, err
	}
	if len(indirect.MessageDigest.Digest) != hash.Size() {
		return nil, fmt.Errorf("the signed %s digest is %d bytes", hashName(hash), len(indirect.MessageDigest.Digest))
	}
	sig := &authenticodeSignature{TimestampedSignature: ts, hash: hash, digest: indirect.MessageDigest.Digest}
	var opus spcSpOpusInfo
	err = p7sig.SignerInfo.AuthenticatedAttributes.GetOne(oidSpcSpOpusInfo, &opus)
	switch {
	case err == nil:
		sig.description = spcString(opus.ProgramName)
	case errors.As(err, &pkcs7.ErrNoAttribute{}):
	default:
		return nil, fmt.Errorf("reading SpcSpOpusInfo: %w", err)
	}
	return sig, nil
}

// peLayout locates what Authenticode leaves out of a PE image's digest:
// the checksum field, the certificate table's directory entry, and the
// certificate table itself (at the end of the file).
type peLayout struct {
	checksumAt  int64 // offset of the 4-byte CheckSum field
	certDirAt   int64 // offset of the 8-byte security directory entry
	certStart   int64 // offset of the certificate table; 0 if none
	certSize    int64
	sizeOfImage int64 // the file's size
}

func readPELayout(f io.ReaderAt, size int64) (*peLayout, error) {
	var dos [64]byte
	if _, err := f.ReadAt(dos[:], 0); err != nil {
		return nil, fmt.Errorf("reading the DOS header: %w", err)
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return nil, errors.New("no MZ signature")
	}
	peAt := int64(binary.LittleEndian.Uint32(dos[0x3c:]))
	var hdr [24 + 2]byte // "PE\0\0", the COFF header, the optional header's magic
	if _, err := f.ReadAt(hdr[:], peAt); err != nil {
		return nil, fmt.Errorf("reading the PE header at %d: %w", peAt, err)
	}
	if !bytes.Equal(hdr[:4], []byte("PE\x00\x00")) {
		return nil, errors.New("no PE signature")
	}
	optAt := peAt + 24
	optSize := int64(binary.LittleEndian.Uint16(hdr[4+16:]))
	var countAt, dirsAt int64
	switch magic := binary.LittleEndian.Uint16(hdr[24:]); magic {
	case 0x10b: // PE32
		countAt, dirsAt = 92, 96
	case 0x20b: // PE32+
		countAt, dirsAt = 108, 112
	default:
		return nil, fmt.Errorf("unknown optional header magic %#x", magic)
	}
	const securityDir = 4
	if optSize < dirsAt+(securityDir+1)*8 {
		return nil, fmt.Errorf("the optional header (%d bytes) has no certificate table entry", optSize)
	}
	opt := make([]byte, optSize)
	if _, err := f.ReadAt(opt, optAt); err != nil {
		return nil, fmt.Errorf("reading the optional header: %w", err)
	}
	if n := binary.LittleEndian.Uint32(opt[countAt:]); n <= securityDir {
		return nil, fmt.Errorf("the optional header lists %d data directories, none for certificates", n)
	}
	dirAt := dirsAt + securityDir*8
	l := &peLayout{
		checksumAt:  optAt + 64,
		certDirAt:   optAt + dirAt,
		certStart:   int64(binary.LittleEndian.Uint32(opt[dirAt:])),
		certSize:    int64(binary.LittleEndian.Uint32(opt[dirAt+4:])),
		sizeOfImage: size,
	}
	if l.certSize == 0 {
		l.certStart = 0
		return l, nil
	}
	if l.certStart < optAt+optSize {
		return nil, fmt.Errorf("the certificate table (offset %d) overlaps the headers", l.certStart)
	}
	if l.certStart+l.certSize > size {
		return nil, fmt.Errorf("the certificate table (offset %d, %d bytes) extends past the end of the file (%d bytes)", l.certStart, l.certSize, size)
	}
	if l.certStart+l.certSize != size {
		return nil, fmt.Errorf("%d bytes follow the certificate table", size-l.certStart-l.certSize)
	}
	return l, nil
}

// firstCertificate returns the first WIN_CERTIFICATE of the table: the
// signature (nested signatures live inside it, as unsigned attributes).
func (l *peLayout) firstCertificate(f io.ReaderAt) ([]byte, error) {
	table := make([]byte, l.certSize)
	if _, err := f.ReadAt(table, l.certStart); err != nil {
		return nil, fmt.Errorf("reading the certificate table: %w", err)
	}
	if len(table) < 8 {
		return nil, errors.New("the certificate table is truncated")
	}
	length := int64(binary.LittleEndian.Uint32(table))
	const winCertTypePKCS = 2
	if length < 8 || length > int64(len(table)) {
		return nil, fmt.Errorf("the certificate entry claims %d bytes of %d", length, len(table))
	}
	if typ := binary.LittleEndian.Uint16(table[6:]); typ != winCertTypePKCS {
		return nil, fmt.Errorf("the certificate entry has type %d, not PKCS#7", typ)
	}
	return table[8:length], nil
}

// digest hashes a signed image as Authenticode does: everything up to the
// certificate table, less the checksum field and the table's directory
// entry. Headers and sections are contiguous in the images signers accept
// (and a signer pads the file to 8 bytes before appending the table, so
// the padding is in the file), so the file is hashed in order.
func (l *peLayout) digest(f io.ReaderAt, hash crypto.Hash) ([]byte, error) {
	end := l.sizeOfImage
	if l.certStart != 0 {
		end = l.certStart
	}
	d := hash.New()
	parts := [][2]int64{{0, l.checksumAt}, {l.checksumAt + 4, l.certDirAt}, {l.certDirAt + 8, end}}
	for _, p := range parts {
		if _, err := io.Copy(d, io.NewSectionReader(f, p[0], p[1]-p[0])); err != nil {
			return nil, fmt.Errorf("reading the image: %w", err)
		}
	}
	return d.Sum(nil), nil
}

// verifyPEFile reads a PE image's Authenticode signature and checks its
// CMS signature; digestErr reports whether the image still matches it.
func verifyPEFile(f *os.File) (sig *authenticodeSignature, digestErr error, err error) {
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	l, err := readPELayout(f, info.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("the PE headers are invalid: %w", err)
	}
	if l.certStart == 0 {
		return nil, nil, errNotSigned
	}
	blob, err := l.firstCertificate(f)
	if err != nil {
		return nil, nil, err
	}
	sig, err = parseAuthenticode(blob, oidSpcPEImageData)
	if err != nil {
		return nil, nil, err
	}
	got, err := l.digest(f, sig.hash)
	if err != nil {
		return sig, err, nil
	}
	if !hmac.Equal(got, sig.digest) {
		return sig, fmt.Errorf("digest mismatch: the image hashes to %x, the signature holds %x", got, sig.digest), nil
	}
	return sig, nil, nil
}

// MSI stream names of the signature and of the extended (metadata)
// digest.
const (
	msiSignatureStream   = "\x05DigitalSignature"
	msiSignatureExStream = "\x05MsiDigitalSignatureEx"
)

// verifyMSIFile reads an MSI package's Authenticode signature and checks
// its CMS signature; digestErr reports whether the package still matches.
func verifyMSIFile(f *os.File) (sig *authenticodeSignature, digestErr error, err error) {
	doc, err := comdoc.ReadFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("not a compound document: %w", err)
	}
	entries, err := doc.ListDir(nil)
	if err != nil {
		return nil, nil, err
	}
	var blob, ex []byte
	for _, e := range entries {
		var dst *[]byte
		switch e.Name() {
		case msiSignatureStream:
			dst = &blob
		case msiSignatureExStream:
			dst = &ex
		default:
			continue
		}
		r, err := doc.ReadStream(e)
		if err != nil {
			return nil, nil, err
		}
		if *dst, err = io.ReadAll(r); err != nil {
			return nil, nil, err
		}
	}
	if len(blob) == 0 {
		return nil, nil, errNotSigned
	}
	sig, err = parseAuthenticode(blob, oidSpcSipInfo)
	if err != nil {
		return nil, nil, err
	}
	d := sig.hash.New()
	if ex != nil {
		meta := sig.hash.New()
		if err := msiMetadata(doc, doc.RootStorage(), meta); err != nil {
			return sig, err, nil
		}
		sum := meta.Sum(nil)
		if !hmac.Equal(sum, ex) {
			return sig, fmt.Errorf("metadata digest mismatch: the package hashes to %x, MsiDigitalSignatureEx holds %x", sum, ex), nil
		}
		d.Write(sum)
	}
	if err := msiContent(doc, doc.RootStorage(), d); err != nil {
		return sig, err, nil
	}
	if got := d.Sum(nil); !hmac.Equal(got, sig.digest) {
		return sig, fmt.Errorf("digest mismatch: the package hashes to %x, the signature holds %x", got, sig.digest), nil
	}
	return sig, nil, nil
}

// msiChildren lists a storage's entries other than the signature streams,
// in the order Authenticode hashes them: by name (with its terminating
// NUL) compared as UTF-16 little-endian bytes.
func msiChildren(doc *comdoc.ComDoc, dir *comdoc.DirEnt) ([]*comdoc.DirEnt, error) {
	all, err := doc.ListDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*comdoc.DirEnt
	for _, e := range all {
		if n := e.Name(); n != msiSignatureStream && n != msiSignatureExStream {
			out = append(out, e)
		}
	}
	nameBytes := func(e *comdoc.DirEnt) []byte {
		n := min(int(e.NameLength/2), len(e.NameRunes))
		b := make([]byte, 0, 2*n)
		for _, r := range e.NameRunes[:n] {
			b = binary.LittleEndian.AppendUint16(b, r)
		}
		return b
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := nameBytes(out[i]), nameBytes(out[j])
		n := min(len(a), len(b))
		if c := bytes.Compare(a[:n], b[:n]); c != 0 {
			return c < 0
		}
		return len(a) > len(b)
	})
	return out, nil
}

// msiContent hashes the streams of a storage (depth first) followed by the
// storage's class ID.
func msiContent(doc *comdoc.ComDoc, dir *comdoc.DirEnt, d io.Writer) error {
	children, err := msiChildren(doc, dir)
	if err != nil {
		return err
	}
	for _, e := range children {
		switch e.Type {
		case comdoc.DirStream:
			r, err := doc.ReadStream(e)
			if err != nil {
				return err
			}
			if _, err := io.Copy(d, r); err != nil {
				return err
			}
		case comdoc.DirStorage:
			if err := msiContent(doc, e, d); err != nil {
				return err
			}
		}
	}
	d.Write(dir.UID[:])
	return nil
}

// msiMetadata hashes the directory entries (names, class IDs, sizes,
// state bits and times) the extended MSI digest covers.
func msiMetadata(doc *comdoc.ComDoc, dir *comdoc.DirEnt, d io.Writer) error {
	children, err := msiChildren(doc, dir)
	if err != nil {
		return err
	}
	msiEntryMetadata(dir, d)
	for _, e := range children {
		switch e.Type {
		case comdoc.DirStream:
			msiEntryMetadata(e, d)
		case comdoc.DirStorage:
			if err := msiMetadata(doc, e, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func msiEntryMetadata(e *comdoc.DirEnt, d io.Writer) {
	var b []byte
	if e.Type != comdoc.DirRoot {
		// The name without its terminating NUL.
		n := max(min(int(e.NameLength/2)-1, len(e.NameRunes)), 0)
		for _, r := range e.NameRunes[:n] {
			b = binary.LittleEndian.AppendUint16(b, r)
		}
	}
	if e.Type == comdoc.DirRoot || e.Type == comdoc.DirStorage {
		b = append(b, e.UID[:]...)
	}
	if e.Type == comdoc.DirStream {
		b = binary.LittleEndian.AppendUint32(b, e.StreamSize)
	}
	b = binary.LittleEndian.AppendUint32(b, e.UserFlags)
	if e.Type != comdoc.DirRoot {
		b = binary.LittleEndian.AppendUint64(b, e.CreateTime)
		b = binary.LittleEndian.AppendUint64(b, e.ModifyTime)
	}
	d.Write(b)
}
