#!/usr/bin/env bash
# Run HERE (the development machine with .NET), before a GPU session: builds what the GPU host cannot build (it has no
# .NET) into the git-ignored folder .gpu/, and checks that the tree plus the carried folders fit the 64 MiB transfer.
#   PEER_DIR=DIR scripts/gpu/prepare.sh   NativeAOT rwkv-emb in .gpu/cli and the upstream peer (a measuring peer kept
#                                        outside the project, e.g. the workplace's shared/peer) in .gpu/peer (calls 1, 2)
#   scripts/gpu/prepare.sh --tests    also .gpu/dotnet.tar.xz (runtime) and .gpu/tests.tar.xz (test binaries) (call 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
peer_src="${PEER_DIR:-}"
art="${ART:-/tmp/art-gpu-prepare}"
tests=0
[ "${1:-}" = "--tests" ] && tests=1
mkdir -p .gpu
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== NativeAOT publish of the CLI -> .gpu/cli"
rm -rf .gpu/cli
dotnet publish src/RwkvNative.Cli -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=x86-64-v3 -o .gpu/cli --artifacts-path "$art" -v quiet -nologo
# Debug symbols, XML docs and the bundled demo model are not needed there and would not fit the transfer.
rm -rf .gpu/cli/*.dbg .gpu/cli/*.pdb .gpu/cli/*.xml .gpu/cli/models
test -x .gpu/cli/rwkv-emb || { echo "prepare.sh: .gpu/cli/rwkv-emb missing after publish" >&2; exit 1; }

rm -rf .gpu/peer
if [ -n "$peer_src" ] && [ -d "$peer_src" ]; then
    echo "== upstream peer -> .gpu/peer (from $peer_src)"
    mkdir -p .gpu/peer
    (cd "$peer_src" && tar --exclude=__pycache__ -cf - .) | tar -C .gpu/peer -xf -
    chmod -R u+w .gpu/peer
else
    echo "== no upstream peer copied (set PEER_DIR to the folder holding bench_upstream.py); call 2 will skip it" >&2
fi

if [ "$tests" = 1 ]; then
    echo "== test binaries -> .gpu/tests.tar.xz, .NET runtime -> .gpu/dotnet.tar.xz"
    dotnet build tests/RwkvNative.Tests -c Release --artifacts-path "$art" -v quiet -nologo
    bin="$art/bin/RwkvNative.Tests/release"
    # The bundled data (rwkvnative-data) travels in the tree already (src/RwkvNative/Data); run-all.sh puts it back.
    tar -C "$bin" --exclude=./rwkvnative-data -cJf .gpu/tests.tar.xz .
    dn="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    tar -C "$dn" -cf - dotnet host shared/Microsoft.NETCore.App | xz -9e -T0 > .gpu/dotnet.tar.xz
fi

echo "== sizes (the device tool moves tracked + untracked-not-ignored files + carried paths, at most 64 MiB)"
tree_bytes=$( { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 -r du -cb 2>/dev/null | awk '/total$/ {s += $1} END {print s + 0}')
size() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
cli=$(size .gpu/cli .gpu/peer)
printf '  tree %6.1f MiB\n' "$(echo "$tree_bytes / 1048576" | bc -l)"
printf '  calls 1-2 carry .gpu/cli .gpu/peer: %6.1f MiB, total %6.1f MiB\n' "$(echo "$cli / 1048576" | bc -l)" "$(echo "($tree_bytes + $cli) / 1048576" | bc -l)"
limit=$((64 * 1048576))
status=0
[ $((tree_bytes + cli)) -le $limit ] || { echo "  OVER THE LIMIT for calls 1-2" >&2; status=1; }
if [ "$tests" = 1 ]; then
    t=$(size .gpu/tests.tar.xz .gpu/dotnet.tar.xz)
    printf '  call 3 carries .gpu/tests.tar.xz .gpu/dotnet.tar.xz: %6.1f MiB, total %6.1f MiB\n' "$(echo "$t / 1048576" | bc -l)" "$(echo "($tree_bytes + $t) / 1048576" | bc -l)"
    [ $((tree_bytes + t)) -le $limit ] || { echo "  OVER THE LIMIT for call 3" >&2; status=1; }
fi
cat <<'TXT'
== device calls (see docs/gpu.md); each well inside 10 minutes
  1. run(command="bash scripts/gpu/run-all.sh correctness", carry=[".gpu/cli"])
  2. run(command="bash scripts/gpu/run-all.sh bench tiny",  carry=[".gpu/cli", ".gpu/peer"])
     run(command="bash scripts/gpu/run-all.sh bench base large", carry=[".gpu/cli", ".gpu/peer"])
  3. run(command="bash scripts/gpu/run-all.sh tests", carry=[".gpu/tests.tar.xz", ".gpu/dotnet.tar.xz"])
TXT
exit $status
