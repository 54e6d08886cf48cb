#!/usr/bin/env bash
# Fuzzes one target (or all) with AFL++ through SharpFuzz: ./build.sh fuzz [TARGET|all] [SECONDS per target]
# TARGET: pth safetensors jsonl tokenizer docstate store (see 'rwkv-fuzz --help'); SECONDS 0 = until Ctrl-C.
# Findings are copied to artifacts/fuzz/findings/TARGET/. Exit 1 when there are any; 3 when the tools (AFL++, the
# SharpFuzz dotnet tool) could not be installed on this machine; 4 when the project's own fuzz harness failed to build,
# to be instrumented or to start under AFL++ (a defect of ours, never a reason to skip).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGETS=(pth safetensors jsonl tokenizer docstate store)
target="${1:-all}"; seconds="${2:-0}"
if [ "$target" = all ]; then list=("${TARGETS[@]}"); else list=("$target"); fi

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz: installing afl++ (Debian package)" >&2
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null; }) \
      || { echo "error: could not install afl++" >&2; exit 3; }
  else
    echo "error: afl-fuzz not found: install AFL++ (Debian: apt-get install afl++)" >&2; exit 3
  fi
fi
TOOLS="$ROOT/artifacts/tools"
if [ ! -x "$TOOLS/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$TOOLS" >/dev/null \
    || { echo "error: could not install the SharpFuzz.CommandLine dotnet tool" >&2; exit 3; }
fi

# Build once into its own folder, then instrument the assemblies whose parsers are fuzzed (SharpFuzz rewrites them
# in place to report branch coverage to AFL).
BIN="$ROOT/artifacts/fuzz/bin"
if [ ! -f "$BIN/.instrumented" ] || [ -n "${FUZZ_REBUILD:-}" ]; then
  rm -rf "$BIN"
  dotnet build fuzz/RwkvNative.Fuzz/RwkvNative.Fuzz.csproj -c Release -o "$BIN" -v quiet -nologo >"$ROOT/artifacts/fuzz-build.log" 2>&1 \
    || { echo "error: building rwkv-fuzz failed:" >&2; grep -E ': error ' "$ROOT/artifacts/fuzz-build.log" | sort -u >&2; exit 4; }
  for dll in RwkvNative.dll rwkv-emb.dll; do "$TOOLS/sharpfuzz" "$BIN/$dll" >/dev/null || { echo "error: sharpfuzz could not instrument $dll" >&2; exit 4; }; done
  touch "$BIN/.instrumented"
fi

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export DOTNET_TieredPGO=0
found=0
for t in "${list[@]}"; do
  out="$ROOT/artifacts/fuzz/$t"
  mkdir -p "$ROOT/artifacts/fuzz"
  rm -rf "$out"
  echo "fuzz: $t for ${seconds}s (0 = until stopped)" >&2
  limit=(); [ "$seconds" != 0 ] && limit=(-V "$seconds")
  afl-fuzz -i "fuzz/corpus/$t" -o "$out" -t 10000 -m none "${limit[@]}" -- dotnet "$BIN/rwkv-fuzz.dll" "$t" >"$out.log" 2>&1 || {
    echo "error: afl-fuzz failed for $t; its log, then the instrumented target started by hand:" >&2; tail -30 "$out.log" >&2
    timeout 60 dotnet "$BIN/rwkv-fuzz.dll" "$t" </dev/null 2>&1 | head -20 >&2 || true
    exit 4; }
  stats="$out/default/fuzzer_stats"
  [ -f "$stats" ] && echo "fuzz: $t: $(grep -E '^execs_done' "$stats" | tr -s ' ') , $(grep -E '^corpus_count' "$stats" | tr -s ' '), $(grep -E '^saved_crashes|^unique_crashes' "$stats" | tr -s ' '), $(grep -E '^saved_hangs|^unique_hangs' "$stats" | tr -s ' ')" >&2
  shopt -s nullglob
  crashes=("$out"/default/crashes/id:* "$out"/default/hangs/id:*)
  shopt -u nullglob
  if [ "${#crashes[@]}" -gt 0 ]; then
    mkdir -p "artifacts/fuzz/findings/$t"
    cp "${crashes[@]}" "artifacts/fuzz/findings/$t/"
    echo "FINDINGS: $t: ${#crashes[@]} inputs in artifacts/fuzz/findings/$t/; replay one with:" >&2
    echo "  dotnet $BIN/rwkv-fuzz.dll replay $t artifacts/fuzz/findings/$t" >&2
    found=1
  fi
done
exit "$found"
