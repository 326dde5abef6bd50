#!/usr/bin/env bash
# `scripts/check-release.sh DIST VERSION PLATFORM...` (scripts/release.sh runs it on what it
# built): checks each platform's zip in DIST and says what it verified, failing on the first
# zip that is wrong.
#   the release     SHA256SUMS lists the manifest (and each zip, below) and matches; its .sig
#                   verifies with the public key in signing-key.asc
#   every platform  one entry, named terraform-provider-kafkamirror_vVERSION[.exe]; SHA256SUMS
#                   lists the zip and it matches
#   format          `file`: ELF x86-64 / ELF aarch64 / Mach-O x86_64 / Mach-O arm64 / PE32+ x86-64
#   linked libs     Linux: readelf NEEDED only glibc (libc, libm, libdl, libpthread, librt),
#                   libgcc_s and the dynamic loader; macOS: llvm-objdump --dylibs-used only
#                   /usr/lib/libSystem, libiconv, libcharset, libresolv (all in every macOS)
#                   and /System/Library/Frameworks; the minimum macOS version it declares;
#                   darwin_arm64 carries a code signature (Apple silicon runs no unsigned code);
#                   Windows: the PE import table names only DLLs that Windows itself ships
#   runs            linux_amd64 natively, linux_arm64 under qemu-aarch64, windows_amd64 under
#                   wine: started by hand it prints the plugin's magic-cookie message and exits
#                   with status 1 (what go-plugin plugins do); with --debug it serves a real
#                   Terraform (on this machine) that applies the MM2 permissions data-source
#                   example through TF_REATTACH_PROVIDERS. darwin binaries cannot run here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="${1:?usage: check-release.sh DIST VERSION PLATFORM...}"
version="${2:?usage: check-release.sh DIST VERSION PLATFORM...}"
shift 2
name=terraform-provider-kafkamirror
tf="${TERRAFORM:-$(command -v terraform || echo "$root/.tools/bin/terraform-1.0.3")}"
work="$(mktemp -d)"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL $platform: $*" >&2; exit 1; }
say() { echo "  $platform: $*"; }

check_format() { # binary expected-pattern
  local format
  format="$(file -b "$1")"
  [[ "$format" =~ $2 ]] || fail "format is '$format', expected /$2/"
  say "format: $format"
}

# `check_libraries BINARY LISTING ALLOWED-REGEX WHAT`: every line of LISTING must match.
check_libraries() {
  local listing=$1 allowed=$2 what=$3 library foreign=
  [ -n "$listing" ] || fail "no $what found (a misread binary?)"
  while IFS= read -r library; do
    [[ "$library" =~ $allowed ]] || foreign+=" $library"
  done <<<"$listing"
  [ -z "$foreign" ] || fail "links$foreign, which the user's machine does not ship (all $what: $(echo $listing))"
  say "$what: $(echo $listing)"
}

elf_checks() { # binary
  check_libraries "$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')" \
    '^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$' \
    "shared libraries (NEEDED)"
  local glibc
  glibc="$(readelf -V "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -1)"
  say "newest glibc symbol version required: ${glibc:-none}"
}

macho_checks() { # binary
  check_libraries "$(llvm-objdump --macho --dylibs-used "$1" | tail -n +2 | sed 's/^[[:space:]]*//; s/ (compatibility.*//')" \
    '^(/usr/lib/libSystem\.B\.dylib|/usr/lib/libiconv\.2\.dylib|/usr/lib/libcharset\.1\.dylib|/usr/lib/libresolv\.9\.dylib|/System/Library/Frameworks/[A-Za-z]+\.framework/.*)$' \
    "dylibs used"
  local minos
  minos="$(llvm-objdump --macho --private-headers "$1" | awk '/cmd LC_BUILD_VERSION/ {b=1} b && /minos/ {print $2; exit}')"
  say "minimum macOS version (LC_BUILD_VERSION minos): ${minos:-unknown}"
  # Apple silicon runs only signed code: the linker's ad-hoc signature must be there.
  if [ "$platform" = darwin_arm64 ]; then
    llvm-objdump --macho --private-headers "$1" | grep -q 'cmd LC_CODE_SIGNATURE' ||
      fail "no code signature (LC_CODE_SIGNATURE): Apple silicon would kill it at start"
    say "code signature: LC_CODE_SIGNATURE present (ad-hoc, from the linker)"
  fi
}

