// Package signing verifies code signatures, and holds what signing and
// verifying share (certificate loading, formats, identities).
// Signing itself is in the subpackage sign.
//
// Windows executables and libraries (PE/COFF) and Windows Installer packages
// (MSI, compound documents) get an Authenticode signature with SHA-256
// digests, embedded in the file as Windows expects it. Any other file gets a
// detached PKCS#7 (CMS) signature written next to it as FILE.p7s in DER form.
// Signatures made by package sign verify with osslsigncode and OpenSSL, and signatures
// made by those tools verify here.
//
// Verification returns a [Signature]: who signed (the signer certificate and
// its [Identity]), whether the signed digest still matches the file, and a
// [Verdict] from evaluating the certificate chain against trusted roots, a
// point in time and a revocation list, all of which the caller controls
// through a [Verifier].
//
// A sign.Signer with a TimestampURL has each signature countersigned by an RFC
// 3161 time-stamping authority (the Authenticode timestamp for PE and MSI,
// a timestamp token in detached signatures). Verification then judges the
// signer certificate at the trusted timestamp's time, so the signature
// stays Valid after the certificate expires, as Windows and osslsigncode
// judge it ([Signature.Note] says so). [TimestampAuthority] is such an
// authority, for staging and tests.
//
// The package imports nothing of qbconnect: the simulator, the connector and
// the release tooling share it, and any other project could use it as is.
// Of relic it imports only the CMS, timestamp, compound-document and X.509
// helpers (lib/pkcs7, lib/pkcs9, lib/comdoc, lib/x509tools): the
// Authenticode checks are written here on them, because relic's
// lib/authenticode links its certificate loader, OpenPGP, the OS keyring
// and D-Bus, which a verifier (the connector) has no use for. The
// subpackage sign, which signs through lib/authenticode, is imported only
// by the release tooling, the demo and tests.
// The package signingtest creates test certificate authorities, code-signing
// certificates and small Windows executables for tests.
package signing
