#!/usr/bin/env bash
# Builds kizuna's release archives into target/dist/ (or --out DIR):
#
#   kizuna-VERSION-windows-x64.zip    kizuna.exe (Authenticode-signed when a certificate is
#                                     given), README.md, README.ja.md, LICENSE-MIT,
#                                     LICENSE-APACHE, SHA256SUMS of those files
#   kizuna-VERSION-linux-x64.tar.gz   kizuna and the same documents, SHA256SUMS
#   SHA256SUMS                        the archives'
#   winget/                           the winget manifests, with the zip's hash
#
# usage: scripts/release.sh [--only windows|linux] [--out DIR]
#            [--sign-pkcs12 FILE --sign-pass-file FILE [--timestamp URL]]
#            [--test-certificate] [--url URL] [--publisher NAME --publisher-id ID]
#
#   --sign-pkcs12 / --sign-pass-file  the releasing organization's code-signing certificate
#                  (a PKCS#12 file) and a file holding its password; the password is read
#                  by osslsigncode from the file, never put on a command line or printed.
#   --timestamp    an RFC 3161 time-stamping server (keeps the signature valid after the
#                  certificate expires); needs the network.
#   --test-certificate  sign with a throwaway self-signed certificate made for this run and
#                  verify against it (what CI does); never for a real release. Its public
#                  half is left as test-signing-certificate.pem; the key is deleted.
#   --url          where the zip will be downloaded from (written into the winget manifest).
#
# The archives' members get the last commit's time, so the same build gives the same
# archives, byte for byte (a signature carries its own signing time). Needs root for the
# Windows build (scripts/windows.sh); installs osslsigncode with apt when it is missing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT=$HERE/target/dist
ONLY=""
P12=""
PASSFILE=""
TIMESTAMP=""
TESTCERT=0
URL=""
PUBLISHER="the kizuna authors"
PUBLISHER_ID="kizuna"
while [ $# -gt 0 ]; do
    case "$1" in
    --only) ONLY=$2; shift 2 ;;
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --sign-pkcs12) P12=$(realpath "$2"); shift 2 ;;
    --sign-pass-file) PASSFILE=$(realpath "$2"); shift 2 ;;
    --timestamp) TIMESTAMP=$2; shift 2 ;;
    --test-certificate) TESTCERT=1; shift ;;
    --url) URL=$2; shift 2 ;;
    --publisher) PUBLISHER=$2; shift 2 ;;
    --publisher-id) PUBLISHER_ID=$2; shift 2 ;;
    *) sed -n '2,26p' "$0" >&2; exit 2 ;;
    esac
done
case "$ONLY" in "" | windows | linux) ;; *) echo "release.sh: --only windows or linux" >&2; exit 2 ;; esac
if [ -n "$P12" ] && [ -z "$PASSFILE" ]; then
    echo "release.sh: --sign-pkcs12 needs --sign-pass-file (the password is never taken on the command line)" >&2
    exit 2
fi
if [ -n "$P12" ] && [ "$TESTCERT" = 1 ]; then
    echo "release.sh: --sign-pkcs12 and --test-certificate exclude each other" >&2
    exit 2
fi

