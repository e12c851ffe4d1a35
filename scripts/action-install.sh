#!/usr/bin/env bash
# The install step of action.yml: puts a verified nhiscan binary in
# $NHISCAN_INSTALL_DIR/bin and writes its path to $GITHUB_OUTPUT as `bin`.
#
# 1. When the action is pinned to a release tag (vX.Y.Z), download that
#    release's archive for this runner and its SHA256SUMS on every run, and
#    refuse to go on if the archive's SHA-256 differs from the listed one.
#    Where `gh` and a token are available, also verify the archive's
#    build-provenance attestation (signed by release.yml for this tag); a
#    failed verification is fatal. The checksum file comes from the same
#    place as the archive, so it catches corruption; the attestation is what
#    proves origin.
# 2. When no release matches (a commit or branch pin, or a release without an
#    archive for this platform), build from the action's own source with
#    cargo, once per ref (the build is cached).
#
# A tampered binary or checksum file never falls back to a source build: that
# would hide the tampering.
#
# Inputs (environment): GITHUB_ACTION_REF (the pinned ref), GITHUB_ACTION_PATH
# (the action's checkout), RUNNER_OS / RUNNER_ARCH (else uname),
# NHISCAN_INSTALL_DIR (default ~/.nhiscan-action), NHISCAN_RELEASE_BASE_URL
# (default: this repository's GitHub releases; a mirror for GHES or tests),
# NHISCAN_REPOSITORY (owner/name for attestation checks).
set -euo pipefail

repo="${NHISCAN_REPOSITORY:-nhiscan/nhiscan}"
base="${NHISCAN_RELEASE_BASE_URL:-https://github.com/$repo/releases/download}"
dest="${NHISCAN_INSTALL_DIR:-$HOME/.nhiscan-action}"
ref="${GITHUB_ACTION_REF:-}"
src="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
out="${GITHUB_OUTPUT:-/dev/null}"

# https, or plain http to a test server on loopback (the host parsed whole,
# so http://127.0.0.1:x@elsewhere/ does not pass).
if [[ ! $base =~ ^https:// && ! $base =~ ^http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/|$) ]]; then
    echo "nhiscan install: error: release base URL must be https: $base" >&2
    exit 1
fi
# The token is for `gh attestation verify` only: keep it out of every other
# process (cargo and build scripts included).
gh_token="${GH_TOKEN:-${GITHUB_TOKEN:-}}"
unset GH_TOKEN GITHUB_TOKEN

say() { echo "nhiscan install: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The release target triple for this runner.
target() {
    local os="${RUNNER_OS:-$(uname -s)}" arch="${RUNNER_ARCH:-$(uname -m)}"
    case "$arch" in
        X64 | x86_64 | amd64) arch=x86_64 ;;
        ARM64 | arm64 | aarch64) arch=aarch64 ;;
        *) return 1 ;;
    esac
    case "$os" in
        Linux) echo "$arch-unknown-linux-musl" ;;
        macOS | Darwin) echo "$arch-apple-darwin" ;;
        Windows | MINGW* | MSYS* | CYGWIN*)
            [[ $arch == x86_64 ]] || return 1
            echo "x86_64-pc-windows-msvc" ;;
        *) return 1 ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
    else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Fetch URL into FILE. Returns 2 when the server says the file does not exist
# (a missing asset), 1 on any other failure.
fetch() {
    local code
    code=$(curl --silent --show-error --location --proto '=https,http' --proto-redir '=https' --retry 2 \
        --connect-timeout 10 --max-time 120 --output "$2" --write-out '%{http_code}' "$1") ||
        return 1
    [[ $code == 200 ]] && return 0
    [[ $code == 404 ]] && return 2
    say "$1: HTTP $code"
    return 1
}

# A source build is cached per ref (action.yml caches $dest): a commit pin
# builds once per runner, not on every run.
build_from_source() {
    local marker="$dest/source-build-${ref:-local}"
    if [[ -x $dest/bin/nhiscan && -f $marker ]]; then
        say "using the source build of ${ref:-the local action} from the cache"
        finish "$dest/bin/nhiscan"
    fi
    say "building nhiscan from the action's source ($1)"
    command -v cargo >/dev/null || die "no release to download and no cargo to build with"
    cargo install --locked --root "$dest" --path "$src"
    touch "$marker"
    finish "$dest/bin/nhiscan"
}

finish() {
    "$1" --version >&2 || die "the installed binary does not run: $1"
    echo "bin=$1" >> "$out"
    exit 0
}

version="${ref#v}"
if [[ ! $ref =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    build_from_source "the action is pinned to '${ref:-a local path}', not a release tag"
fi
triple=$(target) || build_from_source "no release build for this runner"
ext=tar.gz
[[ $triple == *windows* ]] && ext=zip
asset="nhiscan-$version-$triple.$ext"
bin="$dest/bin/nhiscan"
[[ $triple == *windows* ]] && bin="$bin.exe"

# A release binary is downloaded and verified on every run (a second or
# so), never taken from the cache: a cache entry can be written by any
# workflow run on the default branch, so it is not proof of anything.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
fetch "$base/$ref/SHA256SUMS" "$work/SHA256SUMS" || rc=$?
[[ $rc == 2 ]] && build_from_source "release $ref has no SHA256SUMS"
[[ $rc == 0 ]] || die "could not download $base/$ref/SHA256SUMS"
rc=0
fetch "$base/$ref/$asset" "$work/$asset" || rc=$?
[[ $rc == 2 ]] && build_from_source "release $ref has no $asset"
[[ $rc == 0 ]] || die "could not download $base/$ref/$asset"

expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/SHA256SUMS")
[[ -n $expected ]] || die "$asset is not listed in the release's SHA256SUMS: refusing to run it"
actual=$(sha256 "$work/$asset")
[[ $actual == "$expected" ]] ||
    die "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; refusing to run it"
say "SHA-256 of $asset matches SHA256SUMS"

if command -v gh >/dev/null && [[ -n $gh_token ]]; then
    # Signed by this repository's release workflow, for this very tag.
    GH_TOKEN="$gh_token" gh attestation verify "$work/$asset" --repo "$repo" \
        --signer-workflow "$repo/.github/workflows/release.yml" --source-ref "refs/tags/$ref" >&2 ||
        die "the build-provenance attestation of $asset does not verify"
    say "build provenance of $asset verified"
else
    say "build provenance not checked (needs gh and a token); the checksum was"
fi

mkdir -p "$dest/bin"
# Archives hold one folder, nhiscan-VERSION-TARGET/, with the binary in it.
mkdir -p "$work/x"
if [[ $ext == zip ]]; then
    # Windows runners have 7-Zip; unzip only where it is.
    if command -v unzip >/dev/null; then unzip -o -q "$work/$asset" -d "$work/x"
    else 7z x -y -bd -o"$work/x" "$work/$asset" >/dev/null; fi
else
    tar -xzf "$work/$asset" -C "$work/x"
fi
install -m 0755 "$work/x/nhiscan-$version-$triple/$(basename "$bin")" "$bin"
finish "$bin"
