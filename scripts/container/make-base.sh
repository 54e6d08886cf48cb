#!/usr/bin/env bash
# Makes the container image's minimal runtime base from this machine's own libraries (image registries are not reachable
# here): a root filesystem holding exactly the shared libraries the NativeAOT binary links against (as ldd lists them),
# the ones .NET opens at run time (OpenSSL's libssl and libcrypto: hashing, TLS; ldd cannot see them), the dynamic loader, /etc/passwd and /etc/group with the runtime user 10001, and /tmp. With a working Docker engine it is
# imported as the image rwkvnative/runtime-base:local; without one the folder is left for scripts/container/check.sh.
#   usage: scripts/container/make-base.sh ROOTFS_DIR [BINARY]     (default binary: artifacts/publish/linux-x64/rwkv-emb)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: make-base.sh ROOTFS_DIR [BINARY]}"
bin="${2:-$ROOT/artifacts/publish/linux-x64/rwkv-emb}"
[ -x "$bin" ] || { echo "error: $bin not found; build it with ./build.sh publish" >&2; exit 1; }
[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || { echo "error: $out exists and is not empty" >&2; exit 1; }
mkdir -p "$out"/{etc,tmp,app,models,data}
chmod 1777 "$out/tmp"
# Every library ldd resolves, and the loader, copied as real files into their directory's real path (Debian merges
# /lib into /usr/lib); /lib and /lib64 become the same symlinks as here, so the binary's loader path still resolves.
if ldd "$bin" | grep -q 'not found'; then echo "error: $bin needs a library this machine lacks:" >&2; ldd "$bin" | grep 'not found' >&2; exit 1; fi
# .NET dlopens OpenSSL 3 (System.Security.Cryptography.Native): without it the binary aborts at start-up.
dlopened=()
for name in libssl.so.3 libcrypto.so.3; do
  path="$(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64|x86_64|AArch64|aarch64/ { print $NF; exit }')"
  [ -n "$path" ] || { echo "error: $name not found (Debian: apt-get install libssl3)" >&2; exit 1; }
  dlopened+=("$path")
done
{ ldd "$bin"; for l in "${dlopened[@]}"; do echo "	$l => $l (0)"; ldd "$l"; done; } |
awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u | while read -r lib; do
  dir="$(realpath "$(dirname "$lib")")"
  mkdir -p "$out$dir"
  cp -L "$lib" "$out$dir/$(basename "$lib")"
done
for link in /lib /lib64; do
  if [ -L "$link" ]; then ln -sfn "$(readlink "$link")" "$out$link"; fi
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nrwkv:x:10001:10001:rwkv-emb:/tmp:/sbin/nologin\n' >"$out/etc/passwd"
printf 'root:x:0:\nrwkv:x:10001:\n' >"$out/etc/group"
chown 10001:10001 "$out/data" 2>/dev/null || true
echo "base rootfs: $(du -sh "$out" | cut -f1) in $out"
if docker info >/dev/null 2>&1; then
  tar -C "$out" -c . | docker import - rwkvnative/runtime-base:local
  echo "imported as rwkvnative/runtime-base:local"
else
  echo "no Docker engine here (docker info fails): the base is left as a folder, not imported"
fi
