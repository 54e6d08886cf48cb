#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step functions run indirectly (through step and timeout)
# First light: the first run of the CUDA backend on a real GPU, in one command of at most ~8 minutes on an H100/H200.
# Nothing is built here with .NET: run `scripts/gpu/prepare.sh` on the development machine first and carry .gpu/cli
# (the NativeAOT rwkv-emb). Needs the NVIDIA driver; the native harness and compute-sanitizer need the CUDA toolkit
# (steps without what they need fail alone, the rest go on). Every step has its own time limit; the whole log and one
# JSON file per bench go under $OUT (default ./out):
#   bash scripts/gpu/first-light.sh
# Steps: libraries found -> native harness (build + run against the host's CUDA, then racecheck) -> verify cold (NVRTC
# compiles) -> verify warm (must be a kernel-cache hit: no "compiled" line) -> each speed lever off -> split wkv7 ->
# verify under compute-sanitizer memcheck -> one offline bench pass with resident documents, one with documents
# streamed from host memory, and the host-state pass beside them -> offline reranking from the store's memory-mapped
# log, streamed and copied to the device, against the CPU). Exit status: the number of failed steps (0 = first light).
# RWKV_CLI overrides the CLI (e.g. "dotnet src/RwkvNative.Cli/bin/Release/net10.0/rwkv-emb.dll" to dry-run the script on
# the CPU emulator of native/emu, where the GPU steps fail and say why).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 99
OUT="${OUT:-$root/out}"
mkdir -p "$OUT"
log="$OUT/first-light.log"
: > "$log"
export FL_CLI="${RWKV_CLI:-$root/.gpu/cli/rwkv-emb}" OUT root
read -r -a cli <<< "$FL_CLI"
export RWKV_KERNEL_CACHE="${RWKV_KERNEL_CACHE:-/tmp/rwkv-first-light-kernels}"
started=$(date +%s)
failures=0
summary=()

say() { echo "$*" | tee -a "$log"; }

# step NAME LIMIT_SECONDS COMMAND...: runs it (a program, or one of the functions below in a child bash) under
# `timeout`, output to the log and the terminal, and records the result.
step() {
    local name="$1" limit="$2"
    shift 2
    say "== $(date -u +%H:%M:%S) $name (limit ${limit}s): $*"
    local t0 rc
    t0=$(date +%s)
    if declare -F "$1" >/dev/null; then
        timeout --kill-after=10 "$limit" bash -c '"$@"' _ "$@" 2>&1 | tee -a "$log"
    else
        timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$log"
    fi
    rc=${PIPESTATUS[0]}
    local took=$(( $(date +%s) - t0 ))
    local verdict=ok
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then verdict="TIMEOUT"; elif [ "$rc" -ne 0 ]; then verdict="FAIL (exit $rc)"; fi
    [ "$verdict" = ok ] || failures=$((failures + 1))
    summary+=("$(printf '%-28s %-16s %4ss' "$name" "$verdict" "$took")")
    say "-- $name: $verdict in ${took}s"
    return 0
}

# The functions run in a child bash (under timeout): each reads the CLI from FL_CLI.
libraries() {
    local -a cli
    read -r -a cli <<< "$FL_CLI"
    echo "host: $(uname -srm); date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,compute_cap --format=csv || echo "nvidia-smi failed"
    echo "-- CUDA libraries the loader can see:"
    ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc(-builtins)?\.so|libcublas\.so' || echo "(none in the ldconfig cache)"
    for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/targets/x86_64-linux/lib; do
        for f in "$d"/libnvrtc.so* "$d"/libnvrtc-builtins.so* "$d"/libcublas.so*; do [ -e "$f" ] && echo "$f"; done
    done
    command -v nvcc >/dev/null && nvcc --version | tail -2
    command -v compute-sanitizer >/dev/null && compute-sanitizer --version | head -2
    echo "-- CLI: ${cli[*]}"
    [ -x "${cli[0]}" ] || command -v "${cli[0]}" >/dev/null || { echo "missing ${cli[0]}: run scripts/gpu/prepare.sh here and carry .gpu/cli"; return 1; }
    # The backend prints the files and versions it loaded (driver, NVRTC + builtins, cuBLAS) once per process.
    echo '{"tokens": [1, 2, 3, 65535]}' | "${cli[@]}" embed --device cuda --model src/RwkvNative/Data/tiny-bf16.emb.pth > /dev/null
}

harness() {
    command -v cmake >/dev/null || { echo "cmake not found"; return 1; }
    cmake -S . -B native/build -DCMAKE_BUILD_TYPE=Release || return 1
    cmake --build native/build -j || return 1
    [ -x native/build/kernel_harness ] || { echo "no CUDA toolkit found by CMake: the harness was not built"; return 1; }
    native/build/kernel_harness "$root/kernels"
}

# The warm start must compile nothing: the backend logs "rwkvnative: compiled <file>" for each NVRTC compile.
verify_warm() {
    local -a cli
    read -r -a cli <<< "$FL_CLI"
    local out
    out="$("${cli[@]}" verify --device cuda --reduced-precision 2>&1)"
    local rc=$?
    echo "$out"
    local compiled
    compiled=$(grep -c 'rwkvnative: compiled ' <<< "$out")
    echo "-- NVRTC compiles on the warm start: $compiled (must be 0); $(find "$RWKV_KERNEL_CACHE" -type f | wc -l) files in $RWKV_KERNEL_CACHE"
    [ "$rc" -eq 0 ] && [ "$compiled" -eq 0 ]
}

