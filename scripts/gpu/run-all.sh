#!/usr/bin/env bash
# Runbook for the GPU host (no .NET there: run scripts/gpu/prepare.sh on the development machine first and carry what
# it lists). One stage per device call, each well inside the 10-minute limit; every log goes under $OUT (at most 8 files
# come back, so each stage writes few).
#   bash scripts/gpu/run-all.sh correctness          nvidia-smi, native harness, verify, kernel cache, sanitizers, ncu
#   bash scripts/gpu/run-all.sh bench tiny [base] [large]   our bench (+ each lever off) and the upstream peer, per preset
#   bash scripts/gpu/run-all.sh tests                the xunit suite's CUDA namespace on the copied .NET runtime
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
OUT="${OUT:-$root/out}"
mkdir -p "$OUT"
cli="$root/.gpu/cli/rwkv-emb"
stage="${1:-}"
shift || true
export RWKV_KERNEL_CACHE="${RWKV_KERNEL_CACHE:-/tmp/rwkv-kernel-cache}"

header() {
    echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $*"
}

device_banner() {
    header "device"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    nvidia-smi -L
    (nvcc --version | tail -2) 2>&1 || echo "no nvcc"
    uname -r
}

# Runs "$@", prints its exit status and wall time; never stops the stage.
step() {
    local name="$1"
    shift
    header "$name: $*"
    local t0=$(date +%s.%N)
    "$@"
    local rc=$?
    echo "-- $name: exit $rc, $(echo "$(date +%s.%N) - $t0" | bc) s"
    return 0
}

correctness() {
    local log="$OUT/correctness.log"
    {
        device_banner
        [ -x "$cli" ] || { echo "missing $cli: run scripts/gpu/prepare.sh and carry .gpu/cli"; return 1; }

        # Native harness: every kernel (both wkv7 variants, the fused LN + shift) against a C++ reference, with timings.
        step cmake cmake -S . -B native/build -G Ninja -DCMAKE_BUILD_TYPE=Release
        step build cmake --build native/build
        step harness native/build/kernel_harness "$root/kernels"

        # The reference cases through the NativeAOT CLI; first with an empty kernel cache (NVRTC compiles), then again
        # (must print no "compiled" line: second start is a cache hit), then with each lever switched off.
        rm -rf "$RWKV_KERNEL_CACHE"
        step verify-cold "$cli" verify --device cuda --reduced-precision
        step verify-warm "$cli" verify --device cuda --reduced-precision
        echo "-- NVRTC compiles on the warm start (must be 0): $(ls "$RWKV_KERNEL_CACHE" | wc -l) files cached"
        RWKV_CUDA_FUSED=0 RWKV_CUDA_GRAPHS=0 step verify-no-levers "$cli" verify --device cuda --reduced-precision
        RWKV_CUDA_WKV7=split step verify-split-wkv7 "$cli" verify --device cuda --reduced-precision

        # First embedding after process start (0.1B shape would need its weights; the bundled fixtures show the startup
        # path: load, context, cached kernels, one forward).
        step first-embedding bash -c "echo '{\"tokens\": [1, 2, 3, 65535]}' | $cli embed --device cuda --model src/RwkvNative/Data/tiny-bf16.emb.pth > /dev/null"

        # Sanitizers on the small reference suite: a full forward, ragged batches and offline reranking.
        step memcheck compute-sanitizer --tool memcheck --leak-check full --error-exitcode 3 "$cli" verify --device cuda --reduced-precision
        step racecheck compute-sanitizer --tool racecheck --error-exitcode 3 "$cli" verify --device cuda --reduced-precision
        step synccheck compute-sanitizer --tool synccheck --error-exitcode 3 "$cli" verify --device cuda --reduced-precision
        step initcheck compute-sanitizer --tool initcheck --error-exitcode 3 "$cli" verify --device cuda --reduced-precision
    } 2>&1 | tee "$log"

    # ncu on the wkv7 kernels of the harness (its shapes include B=16 x T=128 at the 0.1B width and B=1 x T=4096).
    ncu --kernel-name regex:wkv7 --launch-count 12 --section SpeedOfLight --section Occupancy --section LaunchStats \
        --section MemoryWorkloadAnalysis native/build/kernel_harness "$root/kernels" > "$OUT/ncu-wkv7.txt" 2>&1
    echo "ncu exit $?" >> "$OUT/ncu-wkv7.txt"
}

bench() {
    [ $# -gt 0 ] || set -- tiny
    local log="$OUT/bench.log"
    device_banner 2>&1 | tee -a "$log"
    [ -x "$cli" ] || { echo "missing $cli" | tee -a "$log"; return 1; }
    for preset in "$@"; do
        {
            step "ours-$preset" bash -c "$cli bench --device cuda --preset $preset --workload all --json > $OUT/ours-$preset.json"
            if [ "$preset" = tiny ]; then
                # Each lever off on its own, so its effect can be read against the default run above.
                for lever in RWKV_CUDA_GRAPHS=0 RWKV_CUDA_FUSED=0 RWKV_CUDA_WKV7=split; do
                    step "ours-tiny-$lever" env "$lever" "$cli" bench --device cuda --preset tiny --workload prefill,latency --json
                done
            fi
            if [ -d .gpu/peer ]; then
                step "upstream-$preset" env PYTHONUNBUFFERED=1 python3 .gpu/peer/bench_upstream.py --preset "$preset" --workload all \
                    --json "$OUT/upstream-$preset.json"
            else
                echo "no .gpu/peer: carry it for the side-by-side figures"
            fi
        } 2>&1 | tee -a "$log"
    done
}

tests() {
    local log="$OUT/tests.log"
    {
        device_banner
        mkdir -p /tmp/dn /tmp/rwkv-tests
        tar -C /tmp/dn -xJf .gpu/dotnet.tar.xz && tar -C /tmp/rwkv-tests -xJf .gpu/tests.tar.xz || { echo "carry .gpu/dotnet.tar.xz and .gpu/tests.tar.xz"; return 1; }
        # The tests read their data beside the binary (rwkvnative-data) and the kernels from the repository root above it,
        # so the binary must sit inside the tree.
        rm -rf .gpu/tests-bin && cp -r /tmp/rwkv-tests .gpu/tests-bin
        mkdir -p .gpu/tests-bin/rwkvnative-data && cp src/RwkvNative/Data/*.* .gpu/tests-bin/rwkvnative-data/
        step cuda-tests /tmp/dn/dotnet .gpu/tests-bin/RwkvNative.Tests.dll -noColor -namespace RwkvNative.Tests.Cuda \
            -class RwkvNative.Tests.Backends.CudaEmbeddingBackendContractTests
        RWKV_CUDA_GRAPHS=0 RWKV_CUDA_FUSED=0 step cuda-tests-no-levers /tmp/dn/dotnet .gpu/tests-bin/RwkvNative.Tests.dll -noColor \
            -class RwkvNative.Tests.Cuda.CudaBackendTests
    } 2>&1 | tee "$log"
}

case "$stage" in
    correctness) correctness ;;
    bench) bench "$@" ;;
    tests) tests ;;
    *) echo "usage: run-all.sh correctness | bench [tiny] [base] [large] | tests" >&2; exit 2 ;;
esac