# DLLs every Windows installation has (system32 and the API sets).
windows_dlls='^(kernel32|ntdll|advapi32|bcrypt|bcryptprimitives|crypt32|secur32|ws2_32|userenv|user32|gdi32|msvcrt|shell32|ole32|oleaut32|iphlpapi|dbghelp|normaliz|wldap32|rpcrt4|ncrypt|shlwapi|api-ms-win-[a-z0-9-]+)\.dll$'
pe_checks() { # binary
  check_libraries "$(llvm-objdump -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '[:upper:]' '[:lower:]' | sort -u)" \
    "$windows_dlls" "DLLs imported"
}

# `check_runs RUNNER...`: the binary (last word) started by hand, then --debug against Terraform.
check_runs() {
  local out="$work/$platform.out" err="$work/$platform.err" code=0
  env -u TF_PLUGIN_MAGIC_COOKIE "$@" >"$out" 2>"$err" || code=$?
  [ "$code" = 1 ] || fail "started by hand it exited with $code, expected 1:$(cat "$out" "$err")"
  grep -q "This binary is a plugin for Terraform" "$err" ||
    fail "started by hand it did not print the magic-cookie message:$(cat "$out" "$err")"
  say "started by hand: magic-cookie message, exit status 1"

  local reattach=
  "$@" --debug >"$out" 2>"$err" &
  server_pid=$!
  for _ in $(seq 1 600); do
    reattach="$(sed -n "s/^[[:space:]]*TF_REATTACH_PROVIDERS='\(.*\)'$/\1/p" "$out")"
    [ -n "$reattach" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$reattach" ] || fail "--debug printed no TF_REATTACH_PROVIDERS:$(cat "$out" "$err")"
  local dir="$work/$platform-tf"
  mkdir -p "$dir"
  # Not examples/provider/provider.tf: that one asks for every platform's credentials.
  cp "$root/tests/fixtures/release-provider.tf" "$dir/provider.tf"
  cp "$root/examples/data-sources/kafkamirror_mm2_replication_permissions/data-source.tf" "$dir/example.tf"
  : >"$dir/empty.tfrc" # a reattached provider needs no installation: no `terraform init`
  local outputs
  outputs="$(cd "$dir" && export TF_CLI_CONFIG_FILE="$dir/empty.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 \
    TF_REATTACH_PROVIDERS="$reattach" TF_VAR_primary_admin_password=release-check TF_VAR_dr_admin_password=release-check \
    TF_VAR_dr_ca_pem=$'-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' &&
    "$tf" apply -no-color -auto-approve >"$dir/apply.log" 2>&1 &&
    "$tf" output -json mm2_acls_by_cluster)" ||
    fail "Terraform could not apply the example through the --debug server:$(cat "$dir"/*.log "$err" 2>/dev/null)"
  grep -q '"primary/' <<<"$outputs" && grep -q '"dr/' <<<"$outputs" ||
    fail "the applied example has no ACLs for both clusters: $outputs"
  say "--debug: served $(TF_CLI_CONFIG_FILE="$dir/empty.tfrc" "$tf" version | head -1) through TF_REATTACH_PROVIDERS; it applied the MM2 data-source example (ACLs on primary and dr)"
  # Ctrl-C (SIGINT) stops the debug server with status 0, as on a terminal.
  kill -INT "$server_pid"
  for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid"
    fail "--debug server did not stop on SIGINT within 30 s (killed)"
  fi
  code=0
  wait "$server_pid" || code=$?
  server_pid=
  [ "$code" = 0 ] || fail "--debug server stopped on SIGINT with status $code:$(cat "$err")"
  say "--debug: SIGINT stopped it with status 0"
}

