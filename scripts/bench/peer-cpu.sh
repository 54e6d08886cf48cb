#!/usr/bin/env bash
# Side-by-side CPU run: upstream rwkv-emb (pure PyTorch, float32) and `rwkv-emb bench`, same workloads, back to back.
#
# Usage: scripts/bench/peer-cpu.sh PEER_DIR [OUT_DIR]
#   PEER_DIR  the measuring peer (a folder with bench_upstream.py and rwkv_emb/, e.g. ../shared/peer)
#   OUT_DIR   where the patched copy, the random checkpoints and both JSON files go (default /tmp/rwkv-peer-cpu)
# Environment: PYTHON (default /usr/bin/python3, which needs Debian's python3-torch), THREADS (default 2),
#   RWKV_EMB (default: dotnet src/RwkvNative.Cli/bin/Release/net10.0/rwkv-emb.dll), and the workload sizes below.
#
# The peer is copied to OUT_DIR and the copy is patched at run time to run on the CPU in float32: its fp16 CUDA wkv7 op
# becomes a PyTorch recurrence with the kernel's arithmetic (decay = exp(-e^-0.5 * w), S = S*decay + (S a) b + v k,
# y = S r), 'cuda' becomes 'cpu', torch.cuda.synchronize a no-op, torch.load loses mmap= (torch 1.13). Nothing of the
# peer is kept in this repository; every patch asserts that the text it replaces exists, so a changed peer fails loudly.
set -euo pipefail

peer=${1:?usage: peer-cpu.sh PEER_DIR [OUT_DIR]}
out=${2:-/tmp/rwkv-peer-cpu}
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-2}
batch=${BATCH:-8}
tokens=${TOKENS:-256}
query=${QUERY_TOKENS:-64}
warmup=${WARMUP:-1}
iters=${ITERS:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
engine=${RWKV_EMB:-dotnet $root/src/RwkvNative.Cli/bin/Release/net10.0/rwkv-emb.dll}

[ -f "$peer/bench_upstream.py" ] && [ -d "$peer/rwkv_emb" ] || { echo "peer-cpu: $peer has no bench_upstream.py and rwkv_emb/" >&2; exit 2; }
"$python" -c 'import torch' 2>/dev/null || { echo "peer-cpu: $python cannot import torch (Debian: apt-get install python3-torch)" >&2; exit 2; }

mkdir -p "$out"
rm -rf "$out/peer"
cp -r "$peer" "$out/peer"
"$python" - "$out/peer" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])

def patch(rel, pairs):
    p = root / rel
    s = p.read_text()
    for old, new in pairs:
        if isinstance(old, re.Pattern):
            s, n = old.subn(new, s)
        else:
            n = s.count(old)
            s = s.replace(old, new)
        if n == 0:
            sys.exit(f"peer-cpu: patch target not found in {rel}: {old!r}")
    p.write_text(s)

