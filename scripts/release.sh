#!/usr/bin/env bash
# `make release VERSION=x.y.z`: Terraform Registry release artifacts in dist/ (or DIST_DIR):
#   terraform-provider-kafkamirror_X.Y.Z_<os>_<arch>.zip   (binary terraform-provider-kafkamirror_vX.Y.Z[.exe])
#   terraform-provider-kafkamirror_X.Y.Z_manifest.json     (copy of terraform-registry-manifest.json)
#   terraform-provider-kafkamirror_X.Y.Z_SHA256SUMS        (every zip + the manifest)
#   terraform-provider-kafkamirror_X.Y.Z_SHA256SUMS.sig    (detached GPG signature by GPG_KEY_ID; without it
#                                                          by a throwaway key, for checking only)
#   terraform-provider-kafkamirror_X.Y.Z_signing-key.asc   (the signing key's public half)
# then scripts/check-release.sh checks every zip (format, architecture, linked libraries, a run
# where this machine can run it).
#
# RELEASE_TARGETS lists os_arch:rust-triple pairs (the Makefile passes all five published
# platforms). Every listed target is built or the release fails: before anything is built, each
# target's toolchain is installed when missing (RELEASE_INSTALL_TOOLS=0 turns that off) and then
# checked, and a target whose Rust standard library, C compiler/linker or check runner is still
# missing stops the release with the reason.
#
# Toolchains (pinned versions below; Debian packages at the version of the installed Debian release):
#   linux_amd64    the host toolchain (cc)
#   linux_arm64    Debian gcc-aarch64-linux-gnu; checked under qemu-aarch64 (Debian qemu-user)
#   darwin_*       zig (PyPI ziglang) driven by cargo-zigbuild (crates.io); not runnable here
#   windows_amd64  Debian gcc/g++-mingw-w64-x86-64, CMake (PyPI cmake) for librdkafka; checked under wine
# RELEASE_CC_<os_arch> (e.g. RELEASE_CC_linux_arm64) names another C compiler/linker for the
# two gcc-based cross targets. Cross builds use target/cross/<triple> as their CARGO_TARGET_DIR,
# so the host build cache in target/release is not disturbed and a second run is incremental.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="${VERSION:?set VERSION=x.y.z}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || { echo "VERSION must be semver, got $version" >&2; exit 2; }
name=terraform-provider-kafkamirror
dist="${DIST_DIR:-$root/dist}"
targets="${RELEASE_TARGETS:-linux_amd64:x86_64-unknown-linux-gnu}"
install_tools="${RELEASE_INSTALL_TOOLS:-1}"

ZIG_VERSION=0.15.2            # PyPI ziglang
CARGO_ZIGBUILD_VERSION=0.24.1 # crates.io cargo-zigbuild
CMAKE_VERSION=3.31.6          # PyPI cmake

tools="$root/.tools"
export PATH="$tools/bin:$PATH"
host_triple="$(rustc -vV | sed -n 's/^host: //p')"

# --- toolchain per platform ------------------------------------------------------------------

# The kind of toolchain a platform:triple pair builds with (empty: none known).
toolchain_kind() {
  case "$1:$2" in
    "linux_amd64:$host_triple") echo host ;;
    linux_arm64:aarch64-unknown-linux-gnu) echo gnu-cross ;;
    darwin_amd64:x86_64-apple-darwin | darwin_arm64:aarch64-apple-darwin) echo zig ;;
    windows_amd64:x86_64-pc-windows-gnu) echo mingw ;;
  esac
}

# The cross C compiler, which is also the linker, of a gcc-based cross platform.
cross_cc() {
  local override="RELEASE_CC_$1"
  case "$1" in
    linux_arm64) echo "${!override:-aarch64-linux-gnu-gcc}" ;;
    windows_amd64) echo "${!override:-x86_64-w64-mingw32-gcc}" ;;
  esac
}

