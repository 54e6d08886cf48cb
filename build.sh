#!/usr/bin/env bash
# RwkvNative build entry point: ./build.sh <command>   (run without arguments for the list)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLER_DIR="$PWD"   # demo, run and bench run the CLI here, so the user's relative paths keep working
cd "$ROOT"
CONFIG="${CONFIG:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() {
  cat <<USAGE
usage: ./build.sh <command> [args]
  restore          restore NuGet packages
  build            build the solution ($CONFIG)
  test [args]      build and run every test; TRX in artifacts/test-results/tests.trx (args go to the xunit runner)
  demo [args]      run 'rwkv-emb demo' on the bundled random-weight model
  run <args>       run the rwkv-emb CLI with <args>
  publish [rid] [isa]  NativeAOT single binary of rwkv-emb (default rid linux-x64, isa x86-64-v3 = AVX2+FMA;
                   'native' for this CPU, e.g. AVX-512) into artifacts/publish/<rid>
  kernels          compile-check every kernels/*.cu with clang-14 (no CUDA toolkit needed)
  nvrtc-check      compile every kernels/*.cu with NVIDIA's NVRTC + ptxas 11.8 (fetched once from Debian non-free, cached)
                   for sm_80 and sm_90; fails on errors, spills or registers over budget; prints the resource table
  native           configure and build the native CUDA harness with CMake (skips without a CUDA toolkit)
  emulate          run the CUDA backend's tests on the CPU emulator of the CUDA libraries (native/emu; slow, no GPU needed)
  bench [args]     run 'rwkv-emb bench' (Release)
  fuzz [target|all] [seconds]  fuzz the parsers with AFL++ + SharpFuzz (docs/fuzzing.md; 0 s = until Ctrl-C)
USAGE
}

cli_dll() { echo "$ROOT/src/RwkvNative.Cli/bin/$CONFIG/net10.0/rwkv-emb.dll"; }

# Builds the CLI quietly; when the build fails, its errors go to stderr and the script stops with its exit code.
build_cli() {
  local log rc=0
  log="$(mktemp)"
  dotnet build src/RwkvNative.Cli/RwkvNative.Cli.csproj -c "$CONFIG" -v quiet -nologo >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "error: building the rwkv-emb CLI failed (dotnet build exit $rc):" >&2
    if grep -qE ': error ' "$log"; then grep -E ': error ' "$log" | sort -u >&2; else cat "$log" >&2; fi
    rm -f "$log"
    exit "$rc"
  fi
  rm -f "$log"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  restore) dotnet restore RwkvNative.sln ;;
  build) dotnet build RwkvNative.sln -c "$CONFIG" ;;
  test)
    dotnet build tests/RwkvNative.Tests/RwkvNative.Tests.csproj -c "$CONFIG" -v quiet -nologo
    mkdir -p artifacts/test-results
    rm -f artifacts/test-results/tests.trx
    # One line per skipped test class (scripts/collapse-skips.awk); every skip reason is in the TRX file.
    "tests/RwkvNative.Tests/bin/$CONFIG/net10.0/RwkvNative.Tests" -noColor -result-trx artifacts/test-results/tests.trx "$@" \
      | awk -f scripts/collapse-skips.awk
    ;;
  demo|run|bench)
    build_cli
    dll="$(cli_dll)"
    cd "$CALLER_DIR"
    case "$cmd" in
      run) dotnet "$dll" "$@" ;;
      *) dotnet "$dll" "$cmd" "$@" ;;
    esac
    ;;
  publish)
    rid="${1:-linux-x64}"
    # NativeAOT fixes the vector width at compile time: without an instruction set the SIMD paths fall back to 128 bits.
    case "$rid" in
      *-x64) isa="${2:-x86-64-v3}" ;;
      *) isa="${2:-}" ;;
    esac
    dotnet publish src/RwkvNative.Cli/RwkvNative.Cli.csproj -c Release -r "$rid" -p:PublishAot=true \
      ${isa:+-p:IlcInstructionSet=$isa} -o "artifacts/publish/$rid"
    ;;
  kernels) bash kernels/ci/check.sh ;;
  nvrtc-check)
    toolchain="$(bash scripts/ci/nvrtc-toolchain.sh)" || { echo "error: NVRTC/ptxas 11.8 could not be fetched (see above)" >&2; exit 1; }
    eval "$toolchain"
    export RWKV_CHECK_REPORT="$ROOT/artifacts/kernel-resources"
    rm -rf "$RWKV_CHECK_REPORT"
    dotnet build tests/RwkvNative.Tests/RwkvNative.Tests.csproj -c "$CONFIG" -v quiet -nologo
    status=0
    "tests/RwkvNative.Tests/bin/$CONFIG/net10.0/RwkvNative.Tests" -noColor -class RwkvNative.Tests.Cuda.RealNvrtcTests "$@" || status=$?
    bash scripts/ci/kernel-table.sh "$RWKV_CHECK_REPORT"
    exit "$status"
    ;;
  native)
    cmake -S . -B native/build -G "${CMAKE_GENERATOR:-Unix Makefiles}" -DCMAKE_BUILD_TYPE=Release
    cmake --build native/build -j
    ;;
  emulate) bash scripts/gpu/emulate.sh "$@" ;;
  fuzz) bash scripts/fuzz/afl.sh "$@" ;;
  ""|-h|--help|help) usage ;;
  *) echo "error: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
