#!/usr/bin/env bash
# Builds the CPU emulator of the CUDA driver/NVRTC/cuBLAS (native/emu) into native/build/emu/librwkv_cuda_emu.so:
# every kernels/*.cu compiled as host C++ with emu_shim.h, registered with its source text and kernel signatures.
# Needs g++ 12+ (for _Float16) and python3. Prints the library path on success.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
emu="$root/native/emu"
out="${EMU_OUT:-$root/native/build/emu}"
cxx="${CXX:-g++}"
mkdir -p "$out/gen"

python3 - "$root/kernels" "$out/gen" <<'PY'
import os, re, sys
kernels, gen = sys.argv[1], sys.argv[2]
pattern = re.compile(r'extern\s+"C"\s+__global__\s+(?:void\s+)?(?:__launch_bounds__\([^)]*\)\s+)?(?:void\s+)?(\w+)\s*\(')
def raw(text):
    if ')RWKVEMU"' in text: raise SystemExit("source contains the raw-string delimiter")
    return 'R"RWKVEMU(' + text + ')RWKVEMU"'
for name in sorted(os.listdir(kernels)):
    path = os.path.join(kernels, name)
    if not os.path.isfile(path): continue
    text = open(path, encoding='utf-8', newline='').read()
    if name.endswith('.cu'):
        names = pattern.findall(text)
        if not names: raise SystemExit(f"no extern \"C\" kernels found in {name}")
        entries = ",\n    ".join(f'rwkv_emu::make_kernel("{k}", &{k})' for k in names)
        body = (f'#include "{path}"\n#include "emu_runtime.h"\n'
                f'static rwkv_emu::Registrar rwkv_emu_registrar("{name}", {raw(text)}, {{\n    {entries}\n}});\n')
    elif name.endswith('.cuh'):
        body = f'#include "emu_runtime.h"\nstatic rwkv_emu::HeaderRegistrar rwkv_emu_header("{name}", {raw(text)});\n'
    else:
        continue
    dest = os.path.join(gen, name.replace('.', '_') + '.cpp')
    if not os.path.exists(dest) or open(dest, encoding='utf-8', newline='').read() != body:
        open(dest, 'w', encoding='utf-8', newline='').write(body)
PY

# The model constants, as NVRTC receives them: the kernels are compiled with them, and the runtime is told the list
# so that nvrtcCompileProgram accepts exactly these -D options (and refuses a backend built with other constants).
mapfile -t defines < <(grep '^-D' "$root/kernels/nvrtc.options")
flags=(-std=c++17 -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas -Wno-clobbered -I "$emu")
objs=()
for src in "$emu/emu_runtime.cpp" "$out"/gen/*.cpp; do
    obj="$out/$(basename "${src%.cpp}").o"
    objs+=("$obj")
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$emu/emu_shim.h" -nt "$obj" ] || [ "$emu/emu_runtime.h" -nt "$obj" ] || [ "$root/kernels/common.cuh" -nt "$obj" ] || [ "$root/kernels/nvrtc.options" -nt "$obj" ]; then
        case "$src" in
            */gen/*) "$cxx" "${flags[@]}" "${defines[@]}" -include "$emu/emu_shim.h" -c "$src" -o "$obj" ;;
            *) "$cxx" "${flags[@]}" "-DRWKV_EMU_DEFINES=\"${defines[*]}\"" -c "$src" -o "$obj" ;;
        esac
    fi
done
"$cxx" -shared -o "$out/librwkv_cuda_emu.so" "${objs[@]}"
echo "$out/librwkv_cuda_emu.so"
