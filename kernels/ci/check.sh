#!/usr/bin/env bash
# Compile-checks every kernel without a GPU or CUDA toolkit: clang-14 device-only compile to PTX,
# with ci/clang_prelude.h standing in for NVRTC's built-ins. Exit status 1 if any kernel fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernels="$(dirname "$here")"
clang="${CLANG:-clang-14}"
arch="${CUDA_ARCH:-sm_80}"
command -v "$clang" >/dev/null || { echo "check.sh: $clang not found (install clang-14)" >&2; exit 2; }
# The model constants, as NVRTC receives them: the -D lines of nvrtc.options (the one list of options and defines).
mapfile -t defines < <(grep '^-D' "$kernels/nvrtc.options")
failed=0
count=0
for k in "$kernels"/*.cu; do
    count=$((count + 1))
    if "$clang" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch="$arch" \
        -Wall -Werror "${defines[@]}" -include "$here/clang_prelude.h" -S "$k" -o /dev/null; then
        echo "ok   $(basename "$k")"
    else
        echo "FAIL $(basename "$k")"
        failed=$((failed + 1))
    fi
done
echo "$((count - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
