#!/usr/bin/env bash
# kizuna.exe (x86_64-pc-windows-gnu) built and run on a Debian (bookworm or newer) Linux
# host, with no rustup target:
#
#   scripts/windows.sh build                  # -> target/windows/kizuna.exe
#   scripts/windows.sh wine DIR PROGRAM ARG…  # `wine PROGRAM ARG…` in the folder DIR
#
# A Debian trixie chroot under target/windows/ holds rustc-web / cargo-web 1.96 with the std
# sources (rust-web-src), so std is built from source (-Zbuild-std), and the mingw-w64 gcc
# links. The first build makes the chroot and takes about ten minutes on 2 cores; after that
# only what changed is rebuilt. `wine` runs trixie's wine (10; Rust's std needs
# bcryptprimitives.dll, which bookworm's wine 8 lacks) in the same chroot, with the folder
# above the checkout (the checkout and ../shared) and the temporary folder at the same paths
# as on the host, so paths mean the same inside and out.
#
# Needs root (debootstrap, chroot, mount). The first run installs debootstrap on the host and
# downloads Debian packages (about 300 MB, wine about 250 MB more); crates come through the
# host's own cargo registry. Everything lives under target/windows/, so `cargo clean` removes
# it: every mount is made in a private mount namespace (unshare) that ends with the command,
# however it ends, so nothing stays mounted under target/.
#
# env: KIZUNA_DEBIAN_MIRROR  the Debian mirror (default: http://deb.debian.org/debian)
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT=$HERE/target/windows
ROOT=$OUT/trixie
EXE=$OUT/kizuna.exe
TRIPLE=x86_64-pc-windows-gnu
MIRROR=${KIZUNA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD_PKGS="rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 ca-certificates"
# (locales: wine takes the Windows display language from the Unix locale, which must exist)
WINE_PKGS="wine wine64 locales"

usage() { sed -n '2,7p' "$0" >&2; exit 2; }
step() { echo "windows.sh: $(date +%T) $*" >&2; }
[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "windows.sh: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
mkdir -p "$OUT"

# The chroot with PACKAGES installed. Serialized: tests and a developer may ask at once.
prepare() {
    local packages=$1
    exec 9>"$OUT/.lock"
    flock 9
    if ! command -v debootstrap >/dev/null; then
        step "installing debootstrap on the host"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
    fi
    # debootstrap removes $ROOT/debootstrap when it has finished: if it is there, a run was
    # cut off, and the half-made tree is thrown away (no mount can be under it, see above).
    if [ -d "$ROOT/debootstrap" ] || [ ! -x "$ROOT/usr/bin/apt-get" ]; then
        rm -rf --one-file-system "$ROOT"
        step "debootstrap trixie into $ROOT (about a minute)"
        debootstrap --variant=minbase trixie "$ROOT" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
            || { tail -20 "$OUT/debootstrap.log" >&2; exit 1; }
    fi
    # The host's DNS and its extra CA certificates (a TLS-inspecting proxy's root, say):
    # without them cargo in the chroot cannot reach crates.io.
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    local cas=(/usr/local/share/ca-certificates/*.crt)
    if [ -e "${cas[0]}" ]; then cp "${cas[@]}" "$ROOT/usr/local/share/ca-certificates/"; fi
    if ! in_root dpkg -s $packages >/dev/null 2>&1; then
        step "apt-get install $packages (in the chroot, a minute or two; log: $OUT/apt.log)"
        { in_namespace "" in_root apt-get -q update &&
          in_namespace "" in_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends $packages; } >"$OUT/apt.log" 2>&1 \
            || { tail -20 "$OUT/apt.log" >&2; exit 1; }
        in_root apt-get clean
    fi
    if in_root dpkg -s ca-certificates >/dev/null 2>&1; then
        in_root update-ca-certificates >/dev/null
    fi
    flock -u 9
    exec 9>&-
}

# A command in the chroot with a clean environment.
in_root() { chroot "$ROOT" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# `in_namespace "BIND…" COMMAND…`: COMMAND (a function of this script) in a private mount
# namespace with /proc and each BIND (host path, mounted at the same path in the chroot).
in_namespace() {
    local binds=$1
    shift
    unshare --mount --propagation private -- "$0" __inside "$binds" "$@"
}

build_inside() {
    # RUSTC_BOOTSTRAP lets the stable compiler take -Zbuild-std.
    in_root env RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=/build/target \
        sh -c "cd /src && cargo build --locked --release -Zbuild-std=std,panic_abort --target $TRIPLE -p kizuna"
}

wine_inside() {
    local dir=$1
    shift
    # wine's own environment plus what the caller passed (KIZUNA_NOW, LANG…) as NAME=VALUE
    # lines in KIZUNA_WINE_ENV. LANG is C.UTF-8 unless given: wine writes a console to the
    # terminal in the Unix locale's character set.
    local vars=()
    while IFS= read -r line; do [ -n "$line" ] && vars+=("$line"); done <<<"${KIZUNA_WINE_ENV:-}"
    exec chroot "$ROOT" env -i HOME=/root PATH=/usr/bin:/bin WINEPREFIX=/root/.wine \
        WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" XDG_RUNTIME_DIR=/run/user/0 \
        TERM="${TERM:-dumb}" LANG=C.UTF-8 "${vars[@]}" sh -c 'cd "$1" && shift && exec wine "$@"' wine "$dir" "$@"
}

# (the second half of in_namespace, in the new namespace)
if [ "$1" = __inside ]; then
    binds=$2
    shift 2
    mount -t proc proc "$ROOT/proc"
    for b in $binds; do
        mkdir -p "$ROOT$b"
        mount --bind "$b" "$ROOT$b"
    done
    "$@"
    exit
fi

case "$1" in
build)
    prepare "$BUILD_PKGS"
    mkdir -p "$ROOT/root/.cargo" "$ROOT/src" "$ROOT/build"
    cat >"$ROOT/root/.cargo/config.toml" <<'TOML'
[target.x86_64-pc-windows-gnu]
linker = "x86_64-w64-mingw32-gcc"
ar = "x86_64-w64-mingw32-ar"

[env]
# the C parts (bundled SQLite, liblzma, ring) are compiled for the target too
CC_x86_64_pc_windows_gnu = "x86_64-w64-mingw32-gcc"
AR_x86_64_pc_windows_gnu = "x86_64-w64-mingw32-ar"
TOML
    in_root sh -c 'test -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/std/Cargo.toml"' \
        || { echo "windows.sh: rust-web-src is not where -Zbuild-std looks" >&2; exit 1; }
    # The host's cargo registry, so crates are downloaded once for both builds.
    registry=${CARGO_HOME:-$HOME/.cargo}/registry
    mkdir -p "$registry"
    if [ -L "$ROOT/root/.cargo/registry" ]; then rm "$ROOT/root/.cargo/registry"; fi
    mkdir -p "$ROOT/root/.cargo/registry" "$ROOT/src"
    step "building $EXE"
    # the checkout read-only at /src and the registry, in a namespace of their own
    unshare --mount --propagation private -- bash -c '
        set -euo pipefail
        mount --bind "$1" "$2/src"
        mount -o remount,bind,ro "$2/src"
        mount --bind "$3" "$2/root/.cargo/registry"
        exec "$4" __inside "" build_inside' _ "$HERE" "$ROOT" "$registry" "$0"
    built=$ROOT/build/target/$TRIPLE/release/kizuna.exe
    # Replaced only when it changed, so its time says when the code last changed.
    if ! cmp -s "$built" "$EXE"; then cp "$built" "$EXE.tmp" && mv "$EXE.tmp" "$EXE"; fi
    step "built $EXE"
    ;;
wine)
    [ $# -ge 3 ] || usage
    dir=$(realpath "$2")
    shift 2
    prepare "$WINE_PKGS"
    mkdir -p -m 700 "$ROOT/run/user/0"
    # the locales wine maps display languages from (once, under the lock: tests start many
    # wine runs at once)
    exec 9>"$OUT/.lock"
    flock 9
    if ! grep -q '^ja_JP.UTF-8' "$ROOT/etc/locale.gen" 2>/dev/null; then
        printf 'en_US.UTF-8 UTF-8\nja_JP.UTF-8 UTF-8\n' >>"$ROOT/etc/locale.gen"
        in_root locale-gen >"$OUT/locale-gen.log" 2>&1
    fi
    flock -u 9
    exec 9>&-
    tmp=$(realpath "${TMPDIR:-/tmp}")
    above=$(dirname "$HERE")
    if [ "$above" = / ] || [ "$tmp" = / ]; then
        echo "windows.sh: the checkout's parent folder and TMPDIR are mounted in the chroot; neither may be /" >&2
        exit 2
    fi
    # exec all the way down: the caller's child process is the Windows program itself, so
    # killing it (by its pid) stops the program
    exec unshare --mount --propagation private -- "$0" __inside "$above $tmp" \
        wine_inside "$dir" "$@"
    ;;
*) usage ;;
esac
