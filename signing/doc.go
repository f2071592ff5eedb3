// Package signing signs files and verifies their code signatures.
//
// Windows executables and libraries (PE/COFF) and Windows Installer packages
// (MSI, compound documents) get an Authenticode signature with SHA-256
// digests, embedded in the file as Windows expects it. Any other file gets a
// detached PKCS#7 (CMS) signature written next to it as FILE.p7s in DER form.
// Signatures made here verify with osslsigncode and OpenSSL, and signatures
// made by those tools verify here.
//
// Verification returns a [Signature]: who signed (the signer certificate and
// its [Identity]), whether the signed digest still matches the file, and a
// [Verdict] from evaluating the certificate chain against trusted roots, a
// point in time and a revocation list, all of which the caller controls
// through a [Verifier].
//
// The package imports nothing of qbconnect: the simulator, the connector and
// the release tooling share it, and any other project could use it as is.
// The package signingtest creates test certificate authorities, code-signing
// certificates and small Windows executables for tests.
package signing
