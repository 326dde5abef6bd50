#!/usr/bin/env bash
# `make release VERSION=x.y.z`: Terraform Registry release artifacts in dist/ (or DIST_DIR):
#   terraform-provider-kafkamirror_X.Y.Z_<os>_<arch>.zip   (binary terraform-provider-kafkamirror_vX.Y.Z inside)
#   terraform-provider-kafkamirror_X.Y.Z_manifest.json     (copy of terraform-registry-manifest.json)
#   terraform-provider-kafkamirror_X.Y.Z_SHA256SUMS        (zips + manifest)
#   terraform-provider-kafkamirror_X.Y.Z_SHA256SUMS.sig    (detached GPG signature, when GPG_KEY_ID is set)
# linux_amd64 is always built; other targets in RELEASE_TARGETS are built when their Rust target
# and linker are installed, and skipped with a message otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="${VERSION:?set VERSION=x.y.z}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || { echo "VERSION must be semver, got $version" >&2; exit 2; }
name=terraform-provider-kafkamirror
dist="${DIST_DIR:-$root/dist}"
mkdir -p "$dist"; dist="$(cd "$dist" && pwd)"
targets="${RELEASE_TARGETS:-linux_amd64:x86_64-unknown-linux-gnu}"
rm -f "$dist/${name}_${version}_"*

host_triple="$(rustc -vV | sed -n 's/^host: //p')"
for entry in $targets; do
  platform="${entry%%:*}"; triple="${entry#*:}"
  if [ "$triple" = "$host_triple" ]; then
    cargo build --release --locked --bin "$name"
    bin="target/release/$name"
  elif rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    cargo build --release --locked --bin "$name" --target "$triple"
    bin="target/$triple/release/$name"
  else
    echo "skip $platform: Rust target $triple is not installed here (rustup target add $triple, plus a linker)" >&2
    continue
  fi
  case "$platform" in windows_*) ext=.exe ;; *) ext= ;; esac
  stage="$(mktemp -d)"
  cp "$bin$ext" "$stage/${name}_v${version}${ext}"
  (cd "$stage" && zip -q -X "$dist/${name}_${version}_${platform}.zip" "${name}_v${version}${ext}")
  rm -rf "$stage"
done

cp terraform-registry-manifest.json "$dist/${name}_${version}_manifest.json"
(cd "$dist" && sha256sum -- "${name}_${version}"_*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
if [ -n "${GPG_KEY_ID:-}" ]; then
  gpg --batch --yes --local-user "$GPG_KEY_ID" --detach-sign \
    --output "$dist/${name}_${version}_SHA256SUMS.sig" "$dist/${name}_${version}_SHA256SUMS"
fi
ls -l "$dist"