apt_updated=
# Installs Debian packages (root with apt-get only; otherwise the checks below say what is missing).
deb_install() {
  [ "$install_tools" = 1 ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: cannot install Debian packages $* here (needs root and apt-get)" >&2
    return 0
  fi
  echo "==> apt-get install $*" >&2
  [ -n "$apt_updated" ] || { apt-get update -qq >&2; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# `need_command CMD PACKAGE...`: installs the Debian packages when CMD is missing and is the
# default name (an override pointing elsewhere is the user's to provide).
need_command() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null && return 0
  case "$cmd" in */*) return 0 ;; esac
  deb_install "$@" || true
}

python_venv() {
  [ -x "$tools/venv/bin/python" ] || python3 -m venv "$tools/venv"
}

# `pip_tool PACKAGE VERSION BIN SOURCE`: PACKAGE==VERSION from PyPI into .tools/venv, its program
# SOURCE (relative to the venv) linked as .tools/bin/BIN.
pip_tool() {
  local package=$1 wanted=$2 bin=$3 source=$4
  [ "$install_tools" = 1 ] || return 0
  if [ "$("$tools/venv/bin/pip" show "$package" 2>/dev/null | sed -n 's/^Version: //p')" != "$wanted" ]; then
    python_venv
    echo "==> pip install $package==$wanted" >&2
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "$package==$wanted" >&2
  fi
  local program
  program="$(ls -d "$tools/venv/"$source 2>/dev/null | head -1)"
  [ -n "$program" ] || return 0 # toolchain_problems reports it
  mkdir -p "$tools/bin"
  ln -sf "$program" "$tools/bin/$bin"
}

install_zig_tools() {
  pip_tool ziglang "$ZIG_VERSION" zig 'lib/python3*/site-packages/ziglang/zig'
  [ "$install_tools" = 1 ] || return 0
  if [ "$(cargo-zigbuild --version 2>/dev/null)" != "cargo-zigbuild $CARGO_ZIGBUILD_VERSION" ]; then
    echo "==> cargo install cargo-zigbuild $CARGO_ZIGBUILD_VERSION" >&2
    cargo install --quiet --locked --version "$CARGO_ZIGBUILD_VERSION" --root "$tools" cargo-zigbuild >&2
  fi
}

# Installs what building and checking a target needs, when missing.
install_toolchain() {
  local platform=$1 triple=$2 kind=$3
  if [ "$install_tools" = 1 ] && [ ! -d "$(rustc --print sysroot)/lib/rustlib/$triple/lib" ]; then
    echo "==> rustup target add $triple" >&2
    rustup target add "$triple" >&2 || true
  fi
  case "$kind" in
    host) need_command cc gcc ;;
    gnu-cross)
      need_command "$(cross_cc "$platform")" gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      need_command qemu-aarch64 qemu-user ;;
    zig) install_zig_tools ;;
    mingw)
      local cc; cc="$(cross_cc "$platform")"
      need_command "$cc" gcc-mingw-w64-x86-64
      need_command "${cc%gcc}g++" g++-mingw-w64-x86-64
      pip_tool cmake "$CMAKE_VERSION" cmake bin/cmake
      need_command wine wine ;;
  esac
}

# Prints why a target cannot be built and checked here (nothing when it can).
toolchain_problems() {
  local platform=$1 triple=$2 kind=$3 cc
  [ -d "$(rustc --print sysroot)/lib/rustlib/$triple/lib" ] ||
    echo "the Rust standard library for $triple is not installed (rustup target add $triple)"
  missing() { command -v "$1" >/dev/null || echo "$2 '$1' is not installed ($3)"; }
  case "$kind" in
    host) missing cc "C compiler and linker" "Debian package gcc" ;;
    gnu-cross)
      missing "$(cross_cc "$platform")" "C compiler and linker" "Debian package gcc-aarch64-linux-gnu, or set RELEASE_CC_$platform"
      [ -d /usr/aarch64-linux-gnu/lib ] || echo "the arm64 glibc for qemu-aarch64 is not installed (Debian package libc6-arm64-cross)"
      missing qemu-aarch64 "check runner" "Debian package qemu-user" ;;
    zig)
      [ "$(zig version 2>/dev/null)" = "$ZIG_VERSION" ] || echo "zig $ZIG_VERSION (C compiler and linker) is not installed (PyPI ziglang==$ZIG_VERSION into .tools)"
      [ "$(cargo-zigbuild --version 2>/dev/null)" = "cargo-zigbuild $CARGO_ZIGBUILD_VERSION" ] ||
        echo "cargo-zigbuild $CARGO_ZIGBUILD_VERSION is not installed (cargo install --locked --version $CARGO_ZIGBUILD_VERSION --root .tools cargo-zigbuild)" ;;
    mingw)
      cc="$(cross_cc "$platform")"
      missing "$cc" "C compiler and linker" "Debian package gcc-mingw-w64-x86-64, or set RELEASE_CC_$platform"
      missing "${cc%gcc}g++" "C++ compiler (librdkafka's CMake project needs one)" "Debian package g++-mingw-w64-x86-64"
      [ "$(cmake --version 2>/dev/null | head -1)" = "cmake version $CMAKE_VERSION" ] || echo "CMake $CMAKE_VERSION is not installed (PyPI cmake==$CMAKE_VERSION into .tools)"
      missing wine "check runner" "Debian package wine" ;;
  esac
}

