#!/usr/bin/env bash
# Prints the register / shared-memory table that RealNvrtcTests wrote into the folder $1 (one file per kernel file and
# architecture), sorted by architecture, file and kernel. Prints a note instead when the folder holds no rows.
set -euo pipefail
dir="${1:?usage: kernel-table.sh <folder>}"
if ! compgen -G "$dir/*.txt" >/dev/null; then
    echo "kernel resources: no table in $dir (the real-NVRTC check did not run)"
    exit 0
fi
echo "kernel resources (NVRTC + ptxas -v; budget = min(255, 65536 / the launcher's largest block)):"
sort "$dir"/*.txt
