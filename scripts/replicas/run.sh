#!/usr/bin/env bash
# Scale-out check: N `rwkv-emb serve` replicas behind nginx, all on 127.0.0.1, sharing one document-state store and one
# vector index read-only; a bounded load through nginx must get no errors and, for every request, the same bytes that a
# single replica answers. Prints a summary; exit 0 only when every check holds.
#
#   usage: scripts/replicas/run.sh [--replicas N] [--requests N] [--concurrency N] [--bin PATH]
#   defaults: 2 replicas, 300 requests, 8 at a time. Needs nginx (Debian: apt-get install nginx) and curl.
#   The binary: --bin, else $RWKV_EMB, else the NativeAOT one in artifacts/publish/linux-x64 (./build.sh publish),
#   else the Release build run with dotnet (built when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REPLICAS=2 REQUESTS=300 CONCURRENCY=8 BIN="${RWKV_EMB:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    *) echo "error: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
[ "$REPLICAS" -ge 2 ] || { echo "error: --replicas must be at least 2" >&2; exit 2; }
command -v nginx >/dev/null || { echo "error: nginx not found; install it (Debian: apt-get install nginx)" >&2; exit 1; }
command -v curl >/dev/null || { echo "error: curl not found" >&2; exit 1; }

if [ -z "$BIN" ] && [ -x "$ROOT/artifacts/publish/linux-x64/rwkv-emb" ]; then BIN="$ROOT/artifacts/publish/linux-x64/rwkv-emb"; fi
if [ -z "$BIN" ]; then
  DLL="$ROOT/src/RwkvNative.Cli/bin/Release/net10.0/rwkv-emb.dll"
  [ -f "$DLL" ] || dotnet build "$ROOT/src/RwkvNative.Cli/RwkvNative.Cli.csproj" -c Release -v quiet -nologo >/dev/null
  RUN=(dotnet "$DLL")
else
  RUN=("$BIN")
fi

W="$(mktemp -d "${TMPDIR:-/tmp}/rwkv-replicas.XXXXXX")"
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  chmod -R u+w "$W" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }

# As root, the replicas run as 'nobody' so that the read-only store and models are enforced by the kernel, as in a
# container; when 'nobody' cannot run the binary (a checkout under a private folder), they run as this user and the
# sha256 check below is the proof that nothing was written.
AS=()
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  if (cd / && runuser -u nobody -- env HOME="$W" DOTNET_CLI_TELEMETRY_OPTOUT=1 "${RUN[@]}" --help >/dev/null 2>&1); then
    AS=(runuser -u nobody --)
  else
    echo "note: user 'nobody' cannot run ${RUN[*]}; the replicas run as $(id -un)" >&2
  fi
fi

# 1. The models (mounted read-only in a container) and the shared store + vector index, made once.
mkdir -p "$W/models"
cp "$ROOT/src/RwkvNative/Data/tiny-bf16.emb.pth" "$ROOT/src/RwkvNative/Data/tiny-bf16.reranker.pth" "$W/models/"
MODEL="$W/models/tiny-bf16.emb.pth" RR="$W/models/tiny-bf16.reranker.pth"
for i in $(seq 0 23); do
  printf '{"id": "doc-%02d", "text": "Document %d is about topic %d: trains, rivers, apples, databases and the end of a sentence, in that order %d."}\n' \
    "$i" "$i" "$((i % 5))" "$((i * 7 % 11))"
done >"$W/docs.jsonl"
"${RUN[@]}" index --model "$MODEL" --reranker "$RR" --out "$W/store" --vectors "$W/vectors.safetensors" --device cpu \
  <"$W/docs.jsonl" >/dev/null 2>"$W/index.log" || { cat "$W/index.log" >&2; exit 1; }
chmod -R a-w "$W/models" "$W/store" "$W/vectors.safetensors"
before="$(cd "$W" && find models store vectors.safetensors -type f -print0 | sort -z | xargs -0 sha256sum)"

# 2. The replicas, one CPU thread each, on loopback ports.
PORTS=()
port=$(free_port 41000)
for r in $(seq 1 "$REPLICAS"); do
  PORTS+=("$port")
  env HOME="$W" DOTNET_CLI_TELEMETRY_OPTOUT=1 "${AS[@]}" "${RUN[@]}" --threads 1 serve --model "$MODEL" --reranker "$RR" \
    --store "$W/store" --vectors "$W/vectors.safetensors" --host 127.0.0.1 --port "$port" --device cpu --model-id tiny \
    >"$W/replica-$r.log" 2>&1 &
  PIDS+=("$!")
  port=$(free_port $((port + 1)))
done
for r in $(seq 1 "$REPLICAS"); do
  p="${PORTS[$((r - 1))]}"
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$((r - 1))]}" 2>/dev/null || { cat "$W/replica-$r.log" >&2; echo "error: replica $r exited" >&2; exit 1; }
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$p/health" >/dev/null || { cat "$W/replica-$r.log" >&2; echo "error: replica $r is not healthy" >&2; exit 1; }
done