# Builds one target in a subshell (its environment stays there); prints the binary's path.
build_target() (
  local platform=$1 triple=$2 kind=$3 u=${2//-/_}
  local upper="${u^^}" cc
  if [ "$kind" = host ]; then
    cargo build --release --locked --bin "$name" >&2
    echo "${CARGO_TARGET_DIR:-target}/release/$name"
    return
  fi
  export CARGO_TARGET_DIR="$root/target/cross/$triple"
  # Build scripts that compile C for the host (none today) keep the host compiler; rdkafka-sys
  # runs librdkafka's ./configure, which reads CC, CXX and AR only: scripts/cross/target-cc,
  # target-cxx and target-ar forward those to the target's compilers and archiver
  # (CC_<target>, CXX_<target>, AR_<target>).
  export HOST_CC=cc HOST_CXX=c++ "CC_${host_triple//-/_}=cc" "CXX_${host_triple//-/_}=c++" \
    CC="$root/scripts/cross/target-cc" CXX="$root/scripts/cross/target-cxx" AR="$root/scripts/cross/target-ar"
  case "$kind" in
    gnu-cross | mingw)
      cc="$(cross_cc "$platform")"
      local prefix="${cc%gcc}"
      export "CC_$u=$cc" "CXX_$u=${prefix}g++" "AR_$u=${prefix}ar" "CARGO_TARGET_${upper}_LINKER=$cc"
      export RANLIB="${prefix}ranlib" NM="${prefix}nm" STRIP="${prefix}strip"
      [ "$kind" = mingw ] && export CMAKE_SYSTEM_NAME=Windows
      cargo build --release --locked --bin "$name" --target "$triple" >&2 ;;
    zig)
      # zig ships libSystem's symbols but not the macOS SDK's CommonCrypto headers (mimalloc).
      export "CFLAGS_$u=-idirafter$root/scripts/cross/macos-include"
      cargo zigbuild --release --locked --bin "$name" --target "$triple" >&2 ;;
  esac
  echo "$CARGO_TARGET_DIR/$triple/release/$name"
)

# --- release ---------------------------------------------------------------------------------

declare -a platforms=() triples=() kinds=()
problems=
for entry in $targets; do
  platform="${entry%%:*}"; triple="${entry#*:}"
  kind="$(toolchain_kind "$platform" "$triple")"
  if [ -z "$kind" ]; then
    problems+="  $platform ($triple): no toolchain is known for this platform and Rust target"$'\n'
    continue
  fi
  install_toolchain "$platform" "$triple" "$kind"
  while IFS= read -r why; do
    [ -n "$why" ] && problems+="  $platform ($triple): $why"$'\n'
  done < <(toolchain_problems "$platform" "$triple" "$kind")
  platforms+=("$platform"); triples+=("$triple"); kinds+=("$kind")
done
if [ -n "$problems" ]; then
  printf 'release: cannot build every target of RELEASE_TARGETS, nothing was built:\n%s' "$problems" >&2
  exit 1
fi

mkdir -p "$dist"; dist="$(cd "$dist" && pwd)"
rm -f "$dist/${name}_${version}_"*
timings=
for i in "${!platforms[@]}"; do
  platform=${platforms[$i]}; triple=${triples[$i]}; kind=${kinds[$i]}
  echo "==> $platform ($triple, $kind toolchain)" >&2
  started=$SECONDS
  bin="$(build_target "$platform" "$triple" "$kind")"
  case "$platform" in windows_*) ext=.exe ;; *) ext= ;; esac
  stage="$(mktemp -d)"
  cp "$bin$ext" "$stage/${name}_v${version}${ext}"
  (cd "$stage" && zip -q -X "$dist/${name}_${version}_${platform}.zip" "${name}_v${version}${ext}")
  rm -rf "$stage"
  timings+="  $platform: built in $((SECONDS - started)) s"$'\n'
done

cp terraform-registry-manifest.json "$dist/${name}_${version}_manifest.json"
(cd "$dist" && sha256sum -- "${name}_${version}"_*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
# The registry verifies SHA256SUMS.sig with the public key registered for the namespace:
# GPG_KEY_ID names that key in the caller's keyring. Without it, a throwaway key made for this
# run signs instead (its public half beside the zips), so signing and its check still run;
# such a release is for checking, not for publishing.
sign_key="${GPG_KEY_ID:-}"
if [ -z "$sign_key" ]; then
  export GNUPGHOME="$(mktemp -d)"
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key \
    "terraform-provider-kafkamirror release check (throwaway) <release-check@invalid>" ed25519 sign 1d
  sign_key="$(gpg --batch --list-keys --with-colons | sed -n 's/^fpr:*\([0-9A-F]*\):.*/\1/p' | head -1)"
  echo "note: GPG_KEY_ID is not set: SHA256SUMS is signed with a throwaway key ($sign_key), not publishable" >&2
fi
unlock=() # the throwaway key has no passphrase; the maintainers' key asks through its agent
[ -n "${GPG_KEY_ID:-}" ] || unlock=(--pinentry-mode loopback --passphrase '')
gpg --batch --yes --quiet "${unlock[@]}" --local-user "$sign_key" --detach-sign \
  --output "$dist/${name}_${version}_SHA256SUMS.sig" "$dist/${name}_${version}_SHA256SUMS"
gpg --batch --armor --export "$sign_key" >"$dist/${name}_${version}_signing-key.asc"
[ -n "${GPG_KEY_ID:-}" ] || rm -rf "$GNUPGHOME"
printf '%s' "$timings"
started=$SECONDS
"$root/scripts/check-release.sh" "$dist" "$version" "${platforms[@]}"
echo "checks took $((SECONDS - started)) s"
ls -l "$dist"