step() { echo "release.sh: $*" >&2; }
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$HERE/Cargo.toml" | head -1)
EPOCH=$(git -C "$HERE" log -1 --format=%ct 2>/dev/null || echo 315532800)
DOCS=(README.md README.ja.md LICENSE-MIT LICENSE-APACHE)
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Files given as NAME=PATH, into ARCHIVE (.zip or .tar.gz), with SHA256SUMS, every member
# dated EPOCH and in name order.
pack() {
    local archive=$1
    shift
    local dir=$WORK/pack
    rm -rf "$dir" && mkdir -p "$dir"
    for f in "$@"; do cp "${f#*=}" "$dir/${f%%=*}"; done
    local names=()
    for f in "$@"; do names+=("${f%%=*}"); done
    (cd "$dir" && sha256sum -- "${names[@]}" | LC_ALL=C sort -k2 >"$WORK/SHA256SUMS")
    mv "$WORK/SHA256SUMS" "$dir/SHA256SUMS"
    python3 - "$dir" "$archive" "$EPOCH" <<'PY'
import os, sys, tarfile, time, zipfile, gzip, io
src, out, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted(os.listdir(src))
if out.endswith(".zip"):
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            info = zipfile.ZipInfo(n, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if n in ("kizuna", "kizuna.exe") else 0o644) << 16
            with open(os.path.join(src, n), "rb") as f:
                z.writestr(info, f.read())
else:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for n in names:
            info = t.gettarinfo(os.path.join(src, n), arcname=n)
            info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "root", "root"
            info.mode = 0o755 if n in ("kizuna", "kizuna.exe") else 0o644
            with open(os.path.join(src, n), "rb") as f:
                t.addfile(info, f)
    with open(out + ".tmp", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as g:
            g.write(buf.getvalue())
os.replace(out + ".tmp", out)
PY
    step "wrote $archive"
}

# Authenticode: the exe signed with the given certificate (or a throwaway one), verified.
sign() {
    local exe=$1 signed=$2
    if ! command -v osslsigncode >/dev/null; then
        step "installing osslsigncode (apt)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q osslsigncode >&2
    fi
    local p12=$P12 pass=$PASSFILE ca=()
    if [ "$TESTCERT" = 1 ]; then
        local t=$WORK/testcert
        mkdir -m 700 "$t"
        head -c 24 /dev/urandom | base64 >"$t/pass"
        openssl req -x509 -newkey rsa:3072 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 2 \
            -subj "/CN=kizuna throwaway test signing" \
            -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
            2>/dev/null
        openssl pkcs12 -export -inkey "$t/key.pem" -in "$t/cert.pem" -out "$t/test.p12" \
            -passout "file:$t/pass"
        p12=$t/test.p12 pass=$t/pass ca=(-CAfile "$t/cert.pem")
        # the public half only, so that anyone can verify what was signed with it
        cp "$t/cert.pem" "$OUT/test-signing-certificate.pem"
    fi
    local ts=()
    [ -n "$TIMESTAMP" ] && ts=(-ts "$TIMESTAMP")
    osslsigncode sign -pkcs12 "$p12" -readpass "$pass" -h sha256 -n "kizuna $VERSION" \
        "${ts[@]}" -in "$exe" -out "$signed" >"$WORK/sign.log" 2>&1 \
        || { cat "$WORK/sign.log" >&2; exit 1; }
    osslsigncode verify "${ca[@]}" -in "$signed" >"$WORK/verify.log" 2>&1 \
        || { cat "$WORK/verify.log" >&2; exit 1; }
    grep -q "Signature verification: ok" "$WORK/verify.log" \
        || { cat "$WORK/verify.log" >&2; exit 1; }
    step "signed and verified $(basename "$signed")"
}

archives=()
if [ "$ONLY" != linux ]; then
    "$HERE/scripts/windows.sh" build
    exe=$HERE/target/windows/kizuna.exe
    if [ -n "$P12" ] || [ "$TESTCERT" = 1 ]; then
        sign "$exe" "$WORK/kizuna.exe"
        exe=$WORK/kizuna.exe
    else
        step "kizuna.exe is NOT signed (give --sign-pkcs12 and --sign-pass-file for a release)"
    fi
    zip=kizuna-$VERSION-windows-x64.zip
    files=("kizuna.exe=$exe")
    for d in "${DOCS[@]}"; do files+=("$d=$HERE/$d"); done
    pack "$OUT/$zip" "${files[@]}"
    archives+=("$zip")

    sha=$(sha256sum "$OUT/$zip" | cut -d' ' -f1)
    mkdir -p "$OUT/winget"
    for t in "$HERE"/packaging/winget/*.yaml.in; do
        name=$(basename "$t" .in)
        sed -e "s|@@VERSION@@|$VERSION|g" -e "s|@@SHA256@@|${sha^^}|g" \
            -e "s|@@URL@@|${URL:-https://RELEASE-URL/$zip}|g" \
            -e "s|@@PUBLISHER@@|$PUBLISHER|g" -e "s|@@PUBLISHER_ID@@|$PUBLISHER_ID|g" \
            "$t" >"$OUT/winget/$name"
    done
    [ -n "$URL" ] || step "winget manifests name no download URL: give --url"
fi
if [ "$ONLY" != windows ]; then
    cargo build --release --locked -p kizuna --manifest-path "$HERE/Cargo.toml" >&2
    tgz=kizuna-$VERSION-linux-x64.tar.gz
    files=("kizuna=$HERE/target/release/kizuna")
    for d in "${DOCS[@]}"; do files+=("$d=$HERE/$d"); done
    pack "$OUT/$tgz" "${files[@]}"
    archives+=("$tgz")
fi
(cd "$OUT" && sha256sum -- "${archives[@]}" >SHA256SUMS)
step "done: $OUT"
