#!/usr/bin/env bash
# dist.sh builds a connector release into dist/ (or --out DIR):
#   windows-amd64/qbconnector.exe        Authenticode-signed connector
#   windows-amd64/qbconnector.exe.roots.pem  pinned publisher roots (self-update)
#   qbconnector-VERSION-x64.msi          Authenticode-signed installer (wixl)
#   linux-amd64/qbconnector              connector for Linux, with qbconnector.p7s
#   SHA256SUMS                           checksums of every file above
# Every signature is verified with `qbconnect release verify` and, when it
# is installed, osslsigncode. Without --cert/--key a demo certificate
# authority and code-signing certificate are generated with openssl into
# DIR/demo-signing: fine for tests and demos, never for customers.
#
# Usage: scripts/dist.sh [--version 1.4.0] [--out dist]
#                        [--cert CERT.pem --key KEY.pem [--chain CHAIN.pem] --roots ROOTS.pem]
# Needs: go, wixl (Debian package wixl); openssl for the demo certificate.
set -euo pipefail

version=0.0.0-dev
out=dist
cert= key= chain= roots=
while [ $# -gt 0 ]; do
	case "$1" in
	--version) version=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--cert) cert=$2; shift 2 ;;
	--key) key=$2; shift 2 ;;
	--chain) chain=$2; shift 2 ;;
	--roots) roots=$2; shift 2 ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "dist.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$version" in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "dist.sh: --version $version: want a semantic version such as 1.4.0" >&2; exit 2 ;;
esac
if [ -n "$cert" ] && { [ -z "$key" ] || [ -z "$roots" ]; }; then
	echo "dist.sh: --cert needs --key and --roots" >&2; exit 2
fi
command -v wixl >/dev/null || { echo "dist.sh: wixl is not installed (apt-get install wixl)" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/windows-amd64" "$out/linux-amd64" "$out"/*.msi "$out/SHA256SUMS"
mkdir -p "$out/windows-amd64" "$out/linux-amd64"
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT

if [ -z "$cert" ]; then
	demo="$out/demo-signing"
	mkdir -p "$demo"
	if [ ! -f "$demo/signing.pem" ]; then
		echo "dist.sh: no --cert: generating a DEMO code-signing certificate in $demo" >&2
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=qbconnect demo root/O=qbconnect demo" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
			-keyout "$demo/root.key" -out "$demo/root.pem" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/CN=qbconnect demo/O=qbconnect demo" \
			-keyout "$demo/signing.key" -out "$demo/signing.csr" 2>/dev/null
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >"$demo/ext.cnf"
		openssl x509 -req -in "$demo/signing.csr" -CA "$demo/root.pem" -CAkey "$demo/root.key" -CAcreateserial \
			-days 825 -extfile "$demo/ext.cnf" -out "$demo/signing.pem" 2>/dev/null
		rm -f "$demo/signing.csr" "$demo/ext.cnf"
	fi
	cert=$demo/signing.pem key=$demo/signing.key roots=$demo/root.pem chain=
fi
chainargs=()
[ -n "$chain" ] && chainargs=(--chain "$chain")

cd "$repo"
echo "dist.sh: building qbconnector $version" >&2
go build -o "$tools/qbconnect" ./cmd/qbconnect
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$out/windows-amd64/qbconnector.exe" ./cmd/qbconnector
GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$out/linux-amd64/qbconnector" ./cmd/qbconnector
cp "$roots" "$out/windows-amd64/qbconnector.exe.roots.pem"
cp "$roots" "$out/linux-amd64/qbconnector.roots.pem"

sign() { "$tools/qbconnect" release sign --cert "$cert" --key "$key" "${chainargs[@]}" --description "qbconnect connector" "$@" >&2; }
sign "$out/windows-amd64/qbconnector.exe" "$out/linux-amd64/qbconnector"

msi="$out/qbconnector-$version-x64.msi"
# wixl takes source paths relative to where it runs.
(cd "$out" && wixl -a x64 -D Version="${version%%-*}" -D SourceDir=windows-amd64 -o "$msi" "$repo/packaging/qbconnector.wxs")
sign "$msi"

echo "dist.sh: verifying signatures" >&2
"$tools/qbconnect" release verify --roots "$roots" "$out/windows-amd64/qbconnector.exe" "$msi" "$out/linux-amd64/qbconnector" >&2
if command -v osslsigncode >/dev/null; then
	cafile=$roots
	if [ -n "$chain" ]; then cafile="$tools/cafile.pem"; cat "$roots" "$chain" >"$cafile"; fi
	for f in "$out/windows-amd64/qbconnector.exe" "$msi"; do
		osslsigncode verify -CAfile "$cafile" -in "$f" >"$tools/verify.log" 2>&1 ||
			{ cat "$tools/verify.log" >&2; echo "dist.sh: osslsigncode does not accept $f" >&2; exit 1; }
	done
fi

(cd "$out" && sha256sum windows-amd64/qbconnector.exe windows-amd64/qbconnector.exe.roots.pem "$(basename "$msi")" \
	linux-amd64/qbconnector linux-amd64/qbconnector.p7s linux-amd64/qbconnector.roots.pem >SHA256SUMS)
echo "dist.sh: done: $out" >&2
cat "$out/SHA256SUMS"
