#!/usr/bin/env bash
# Validates deploy/docker/Dockerfile as far as this machine allows. With a Docker engine: builds the base and the image,
# runs it with the models mounted read-only and waits for its HEALTHCHECK to report healthy. Without one (this sandbox):
# lints the Dockerfile (dockerfile-utils from npm), assembles the image's filesystem exactly as the Dockerfile says (the
# base from make-base.sh plus its COPY), and runs the image's ENTRYPOINT in it with chroot as the Dockerfile's USER, with
# /proc, /dev nodes and /sys as a runtime mounts them and the models bind-mounted read-only; then runs the HEALTHCHECK
# command, an embedding request and a write attempt to /models.
#   usage: scripts/container/check.sh          (needs artifacts/publish/linux-x64/rwkv-emb: ./build.sh publish; root for chroot)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKERFILE="$ROOT/deploy/docker/Dockerfile"
cd "$ROOT"
bin="artifacts/publish/linux-x64/rwkv-emb"
[ -x "$bin" ] || { echo "error: $bin not found; build it with ./build.sh publish" >&2; exit 1; }

# What the Dockerfile says (one COPY, USER, HEALTHCHECK CMD, ENTRYPOINT), read from it rather than repeated here.
copy_line="$(grep -E '^COPY ' "$DOCKERFILE")"
read -r -a copy_words <<<"$copy_line"
copy_src="${copy_words[-2]}" copy_dst="${copy_words[-1]}"
user="$(awk '/^USER /{ print $2 }' "$DOCKERFILE")"
entry="$(sed -n 's/^ENTRYPOINT \["\([^"]*\)"\]$/\1/p' "$DOCKERFILE")"
health_json="$(awk '/^HEALTHCHECK/{ h = 1 } h && /CMD \[/{ sub(/.*CMD /, ""); print; exit }' "$DOCKERFILE")"
mapfile -t health < <(grep -o '"[^"]*"' <<<"$health_json" | tr -d '"')
[ "$copy_src" = "$bin" ] || { echo "error: the Dockerfile copies $copy_src, not $bin" >&2; exit 1; }
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || { echo "error: the Dockerfile's USER ($user) is not a non-root user" >&2; exit 1; }
[ "$entry" = "$copy_dst" ] || { echo "error: ENTRYPOINT ($entry) is not the copied binary ($copy_dst)" >&2; exit 1; }
[ "${health[0]}" = "$copy_dst" ] || { echo "error: the HEALTHCHECK does not run the binary" >&2; exit 1; }
echo "Dockerfile: COPY $copy_src -> $copy_dst, USER $user, ENTRYPOINT $entry, HEALTHCHECK ${health[*]}"

# 1. Lint with dockerfile-utils (the Docker language service's linter: knows every instruction and flag; dockerfilelint
#    1.8.0 was tried and rejects HEALTHCHECK --start-period, which Docker has accepted since 17.05).
if command -v npx >/dev/null 2>&1; then
  if lint="$(cd "${TMPDIR:-/tmp}" && npx --yes dockerfile-utils@0.16.3 lint "$DOCKERFILE" 2>&1)"; then echo "dockerfile-utils lint: no issues"; else echo "$lint"; echo "error: dockerfile-utils lint found issues" >&2; exit 1; fi
else
  echo "dockerfile-utils lint: skipped (no npx)"
fi

W="$(mktemp -d "${TMPDIR:-/tmp}/rwkv-image.XXXXXX")"
PID=""
MOUNTS=()
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  # Unmount in reverse order before deleting anything: the folder must never be removed through a mount.
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  if grep -q " $W/" /proc/mounts; then echo "error: mounts under $W remain; not deleting it" >&2; return; fi
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
mkdir -p "$W/models"
cp src/RwkvNative/Data/tiny-bf16.emb.pth "$W/models/emb.pth"
cp src/RwkvNative/Data/tiny-bf16.reranker.pth "$W/models/reranker.pth"

if docker info >/dev/null 2>&1; then
  # 2a. The real thing.
  bash scripts/container/make-base.sh "$W/base" "$bin"
  docker build -f "$DOCKERFILE" -t rwkvnative/rwkv-emb:check .
  cid="$(docker run -d --read-only -p 127.0.0.1::3000 -v "$W/models:/models:ro" rwkvnative/rwkv-emb:check)"
  for _ in $(seq 1 40); do
    state="$(docker inspect -f '{{.State.Health.Status}}' "$cid")"
    [ "$state" = healthy ] && break
    sleep 3
  done
  docker rm -f "$cid" >/dev/null
  [ "$state" = healthy ] || { echo "error: the container did not become healthy ($state)" >&2; exit 1; }
  echo "container: healthy"
  exit 0
fi

# 2b. No engine: the same filesystem, the same user, the same binary, under chroot.
why="$( (docker info 2>&1 || true) | grep -m1 -iE 'cannot connect|error' || true)"
echo "docker: no engine here (${why:-docker info failed}); validating without it"
[ "$(id -u)" = 0 ] || { echo "error: chroot needs root" >&2; exit 1; }
CHROOT="$(command -v chroot)" || { echo "error: chroot not found (coreutils)" >&2; exit 1; }
bash scripts/container/make-base.sh "$W/rootfs" "$bin" | sed 's/^/  /'
install -D -m 0555 -o 0 -g 0 "$copy_src" "$W/rootfs$copy_dst"
echo "image filesystem: $(find "$W/rootfs" -type f | wc -l) files, $(du -sh "$W/rootfs" | cut -f1) (binary $(du -h "$bin" | cut -f1))"
# What a container runtime gives every container: /proc, a few /dev nodes, /sys read-only; and the models as a
# read-only bind mount (docker run -v models:/models:ro).
mnt() { mount "$@"; MOUNTS+=("${@: -1}"); }
mkdir -p "$W/rootfs/proc" "$W/rootfs/dev" "$W/rootfs/sys"
mnt -t proc proc "$W/rootfs/proc"
mnt -t tmpfs -o mode=755,nosuid tmpfs "$W/rootfs/dev"
for node in null zero random urandom; do
  touch "$W/rootfs/dev/$node"
  mnt --bind "/dev/$node" "$W/rootfs/dev/$node"
done
mnt --bind /sys "$W/rootfs/sys"
mount -o remount,bind,ro "$W/rootfs/sys"
mnt --bind "$W/models" "$W/rootfs/models"
mount -o remount,bind,ro "$W/rootfs/models"
port=43000
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
# The image's CMD listens on 0.0.0.0:3000; here it shares the host's network, so it is told 127.0.0.1 and a free port.
env -i "$CHROOT" --userspec="$user" "$W/rootfs" "$entry" serve --model /models/emb.pth --reranker /models/reranker.pth \
  --host 127.0.0.1 --port "$port" --device cpu >"$W/serve.log" 2>&1 &
PID=$!
health_cmd=("${health[@]}")
health_cmd[${#health_cmd[@]}-1]="http://127.0.0.1:$port/health"
ok=""
for _ in $(seq 1 60); do
  if env -i "$CHROOT" --userspec="$user" "$W/rootfs" "${health_cmd[@]}" 2>/dev/null; then ok=1; break; fi
  kill -0 "$PID" 2>/dev/null || break
  sleep 1
done
[ -n "$ok" ] || { cat "$W/serve.log" >&2; echo "error: the HEALTHCHECK command never succeeded" >&2; exit 1; }
uid="$(ps -o uid= -p "$PID" | tr -d ' ')"
[ "$uid" = "${user%%:*}" ] || { echo "error: serve runs as uid $uid, not ${user%%:*}" >&2; exit 1; }
echo "serve: running as uid $uid in the image filesystem; HEALTHCHECK (${health[*]}): exit 0"
code="$(curl -sS -o "$W/embed.json" -w '%{http_code}' -H 'Content-Type: application/json' -d '{"inputs": "hello"}' "http://127.0.0.1:$port/embed")"
[ "$code" = 200 ] || { cat "$W/embed.json" >&2; echo "error: /embed answered $code" >&2; exit 1; }
echo "POST /embed: 200, $(grep -o ',' "$W/embed.json" | wc -l | awk '{ print $1 + 1 }') floats"
if env -i "$CHROOT" --userspec="$user" "$W/rootfs" "$entry" index --model /models/emb.pth --reranker /models/reranker.pth --out /models/store --device cpu </dev/null >"$W/write.log" 2>&1; then
  echo "error: the image's user could write under /models" >&2; exit 1
fi
echo "write under /models as $user: refused ($(head -c 120 "$W/write.log" | tr '\n' ' '))"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
grep -q "stopped" "$W/serve.log" && echo "serve: stopped cleanly on SIGTERM"
echo "container check: OK (no Docker engine: image filesystem under chroot, not a container)"