sums="$dist/${name}_${version}_SHA256SUMS"
[ -f "$sums" ] || { echo "FAIL: $sums is missing" >&2; exit 1; }
echo "==> checks of the release in $dist"
# SHA256SUMS: the manifest listed and matching, its signature good under the public key beside it.
manifest="${name}_${version}_manifest.json"
(cd "$dist" && grep "  $manifest\$" "$sums" | sha256sum --check --status --strict) ||
  { echo "FAIL: SHA256SUMS does not list the manifest, or it does not match" >&2; exit 1; }
keyring="$work/gnupg"; mkdir -m 700 "$keyring"
GNUPGHOME="$keyring" gpg --batch --quiet --import "$dist/${name}_${version}_signing-key.asc" 2>/dev/null ||
  { echo "FAIL: no readable ${name}_${version}_signing-key.asc" >&2; exit 1; }
GNUPGHOME="$keyring" gpg --batch --quiet --verify "$sums.sig" "$sums" 2>/dev/null ||
  { echo "FAIL: SHA256SUMS.sig is not a good signature of SHA256SUMS by the key in signing-key.asc" >&2; exit 1; }
echo "  SHA256SUMS: lists the manifest; its signature verifies with $(GNUPGHOME="$keyring" gpg --batch --with-colons --list-keys | sed -n 's/^fpr:*\([0-9A-F]*\):.*/\1/p' | head -1)"
for platform in "$@"; do
  zip="$dist/${name}_${version}_${platform}.zip"
  [ -f "$zip" ] || fail "$zip is missing"
  grep -q "  ${name}_${version}_${platform}.zip\$" "$sums" || fail "SHA256SUMS does not list the zip"
  (cd "$dist" && grep "  ${name}_${version}_${platform}.zip\$" "$sums" | sha256sum --check --status --strict) ||
    fail "the zip does not match its SHA256SUMS line"
  case "$platform" in windows_*) ext=.exe ;; *) ext= ;; esac
  entries="$(unzip -Z1 "$zip")"
  [ "$entries" = "${name}_v${version}${ext}" ] || fail "zip holds '$(echo $entries)', expected ${name}_v${version}${ext}"
  unpacked="$work/$platform"
  mkdir -p "$unpacked"
  unzip -q -o "$zip" -d "$unpacked"
  bin="$unpacked/${name}_v${version}${ext}"
  say "zip: one entry ${name}_v${version}${ext}, listed in SHA256SUMS"
  case "$platform" in
    linux_amd64)
      check_format "$bin" '^ELF 64-bit LSB (pie )?executable, x86-64'
      elf_checks "$bin"
      check_runs "$bin" ;;
    linux_arm64)
      check_format "$bin" '^ELF 64-bit LSB (pie )?executable, ARM aarch64'
      elf_checks "$bin"
      check_runs qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" ;;
    darwin_amd64 | darwin_arm64)
      [ "$platform" = darwin_amd64 ] && arch=x86_64 || arch=arm64
      check_format "$bin" "^Mach-O 64-bit $arch executable"
      macho_checks "$bin"
      say "not run: a macOS binary cannot run on this Linux machine" ;;
    windows_amd64)
      check_format "$bin" '^PE32\+ executable \(console\) x86-64'
      pe_checks "$bin"
      # A new prefix is set up by the first wine command, whose exit status is wineboot's:
      # set it up first (and wait for it), so the run below reports the binary's own status.
      export WINEPREFIX="$root/target/cross/wineprefix" WINEDEBUG=-all
      mkdir -p "$WINEPREFIX"
      wineboot --init >/dev/null 2>&1 || true
      wineserver --wait 2>/dev/null || true
      # Wine 8 (Debian 12) lacks bcryptprimitives.dll, which every Windows 10+ has and Rust's
      # std imports (ProcessPrng): the prefix gets a stand-in (scripts/cross/wine/), not the zip.
      x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
        "$root/scripts/cross/wine/bcryptprimitives.c" -ladvapi32
      check_runs wine "$bin" ;;
    *) fail "no checks are known for this platform" ;;
  esac
done
echo "==> all checks passed: $*"