# The recurrence of rwkv7_state_fwd_fp16.cu, in PyTorch (TorchScript-compatible, so the scripted callers stay scripted).
# state: [B, H, N, N] float32 (i = value row, j = key column), updated in place; r..b: [B, T, C]; returns y: [B, T, C].
WKV = '''
def _wkv7_cpu(state, r, w, k, v, a, b):
    B, T, C = r.shape
    N = 64
    H = C // N
    s = state.view(B, H, N, N)
    decay = torch.exp(-0.6065306597 * w.view(B, T, H, N))
    rr, kk, vv, aa, bb = r.view(B, T, H, N), k.view(B, T, H, N), v.view(B, T, H, N), a.view(B, T, H, N), b.view(B, T, H, N)
    y = torch.empty((B, T, H, N), dtype=r.dtype, device=r.device)
    for t in range(T):
        sa = torch.matmul(s, aa[:, t].unsqueeze(-1))
        s = s * decay[:, t].unsqueeze(-2) + sa * bb[:, t].unsqueeze(-2) + vv[:, t].unsqueeze(-1) * kk[:, t].unsqueeze(-2)
        y[:, t] = torch.matmul(s, rr[:, t].unsqueeze(-1)).squeeze(-1)
    state.copy_(s.view(state.shape))
    return y.view(B, T, C)

def RWKV7_OP(state, r, w, k, v, a, b):
    T, C = r.shape
    return _wkv7_cpu(state, r.view(1, T, C), w.view(1, T, C), k.view(1, T, C), v.view(1, T, C), a.view(1, T, C), b.view(1, T, C)).view(T, C)

def RWKV7_ONE_OP(state, r, w, k, v, a, b):
    C = r.shape[0]
    return _wkv7_cpu(state, r.view(1, 1, C), w.view(1, 1, C), k.view(1, 1, C), v.view(1, 1, C), a.view(1, 1, C), b.view(1, 1, C)).view(C)

def RWKV7_BATCH_OP(state, r, w, k, v, a, b):
    return _wkv7_cpu(state, r, w, k, v, a, b)

'''
patch("rwkv_emb/reference/rwkv7.py", [
    ("DTYPE = torch.half", "DTYPE = torch.float"),
    (re.compile(r'\nload\(name="rwkv7_state_fwd_fp16".*?\n(?=class WKV_7\()', re.S), "\n"),
    (re.compile(r'class WKV_7\(torch\.autograd\.Function\):.*?(?=\n#{20,}\n\nclass RWKV_x070)', re.S), WKV),
    ('device="cuda"', 'device="cpu"'),
    (", mmap=True)", ")"),
])
patch("rwkv_emb/model.py", [
    ("from transformers import SiglipVisionModel, SiglipVisionConfig",
     "try:\n    from transformers import SiglipVisionModel, SiglipVisionConfig\nexcept ImportError:  # text only on the CPU\n    SiglipVisionModel = SiglipVisionConfig = None"),
    (", mmap=True, weights_only=True)", ")"),
    (".to('cuda')", ".to('cpu')"),
])
patch("bench_upstream.py", [
    ("\nimport torch\n",
     "\nimport torch\nimport platform\n"
     "torch.set_num_threads(int(os.environ.get('PEER_THREADS', '2')))\n"
     "torch.cuda.synchronize = lambda *a, **k: None  # CPU: every op has finished when it returns\n"
     "torch.cuda.get_device_name = lambda *a, **k: 'cpu (%d threads) %s' % (torch.get_num_threads(), platform.machine())\n"),
    ("(PyTorch %s, fp16 CUDA kernel)", "(PyTorch %s, CPU float32, wkv7 as a PyTorch recurrence)"),
])
print("peer-cpu: patched copy in", root)
PY

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u +%FT%TZ) $(nproc) cpus ($(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs)), load $(load); threads $threads"
echo "# weights: $out/weights/tiny.{emb,reranker}.pth (the peer's random bf16 checkpoints of the real tiny shape, L=12 C=768), read by both sides"
echo "# peer: prefill B=$batch T=$tokens, offline B=$batch doc $tokens + query $query, latency B=1 T=32"
PEER_THREADS=$threads PYTHONUNBUFFERED=1 "$python" "$out/peer/bench_upstream.py" --preset tiny --workload prefill,offline,latency \
    --batch "$batch" --tokens "$tokens" --query-tokens "$query" --warmup "$warmup" --iters "$iters" \
    --weights "$out/weights" --json "$out/peer.json"
echo "# load after peer $(load)"
# shellcheck disable=SC2086 # engine is a command line
# The checkpoints the peer just generated (random bf16 weights of the real tiny shape): both sides run the same weights.
$engine bench --model "$out/weights/tiny.emb.pth" --reranker "$out/weights/tiny.reranker.pth" --device cpu --threads "$threads" \
    --workload prefill,latency,offline --resident off \
    --batch "$batch" --tokens "$tokens" --query-tokens "$query" --warmup "$warmup" --iters "$iters" --json > "$out/engine.json"
echo "# load after engine $(load)"
"$python" - "$out/peer.json" "$out/engine.json" <<'PY'
import json, sys
peer = {f["workload"]: f for f in json.load(open(sys.argv[1]))["figures"]}
ours = {f["workload"]: f for f in json.load(open(sys.argv[2]))["figures"]}
rows = [
    ("prefill (tokens/s, higher is better)", peer["prefill"]["value"], ours["prefill"]["tokens_per_s"], True),
    ("latency B=1 T=32 (ms p50, lower is better)", peer["latency_b1_t32"]["value"], ours["latency_b1_t32"]["ms_p50"], False),
    ("offline rerank (pairs/s, higher is better)", peer["offline_rerank"]["value"], ours["offline_rerank"]["pairs_per_s"], True),
]
print("| workload | upstream (PyTorch CPU fp32) | rwkv-emb | rwkv-emb lead |")
print("|---|---|---|---|")
for name, p, o, higher in rows:
    print(f"| {name} | {p:.2f} | {o:.2f} | {(o / p if higher else p / o):.2f}x |")
PY
