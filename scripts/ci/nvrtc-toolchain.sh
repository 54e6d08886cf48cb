#!/usr/bin/env bash
# Fetches NVIDIA's real NVRTC and ptxas (CUDA 11.8, from Debian 12's non-free section) for the kernel check in
# tests/RwkvNative.Tests/Cuda/RealNvrtcTests.cs, without a GPU and without touching the system's apt sources: a private
# apt configuration (sources, lists and archives in a temporary folder) downloads three packages, and only
#   libnvrtc11.2            -> libnvrtc.so.11.2 (11.8.89)
#   libnvrtc-builtins11.8   -> libnvrtc-builtins.so.11.8
#   nvidia-cuda-toolkit     -> usr/bin/ptxas (the one file taken from this 84 MB package)
# are unpacked into the cache, ${RWKV_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rwkvnative}/nvrtc-11.8 (~80 MB), so a
# second run downloads nothing. Nothing is installed. On success prints, for eval:
#   export RWKV_CHECK_NVRTC=... RWKV_CHECK_PTXAS=...
# and exits 0; when the tools cannot be had (no apt, no Debian keyring, no network) says why on stderr and exits 3.
set -euo pipefail
cache="${RWKV_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rwkvnative}/nvrtc-11.8"
lib="$cache/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2"
ptxas="$cache/usr/bin/ptxas"
say() { echo "nvrtc-toolchain: $*" >&2; }

if [ ! -f "$cache/.complete" ]; then
    command -v apt-get >/dev/null || { say "apt-get not found: cannot fetch NVRTC/ptxas 11.8 (Debian 12 non-free)"; exit 3; }
    command -v dpkg-deb >/dev/null || { say "dpkg-deb not found"; exit 3; }
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || { say "$keyring not found (not a Debian host): cannot verify Debian's packages"; exit 3; }
    [ "$(uname -m)" = x86_64 ] || { say "only x86_64 packages are fetched, this is $(uname -m)"; exit 3; }
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts" "$work/debs"
    cat > "$work/sources.list" <<SOURCES
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm non-free
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates non-free
SOURCES
    apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work" -o "Dir::Cache::Archives=$work/archives"
              -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=$(id -un)" -q)
    say "fetching Debian 12 non-free package lists (private apt configuration in $work)"
    apt-get "${apt_opts[@]}" update >/dev/null || { say "apt-get update of the non-free section failed"; exit 3; }
    (cd "$work/debs" && apt-get "${apt_opts[@]}" download libnvrtc11.2 libnvrtc-builtins11.8 nvidia-cuda-toolkit >/dev/null) \
        || { say "downloading libnvrtc11.2 libnvrtc-builtins11.8 nvidia-cuda-toolkit failed"; exit 3; }
    rm -rf "$cache.partial"
    mkdir -p "$cache.partial"
    for deb in "$work"/debs/libnvrtc11.2_*.deb "$work"/debs/libnvrtc-builtins11.8_*.deb; do dpkg-deb -x "$deb" "$cache.partial"; done
    dpkg-deb --fsys-tarfile "$work"/debs/nvidia-cuda-toolkit_*.deb | tar -x -C "$cache.partial" ./usr/bin/ptxas
    ls "$work"/debs > "$cache.partial/.packages"
    touch "$cache.partial/.complete"
    rm -rf "$cache"
    mv "$cache.partial" "$cache"
    say "cached in $cache: $(tr '\n' ' ' < "$cache/.packages")"
fi
if [ ! -f "$lib" ] || [ ! -x "$ptxas" ]; then say "the cache $cache is incomplete: remove it and run again"; exit 3; fi
# Read the whole version text first: with pipefail, `ptxas --version | grep -q` fails at random when grep exits
# before ptxas has written everything (SIGPIPE), and CI then skipped the real-compiler check as "not ptxas 11.8".
version="$("$ptxas" --version 2>&1)" || { say "$ptxas --version failed: $version"; exit 3; }
case "$version" in *"release 11.8"*) ;; *) say "$ptxas is not ptxas 11.8: $(echo "$version" | tail -1)"; exit 3 ;; esac
echo "export RWKV_CHECK_NVRTC='$lib' RWKV_CHECK_PTXAS='$ptxas'"