bench_offline() {
    local -a cli
    read -r -a cli <<< "$FL_CLI"
    local mode="$1" placement="${2:-auto}"
    "${cli[@]}" bench --device cuda --preset tiny --weights-dir /tmp/rwkv-first-light-weights --workload offline \
        --resident "$mode" --placement "$placement" --warmup 2 --iters 10 --json > "$OUT/bench-offline-$mode-$placement.json" || return 1
    cat "$OUT/bench-offline-$mode-$placement.json"
}

# Offline reranking from the on-disk store's memory-mapped log: index 64 documents (fp16 states) on DEVICE, then score
# the store streamed from the mapping (--placement host: page-locked in place, a "rerank: warning:" line if the driver
# refused) and copied into device memory (--placement device), against the CPU reading the same mapped states.
store_mapped() {
    local -a cli
    read -r -a cli <<< "$FL_CLI"
    local device="${1:-cuda}" store=/tmp/rwkv-first-light-store
    local -a m=(-m src/RwkvNative/Data/tiny-bf16.emb.pth -r src/RwkvNative/Data/tiny-bf16.reranker.pth)
    rm -rf "$store"
    for i in $(seq 1 64); do echo "{\"id\":\"d$i\",\"text\":\"document $i: $(( i * 37 % 101 )) facts about oceans, cats and recurrent networks\"}"; done \
        | "${cli[@]}" index --device "$device" --fp16 "${m[@]}" -o "$store" > /dev/null || return 1
    local p
    for p in host device; do
        "${cli[@]}" rerank --device "$device" "${m[@]}" -q "which ocean?" --store "$store" --placement "$p" \
            > "$OUT/rerank-store-$p.jsonl" 2> "$OUT/rerank-store-$p.err" || { cat "$OUT/rerank-store-$p.err"; return 1; }
        grep -v '^device:' "$OUT/rerank-store-$p.err"
    done
    "${cli[@]}" rerank --device cpu "${m[@]}" -q "which ocean?" --store "$store" > "$OUT/rerank-store-cpu.jsonl" 2> /dev/null || return 1
    # Same documents in the same order on every path, logits within 0.02 of the CPU's (the same fp16 states).
    paste -d' ' "$OUT/rerank-store-cpu.jsonl" "$OUT/rerank-store-host.jsonl" "$OUT/rerank-store-device.jsonl" | awk '
        { n = split($0, f, /[,:} ]+/); ids = ""; k = 0
          for (i = 1; i <= n; i++) { if (f[i] == "\"id\"") ids = ids " " f[i + 1]; if (f[i] == "\"logit\"") l[++k] = f[i + 1] }
          split(ids, id, " "); if (id[1] != id[2] || id[1] != id[3]) bad++
          for (j = 2; j <= 3; j++) { d = l[j] - l[1]; if (d < 0) d = -d; if (d > max) max = d }
          rows++ }
        END { printf "-- %d documents, max |logit - cpu| = %.3g, %d order mismatches\n", rows, max, bad; exit (rows != 64 || bad > 0 || max > 0.02) }' || return 1
    ! grep -q 'warning' "$OUT/rerank-store-host.err"
}

export -f libraries harness verify_warm bench_offline store_mapped
step libraries 60 libraries
step harness 240 harness
if [ -x native/build/kernel_harness ] && command -v compute-sanitizer >/dev/null; then
    step harness-racecheck 180 compute-sanitizer --tool racecheck --error-exitcode 3 native/build/kernel_harness "$root/kernels"
else
    step harness-racecheck 5 sh -c 'echo "needs the harness (CUDA toolkit) and compute-sanitizer"; exit 1'
fi
rm -rf "$RWKV_KERNEL_CACHE"
step verify-cold 180 "${cli[@]}" verify --device cuda --reduced-precision
step verify-warm 90 verify_warm
step verify-no-fused 90 env RWKV_CUDA_FUSED=0 "${cli[@]}" verify --device cuda --reduced-precision
step verify-no-graphs 90 env RWKV_CUDA_GRAPHS=0 "${cli[@]}" verify --device cuda --reduced-precision
step verify-no-half-inputs 90 env RWKV_CUDA_HALF_INPUTS=0 "${cli[@]}" verify --device cuda --reduced-precision
step verify-no-token-pool 90 env RWKV_CUDA_TOKEN_POOL=0 "${cli[@]}" verify --device cuda --reduced-precision
step verify-small-passes 90 env RWKV_CUDA_PASS_TOKENS=64 "${cli[@]}" verify --device cuda --reduced-precision
step verify-split-wkv7 90 env RWKV_CUDA_WKV7=split "${cli[@]}" verify --device cuda --reduced-precision
if command -v compute-sanitizer >/dev/null; then
    step verify-memcheck 240 compute-sanitizer --tool memcheck --error-exitcode 3 "${cli[@]}" verify --device cuda --reduced-precision
else
    step verify-memcheck 5 sh -c 'echo "compute-sanitizer not found (CUDA toolkit)"; exit 1'
fi
step bench-offline-resident 240 bench_offline fp32
step bench-offline-streamed 240 bench_offline fp16 host
step bench-offline-host 120 bench_offline off
step rerank-store-mapped 240 store_mapped cuda

say "== summary ($(( $(date +%s) - started ))s in all; log $log)"
for line in "${summary[@]}"; do say "  $line"; done
say "$failures step(s) failed"
exit "$failures"