# 3. nginx in front, on loopback too.
LB=$(free_port $((port + 1)))
mkdir -p "$W/nginx"
chmod 1777 "$W/nginx"
{
  echo "daemon off; worker_processes 1; pid $W/nginx/nginx.pid; error_log $W/nginx/error.log warn;"
  echo "events { worker_connections 256; }"
  echo "http {"
  echo "  log_format upstream '\$status \$upstream_addr \$request_uri';"
  echo "  access_log $W/nginx/access.log upstream;"
  for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $W/nginx/$t;"; done
  echo "  upstream rwkv {"
  echo "    least_conn;"
  for p in "${PORTS[@]}"; do echo "    server 127.0.0.1:$p max_fails=0;"; done
  echo "    keepalive 16;"
  echo "  }"
  echo "  server {"
  echo "    listen 127.0.0.1:$LB;"
  echo "    client_max_body_size 2m;"
  echo "    location / { proxy_pass http://rwkv; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_read_timeout 60s; }"
  echo "  }"
  echo "}"
} >"$W/nginx/nginx.conf"
nginx -t -c "$W/nginx/nginx.conf" -p "$W/nginx" >"$W/nginx/test.log" 2>&1 || { cat "$W/nginx/test.log" >&2; exit 1; }
nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" >"$W/nginx/stdout.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$LB/health" >/dev/null 2>&1 && break; sleep 0.2; done

# 4. The requests: every kind the replicas serve; the reference answer of each comes from replica 1 directly.
mkdir -p "$W/req" "$W/ref" "$W/out"
Q='What marks the end of a sentence?'
echo "{\"inputs\": [\"$Q\", \"trains and rivers\"]}" >"$W/req/0-embed"
echo "{\"input\": \"$Q\", \"model\": \"tiny\"}" >"$W/req/1-v1-embeddings"
echo "{\"query\": \"$Q\", \"texts\": [\"Apples are red.\", \"The EOS token ends a sentence.\", \"Paris is in France.\"]}" >"$W/req/2-rerank-texts"
echo "{\"query\": \"$Q\", \"ids\": [\"doc-03\", \"doc-11\", \"doc-17\", \"doc-00\"]}" >"$W/req/3-rerank-ids"
echo "{\"query\": \"$Q\", \"top_k\": 8, \"top_n\": 5}" >"$W/req/4-search"
KINDS=()
for f in "$W"/req/*; do KINDS+=("$(basename "$f")"); done
route() { case "${1#*-}" in embed) echo /embed ;; v1-embeddings) echo /v1/embeddings ;; rerank-*) echo /rerank ;; search) echo /search ;; esac; }
for k in "${KINDS[@]}"; do
  code=$(curl -sS -o "$W/ref/$k" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$W/req/$k" "http://127.0.0.1:${PORTS[0]}$(route "$k")")
  [ "$code" = 200 ] || { cat "$W/ref/$k" >&2; echo "error: reference request $k answered $code" >&2; exit 1; }
done
for k in "${KINDS[@]}"; do echo "$k $(route "$k")"; done >"$W/kinds"

cat >"$W/one.sh" <<ONE
#!/usr/bin/env bash
i=\$1
mapfile -t kinds <"$W/kinds"
read -r k path <<<"\${kinds[\$((i % \${#kinds[@]}))]}"
code=\$(curl -sS --max-time 30 -o "$W/out/\$i" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$W/req/\$k" "http://127.0.0.1:$LB\$path" 2>>"$W/curl.err" || true)
echo "\$i \$k \$code" >>"$W/codes"
ONE
chmod +x "$W/one.sh"
start=$(date +%s.%N)
seq 0 $((REQUESTS - 1)) | timeout 600 xargs -P "$CONCURRENCY" -n 1 "$W/one.sh"
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

# 5. The checks.
errors=$(awk '$3 != 200' "$W/codes" | wc -l)
answered=$(wc -l <"$W/codes")
mismatches=0
while read -r i k code; do
  [ "$code" = 200 ] || continue
  cmp -s "$W/out/$i" "$W/ref/$k" || mismatches=$((mismatches + 1))
done <"$W/codes"
after="$(cd "$W" && find models store vectors.safetensors -type f -print0 | sort -z | xargs -0 sha256sum)"
echo "rwkv-emb replicas behind nginx: $REPLICAS replicas (${RUN[*]##*/}, one CPU thread each), nginx least_conn on 127.0.0.1:$LB"
echo "store: $(grep -o '[0-9]* documents stored' "$W/index.log") and their embeddings, shared read-only by every replica (as $([ ${#AS[@]} -gt 0 ] && echo nobody || id -un))"
printf 'load: %d requests (%d kinds: %s), %d at a time, in %.1f s\n' "$REQUESTS" "${#KINDS[@]}" "$(printf '%s ' "${KINDS[@]#*-}" | sed 's/ $//')" "$CONCURRENCY" "$elapsed"
echo "answered: $answered; non-200: $errors; answers differing from a single replica's: $mismatches"
echo "load requests served per replica (nginx upstream_addr):"
ok=1
for p in "${PORTS[@]}"; do
  n=$(grep -v ' /health$' "$W/nginx/access.log" | grep -c " 127.0.0.1:$p " || true)
  echo "  127.0.0.1:$p  $n"
  [ "$n" -gt 0 ] || ok=0
done
if [ "$before" = "$after" ]; then echo "store and models: unchanged (sha256 of every file)"; else echo "store and models: CHANGED"; ok=0; fi
for r in $(seq 1 "$REPLICAS"); do
  if grep -qiE "fail|exception" "$W/replica-$r.log"; then echo "replica $r logged an error:"; grep -iE "fail|exception" "$W/replica-$r.log" | head -3; ok=0; fi
done
if [ "$answered" -ne "$REQUESTS" ] || [ "$errors" -ne 0 ] || [ "$mismatches" -ne 0 ] || [ "$ok" -ne 1 ]; then
  [ -s "$W/curl.err" ] && head -5 "$W/curl.err"
  echo "replicas: FAILED"
  exit 1
fi
echo "replicas: OK"
