#!/usr/bin/env bash
# Checks the NativeAOT binary's generated parts of the server that reflection-free publishing could break: /openapi.json
# (an OpenAPI 3.1 document with every route), /docs (HTML rendered from it) and OpenTelemetry export (an OTLP/HTTP
# protobuf POST to /v1/traces carrying the service name, the request id and the tokenize/queue/compute spans) to a
# receiver on loopback. Exit 0 when all hold.
#   usage: scripts/aot/serve-check.sh [BIN]   (default artifacts/publish/linux-x64/rwkv-emb: ./build.sh publish; needs curl, python3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${1:-$ROOT/artifacts/publish/linux-x64/rwkv-emb}"
[ -x "$BIN" ] || { echo "error: $BIN not found; build it with ./build.sh publish" >&2; exit 1; }
M="$ROOT/src/RwkvNative/Data/tiny-bf16.emb.pth" R="$ROOT/src/RwkvNative/Data/tiny-bf16.reranker.pth"
W="$(mktemp -d)"
SERVE="" RECV=""
cleanup() { [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null; [ -n "$RECV" ] && kill "$RECV" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT="$(free_port)" OTLP="$(free_port)"

# The receiver: records each POST's path, content type and whether the body holds the expected strings.
python3 - "$OTLP" >"$W/otlp.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        found = [s for s in (b"rwkv-emb", b"aot-check-1", b"tokenize", b"queue", b"compute") if s in body]
        print(self.path, self.headers.get("content-type"), len(body), b",".join(found).decode(), flush=True)
        self.send_response(200); self.send_header("content-type", "application/x-protobuf"); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
RECV=$!

"$BIN" serve --model "$M" --reranker "$R" --device cpu --port "$PORT" --otlp-endpoint "http://127.0.0.1:$OTLP" >"$W/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done

code="$(curl -sS -o "$W/openapi.json" -w '%{http_code}' "http://127.0.0.1:$PORT/openapi.json")"
[ "$code" = 200 ] || { cat "$W/serve.log" >&2; echo "error: /openapi.json answered $code" >&2; exit 1; }
python3 - "$W/openapi.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
need = ["/", "/embed", "/rerank", "/search", "/tokenize", "/decode", "/v1/embeddings", "/v1/models", "/v1/rerank", "/v2/rerank", "/health", "/info", "/metrics", "/openapi.json", "/docs"]
missing = [p for p in need if p not in d["paths"]]
assert d["openapi"].startswith("3.1"), d["openapi"]
assert not missing, f"routes missing from the document: {missing}"
assert "inputs" in d["components"]["schemas"]["TeiEmbedRequest"]["properties"]
print(f"/openapi.json: OpenAPI {d['openapi']}, {len(d['paths'])} paths, {len(d['components']['schemas'])} schemas")
PY
code="$(curl -sS -o "$W/docs.html" -w '%{http_code}' "http://127.0.0.1:$PORT/docs")"
[ "$code" = 200 ] && grep -q '<span class="path">/v1/embeddings</span>' "$W/docs.html" && ! grep -qi '<script' "$W/docs.html" \
  || { echo "error: /docs answered $code or lacks the routes" >&2; exit 1; }
echo "/docs: 200, $(wc -c <"$W/docs.html") bytes of HTML, no script"

code="$(curl -sS -o /dev/null -w '%{http_code}' -H 'x-request-id: aot-check-1' -H 'Content-Type: application/json' -d '{"inputs": "hello"}' "http://127.0.0.1:$PORT/embed")"
[ "$code" = 200 ] || { echo "error: /embed answered $code" >&2; exit 1; }
kill -TERM "$SERVE"; wait "$SERVE" 2>/dev/null || true; SERVE=""   # the shutdown flushes the exporter
grep -q '^/v1/traces application/x-protobuf [0-9]* rwkv-emb,aot-check-1,tokenize,queue,compute$' "$W/otlp.log" \
  || { cat "$W/otlp.log" "$W/serve.log" >&2; echo "error: no OTLP export with the service name, request id and spans" >&2; exit 1; }
echo "OTLP: $(head -1 "$W/otlp.log")"
echo "aot serve check: OK"
