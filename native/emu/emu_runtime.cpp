// CPU emulation of the parts of the CUDA driver API, NVRTC and cuBLAS that RwkvNative.Cuda calls, in one shared
// library that the C# backend loads instead of the real ones (RWKV_CUDA_DRIVER / RWKV_NVRTC / RWKV_CUBLAS all point at
// it). Kernels are the real kernels/*.cu compiled as host C++ (emu_shim.h) and run on fibers, one per CUDA thread.
//
// What it checks beyond computing the numbers: NVRTC options and sources (the source passed must be the one the
// emulator was built from), a current context for every call that needs one, kernel parameter pointers inside live
// device allocations, memcpy/memset ranges inside allocations, cuBLAS GemmEx arguments (types, leading dimensions,
// operand ranges), __syncthreads with exited threads, full-mask shuffles in full warps, stream-capture rules (no
// synchronisation, allocation or pageable copy while capturing). Device allocations are NaN-filled and end at an
// inaccessible page, so reading uninitialised memory gives NaN and running off the end of a buffer faults.
// What it cannot show: anything about real GPUs (NVRTC compiling the code, PTX/asm semantics, timing, races between
// blocks, memory ordering, register limits, the real cuBLAS).
#include "emu_shim.h" // rwkv_emu_dim3 and the runtime functions the kernels call
#include "emu_runtime.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <string>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace rwkv_emu
{
// ---------------------------------------------------------------- registry
struct FileEntry
{
    std::string source;
    std::map<std::string, KernelEntry> kernels;
};

static std::map<std::string, FileEntry>& files()
{
    static std::map<std::string, FileEntry> f;
    return f;
}

static std::map<std::string, std::string>& headers()
{
    static std::map<std::string, std::string> h;
    return h;
}

void register_kernels(const char* file, const char* source, std::vector<KernelEntry> kernels)
{
    auto& f = files()[file];
    f.source = source;
    for (auto& k : kernels)
    {
        k.file = file;
        f.kernels[k.name] = std::move(k);
    }
}

void register_header(const char* name, const char* source) { headers()[name] = source; }

static void fail(const std::string& what) { std::fprintf(stderr, "rwkv-cuda-emu: %s\n", what.c_str()); }

// ---------------------------------------------------------------- fibers
namespace
{
enum class State { Running, AtBarrier, AtShuffle, Done };

struct Fiber
{
    ucontext_t ctx;
    rwkv_emu_dim3 tid;
    State state = State::Running;
    float shfl_in = 0, shfl_out = 0;
    int shfl_mask = 0;
};

struct Block
{
    std::vector<Fiber> fibers;
    ucontext_t scheduler;
    int current = 0;
    rwkv_emu_dim3 bidx, bdim, gdim;
    const std::function<void()>* body = nullptr;
};

constexpr size_t StackBytes = 256 * 1024;
Block* g_block = nullptr; // launches are serialised by g_launch_mutex
std::vector<char*> g_stacks;
std::recursive_mutex g_launch_mutex;

char* stack_for(size_t i)
{
    while (g_stacks.size() <= i)
    {
        void* p = mmap(nullptr, StackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) { fail("cannot map a fiber stack"); std::abort(); }
        g_stacks.push_back(static_cast<char*>(p));
    }
    return g_stacks[i];
}

void fiber_main()
{
    Block* b = g_block;
    (*b->body)();
    b->fibers[b->current].state = State::Done; // returns to the scheduler through uc_link
}

Fiber& me() { return g_block->fibers[g_block->current]; }

void yield()
{
    Fiber& f = me();
    swapcontext(&f.ctx, &g_block->scheduler);
}
} // namespace

const rwkv_emu_dim3& thread_idx() { return me().tid; }
const rwkv_emu_dim3& block_idx() { return g_block->bidx; }
const rwkv_emu_dim3& block_dim() { return g_block->bdim; }
const rwkv_emu_dim3& grid_dim() { return g_block->gdim; }

void sync_block()
{
    me().state = State::AtBarrier;
    yield();
}

float shfl_xor(float v, int lane_mask)
{
    Fiber& f = me();
    f.shfl_in = v;
    f.shfl_mask = lane_mask;
    f.state = State::AtShuffle;
    yield();
    return me().shfl_out;
}

// Runs one block to completion; returns an error text, or "" when the block finished cleanly.
static std::string run_block(const std::function<void()>& body, rwkv_emu_dim3 bidx, rwkv_emu_dim3 bdim, rwkv_emu_dim3 gdim)
{
    Block b;
    b.bidx = bidx;
    b.bdim = bdim;
    b.gdim = gdim;
    b.body = &body;
    size_t n = (size_t)bdim.x * bdim.y * bdim.z;
    b.fibers.resize(n);
    for (size_t i = 0; i < n; ++i)
    {
        Fiber& f = b.fibers[i];
        f.tid = { (unsigned)(i % bdim.x), (unsigned)(i / bdim.x % bdim.y), (unsigned)(i / ((size_t)bdim.x * bdim.y)) };
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = stack_for(i);
        f.ctx.uc_stack.ss_size = StackBytes;
        f.ctx.uc_link = &b.scheduler;
        makecontext(&f.ctx, fiber_main, 0);
    }
    Block* saved = g_block;
    g_block = &b;
    std::string error;
    for (;;)
    {
        for (size_t i = 0; i < n; ++i)
        {
            if (b.fibers[i].state != State::Running) continue;
            b.current = (int)i;
            swapcontext(&b.scheduler, &b.fibers[i].ctx);
        }
        size_t done = 0, barrier = 0, shuffle = 0;
        for (auto& f : b.fibers)
        {
            done += f.state == State::Done;
            barrier += f.state == State::AtBarrier;
            shuffle += f.state == State::AtShuffle;
        }
        if (done == n) break;
        bool progressed = false;
        if (shuffle > 0)
        {
            for (size_t w = 0; w * 32 < n; ++w)
            {
                size_t lo = w * 32, hi = std::min(n, lo + 32);
                size_t at = 0;
                for (size_t i = lo; i < hi; ++i) at += b.fibers[i].state == State::AtShuffle;
                if (at == 0) continue;
                if (hi - lo != 32) { error = "shfl.sync with a full mask in a partial warp (blockDim not a multiple of 32)"; break; }
                if (at != 32) { error = "divergent warp: some lanes at a full-mask shuffle, others exited or at __syncthreads"; break; }
                int mask = b.fibers[lo].shfl_mask;
                for (size_t i = lo; i < hi; ++i)
                    if (b.fibers[i].shfl_mask != mask) { error = "lanes of one warp shuffle with different lane masks"; break; }
                if (!error.empty()) break;
                for (size_t i = lo; i < hi; ++i)
                {
                    size_t src = lo + ((i - lo) ^ (size_t)(mask & 31));
                    b.fibers[i].shfl_out = b.fibers[src].shfl_in;
                    b.fibers[i].state = State::Running;
                }
                progressed = true;
            }
            if (!error.empty()) break;
        }
        if (progressed) continue;
        if (barrier > 0 && done == 0 && barrier == n)
        {
            for (auto& f : b.fibers) f.state = State::Running;
            continue;
        }
        error = barrier > 0 && done > 0 ? "__syncthreads reached by only part of the block (other threads exited)"
                                        : "deadlock: no thread can proceed";
        break;
    }
    g_block = saved;
    if (!error.empty())
        error += " in block (" + std::to_string(bidx.x) + "," + std::to_string(bidx.y) + "," + std::to_string(bidx.z) + ")";
    return error;
}

// ---------------------------------------------------------------- memory
struct Allocation
{
    char* map_base;
    size_t map_bytes;
    uintptr_t start;
    size_t bytes;
    bool device;
};

static std::mutex g_mem_mutex;
static std::map<uintptr_t, Allocation> g_allocs; // by start

static const Allocation* find_alloc(uintptr_t p, size_t bytes, bool device)
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return nullptr;
    --it;
    const Allocation& a = it->second;
    if (a.device != device) return nullptr;
    if (p < a.start || p + bytes > a.start + a.bytes || p + bytes < p) return nullptr;
    return &a;
}

static void* allocate(size_t bytes, bool device)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (std::max<size_t>(bytes, 1) + page - 1) / page * page;
    size_t total = body + page;
    void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    char* base = static_cast<char*>(m);
    mprotect(base + body, page, PROT_NONE); // running off the end faults
    uintptr_t start = (uintptr_t)(base + body - bytes) & ~(uintptr_t)255; // 256-byte aligned like cuMemAlloc
    if (device) std::memset(reinterpret_cast<void*>(start), 0xff, bytes); // NaN-filled: uninitialised reads show
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    g_allocs[start] = Allocation{ base, total, start, bytes, device };
    return reinterpret_cast<void*>(start);
}

// A host range the caller owns, page-locked by cuMemHostRegister: pinned like cuMemHostAlloc memory (map_base null: not
// the emulator's to unmap). Refused when it overlaps a pinned or registered range, as the driver does.
static bool register_host(uintptr_t start, size_t bytes)
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    auto next = g_allocs.lower_bound(start);
    if (next != g_allocs.end() && next->first < start + bytes && !next->second.device) return false;
    if (next != g_allocs.begin())
    {
        auto prev = std::prev(next);
        if (!prev->second.device && prev->second.start + prev->second.bytes > start) return false;
    }
    g_allocs[start] = Allocation{ nullptr, 0, start, bytes, false };
    return true;
}

static bool unregister_host(uintptr_t start)
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    auto it = g_allocs.find(start);
    if (it == g_allocs.end() || it->second.device || it->second.map_base != nullptr) return false;
    g_allocs.erase(it);
    return true;
}

static size_t registered_host_bytes()
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    size_t s = 0;
    for (auto& kv : g_allocs)
        if (!kv.second.device && kv.second.map_base == nullptr) s += kv.second.bytes;
    return s;
}

static bool release(uintptr_t start, bool device)
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    auto it = g_allocs.find(start);
    if (it == g_allocs.end() || it->second.device != device) return false;
    if (it->second.map_base == nullptr) return false; // registered, not allocated: cuMemFreeHost on it is an error
    munmap(it->second.map_base, it->second.map_bytes);
    g_allocs.erase(it);
    return true;
}

static size_t device_bytes_in_use()
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    size_t s = 0;
    for (auto& kv : g_allocs)
        if (kv.second.device) s += kv.second.bytes;
    return s;
}
} // namespace rwkv_emu

using namespace rwkv_emu;

// ---------------------------------------------------------------- driver API types
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
enum : int
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = 712,
    CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
    CUDA_ERROR_UNKNOWN = 999,
};

struct EmuContext { int device; int refs; };
struct EmuModule { std::string file; };
struct EmuFunction { const KernelEntry* entry; };
struct EmuEvent { std::chrono::steady_clock::time_point at; bool recorded = false; };

static float half_to_float_host(unsigned short h)
{
    _Float16 v;
    std::memcpy(&v, &h, 2);
    return (float)v;
}

static float load_elem(const void* base, size_t i, int type)
{
    switch (type)
    {
    case 0: return static_cast<const float*>(base)[i];
    case 2: return half_to_float_host(static_cast<const unsigned short*>(base)[i]);
    default:
    {
        unsigned int u = (unsigned int)static_cast<const unsigned short*>(base)[i] << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    }
}

static size_t type_bytes(int t) { return t == 0 ? 4 : 2; }

struct GemmArgs
{
    int ta, tb, m, n, k;
    float alpha, beta;
    const void* a; int at; int lda;
    const void* b; int bt; int ldb;
    float* c; int ldc;
};

static void gemm(const GemmArgs& g)
{
    for (int j = 0; j < g.n; ++j)
        for (int i = 0; i < g.m; ++i)
        {
            double s = 0;
            for (int p = 0; p < g.k; ++p)
            {
                size_t ai = g.ta == 0 ? (size_t)i + (size_t)p * g.lda : (size_t)p + (size_t)i * g.lda;
                size_t bi = g.tb == 0 ? (size_t)p + (size_t)j * g.ldb : (size_t)j + (size_t)p * g.ldb;
                s += (double)load_elem(g.a, ai, g.at) * load_elem(g.b, bi, g.bt);
            }
            float& out = g.c[(size_t)i + (size_t)j * g.ldc];
            out = (float)(g.alpha * s + (g.beta == 0 ? 0.0 : (double)g.beta * out)); // beta == 0: C is not read
        }
}

// One captured operation: replayed in order by cuGraphLaunch.
struct Node
{
    enum Kind { Kernel, Copy, Fill, Record, Gemm } kind;
    const KernelEntry* entry = nullptr;
    std::vector<std::vector<char>> params;
    rwkv_emu_dim3 grid{}, block{};
    void* dst = nullptr;
    const void* src = nullptr;
    size_t bytes = 0;
    unsigned int value = 0;
    EmuEvent* event = nullptr;
    GemmArgs gemm{};
};

// Graphs and instantiated graphs alive, so tests can see that a failed capture leaks neither (rwkv_emu_live_graphs).
static std::atomic<long> g_live_graphs{ 0 };
struct EmuGraph
{
    std::vector<Node> nodes;
    EmuGraph() { ++g_live_graphs; }
    ~EmuGraph() { --g_live_graphs; }
};
struct EmuGraphExec
{
    std::vector<Node> nodes;
    explicit EmuGraphExec(std::vector<Node> n) : nodes(std::move(n)) { ++g_live_graphs; }
    ~EmuGraphExec() { --g_live_graphs; }
};

// Capture modes (CUstreamCaptureMode) as the driver applies them to "potentially unsafe" calls (allocation, freeing,
// synchronisation, synchronous copies) made by a thread whose own interaction mode is the default, GLOBAL:
//   GLOBAL (0)       unsafe calls fail on the capturing thread and on every other thread;
//   THREAD_LOCAL (1) unsafe calls fail on the capturing thread only;
//   RELAXED (2)      nothing is refused.
struct EmuStream
{
    bool capturing = false;
    bool invalidated = false;
    int mode = 0;
    std::thread::id owner;
    EmuGraph* graph = nullptr;
};

static EmuContext g_primary{ 0, 0 };
static thread_local std::vector<EmuContext*> t_ctx_stack;
static std::mutex g_capture_mutex;
static std::set<EmuStream*> g_capturing;

static bool ctx_current() { return !t_ctx_stack.empty() && t_ctx_stack.back() != nullptr; }

// A potentially unsafe call on this thread: refused (and the captures that forbid it invalidated) when a capture on this
// thread in GLOBAL or THREAD_LOCAL mode, or a capture on another thread in GLOBAL mode, is in progress.
static bool refuse_during_capture(const char* what)
{
    std::lock_guard<std::mutex> lock(g_capture_mutex);
    auto self = std::this_thread::get_id();
    std::vector<EmuStream*> forbidding;
    for (auto* s : g_capturing)
        if ((s->owner == self && s->mode != 2) || (s->owner != self && s->mode == 0)) forbidding.push_back(s);
    if (forbidding.empty()) return false;
    bool here = false;
    for (auto* s : forbidding) here |= s->owner == self;
    fail(std::string(what) + (here ? " while this thread's stream is capturing" : " while another thread captures in global mode") +
         " (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)");
    for (auto* s : forbidding) s->invalidated = true;
    return true;
}

static CUresult run_kernel(const KernelEntry& e, rwkv_emu_dim3 grid, rwkv_emu_dim3 block, void** args)
{
    std::lock_guard<std::recursive_mutex> lock(g_launch_mutex);
    std::function<void()> body = [&] { e.invoke(args); };
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x)
            {
                auto err = run_block(body, { x, y, z }, block, grid);
                if (!err.empty())
                {
                    fail(e.file + ":" + e.name + ": " + err);
                    return CUDA_ERROR_LAUNCH_FAILED;
                }
            }
    return CUDA_SUCCESS;
}

static bool is_pinned(const void* p, size_t bytes) { return find_alloc((uintptr_t)p, bytes, false) != nullptr; }

static void replay(const std::vector<Node>& nodes, CUresult& status)
{
    for (auto& n : nodes)
    {
        switch (n.kind)
        {
        case Node::Kernel:
        {
            std::vector<void*> args;
            for (auto& p : n.params) args.push_back(const_cast<char*>(p.data()));
            CUresult r = run_kernel(*n.entry, n.grid, n.block, args.data());
            if (r != CUDA_SUCCESS) { status = r; return; }
            break;
        }
        case Node::Copy: std::memcpy(n.dst, n.src, n.bytes); break;
        case Node::Fill:
            for (size_t i = 0; i < n.bytes / 4; ++i) std::memcpy(static_cast<char*>(n.dst) + 4 * i, &n.value, 4);
            break;
        case Node::Gemm: gemm(n.gemm); break;
        case Node::Record: n.event->at = std::chrono::steady_clock::now(); n.event->recorded = true; break;
        }
    }
}

// ---------------------------------------------------------------- driver API
EXPORT CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }
EXPORT CUresult cuDriverGetVersion(int* v) { if (!v) return CUDA_ERROR_INVALID_VALUE; *v = 13000; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGetCount(int* c) { if (!c) return CUDA_ERROR_INVALID_VALUE; *c = 1; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGet(int* d, int ordinal)
{
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetName(char* name, int len, int dev)
{
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::snprintf(name, (size_t)len, "%s", "RwkvNative CPU emulation (not a GPU)");
    return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetAttribute(int* v, int attribute, int dev)
{
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute)
    {
    case 16: *v = 4; return CUDA_SUCCESS;  // multiprocessors: small, so grid-stride loops really stride
    case 75: *v = 9; return CUDA_SUCCESS;  // compute capability 9.0
    case 76: *v = 0; return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
}
EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev)
{
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = (size_t)16 << 30;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev)
{
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    __atomic_add_fetch(&g_primary.refs, 1, __ATOMIC_SEQ_CST);
    *ctx = &g_primary;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int dev)
{
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (__atomic_sub_fetch(&g_primary.refs, 1, __ATOMIC_SEQ_CST) < 0) { fail("primary context released more often than retained"); return CUDA_ERROR_INVALID_CONTEXT; }
    return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxPushCurrent_v2(void* ctx)
{
    if (ctx != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    t_ctx_stack.push_back(&g_primary);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxPopCurrent_v2(void** ctx)
{
    if (t_ctx_stack.empty()) return CUDA_ERROR_INVALID_CONTEXT;
    if (ctx) *ctx = t_ctx_stack.back();
    t_ctx_stack.pop_back();
    return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxSetCurrent(void* ctx)
{
    if (ctx != nullptr && ctx != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    if (t_ctx_stack.empty()) t_ctx_stack.push_back(static_cast<EmuContext*>(ctx));
    else t_ctx_stack.back() = static_cast<EmuContext*>(ctx);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxSynchronize()
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuCtxSynchronize")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    *total = (size_t)16 << 30;
    *free_bytes = *total - std::min(*total, device_bytes_in_use());
    return CUDA_SUCCESS;
}
EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (refuse_during_capture("cuMemAlloc")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    void* m = allocate(bytes, true);
    if (!m) return CUDA_ERROR_OUT_OF_MEMORY;
    *p = (CUdeviceptr)(uintptr_t)m;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuMemFree_v2(CUdeviceptr p)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuMemFree")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (p == 0) return CUDA_SUCCESS;
    return release((uintptr_t)p, true) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned int)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (refuse_during_capture("cuMemHostAlloc")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    *p = allocate(bytes, false);
    return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
EXPORT CUresult cuMemFreeHost(void* p)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuMemFreeHost")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return release((uintptr_t)p, false) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// The driver refuses to page-lock memory the process may not write (a read-only file mapping) unless the caller passes
// CU_MEMHOSTREGISTER_READ_ONLY; the emulator reads the first page's permissions from /proc/self/maps to do the same.
static bool writable(uintptr_t p)
{
    FILE* maps = std::fopen("/proc/self/maps", "r");
    if (!maps) return true;
    char line[512];
    bool w = true;
    while (std::fgets(line, sizeof line, maps))
    {
        unsigned long lo = 0, hi = 0;
        char perms[8] = {};
        if (std::sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && p >= lo && p < hi) { w = perms[1] == 'w'; break; }
    }
    std::fclose(maps);
    return w;
}
EXPORT CUresult cuMemHostRegister_v2(void* p, size_t bytes, unsigned int flags)
{
    const unsigned int read_only = 0x08;
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (refuse_during_capture("cuMemHostRegister")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (!(flags & read_only) && !writable((uintptr_t)p))
    {
        fail("cuMemHostRegister of read-only memory without CU_MEMHOSTREGISTER_READ_ONLY");
        return CUDA_ERROR_INVALID_VALUE;
    }
    return register_host((uintptr_t)p, bytes) ? CUDA_SUCCESS : CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
}
EXPORT CUresult cuMemHostUnregister(void* p)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuMemHostUnregister")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return unregister_host((uintptr_t)p) ? CUDA_SUCCESS : CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
}
// Bytes of host memory registered now, so tests can see a store page-lock its mapping and let go of it.
EXPORT long rwkv_emu_registered_host_bytes() { return (long)registered_host_bytes(); }

static CUresult check_device_range(CUdeviceptr p, size_t bytes, const char* what)
{
    if (bytes == 0) return CUDA_SUCCESS;
    if (find_alloc((uintptr_t)p, bytes, true)) return CUDA_SUCCESS;
    fail(std::string(what) + ": device range [0x" + std::to_string(p) + ", +" + std::to_string(bytes) + ") is not inside one allocation");
    return CUDA_ERROR_INVALID_VALUE;
}

static CUresult enqueue_copy(EmuStream* s, void* dst, const void* src, size_t bytes)
{
    if (s && s->capturing)
    {
        Node n{};
        n.kind = Node::Copy;
        n.dst = dst;
        n.src = src;
        n.bytes = bytes;
        s->graph->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    std::memcpy(dst, src, bytes);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuMemcpyHtoD (synchronous)")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (auto r = check_device_range(dst, bytes, "cuMemcpyHtoD")) return r;
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuMemcpyDtoH (synchronous)")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (auto r = check_device_range(src, bytes, "cuMemcpyDtoH")) return r;
    std::memcpy(dst, reinterpret_cast<void*>(src), bytes);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (auto r = check_device_range(dst, bytes, "cuMemcpyHtoDAsync")) return r;
    auto* s = static_cast<EmuStream*>(stream);
    if (s && s->capturing && !is_pinned(src, bytes))
    {
        fail("cuMemcpyHtoDAsync from pageable host memory while capturing");
        s->invalidated = true;
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return enqueue_copy(s, reinterpret_cast<void*>(dst), src, bytes);
}
EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (auto r = check_device_range(src, bytes, "cuMemcpyDtoHAsync")) return r;
    auto* s = static_cast<EmuStream*>(stream);
    if (s && s->capturing && !is_pinned(dst, bytes))
    {
        fail("cuMemcpyDtoHAsync to pageable host memory while capturing");
        s->invalidated = true;
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return enqueue_copy(s, dst, reinterpret_cast<void*>(src), bytes);
}
EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (auto r = check_device_range(dst, bytes, "cuMemcpyDtoDAsync destination")) return r;
    if (auto r = check_device_range(src, bytes, "cuMemcpyDtoDAsync source")) return r;
    return enqueue_copy(static_cast<EmuStream*>(stream), reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), bytes);
}
EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count, void* stream)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (auto r = check_device_range(dst, count * 4, "cuMemsetD32Async")) return r;
    auto* s = static_cast<EmuStream*>(stream);
    if (s && s->capturing)
    {
        Node n{};
        n.kind = Node::Fill;
        n.dst = reinterpret_cast<void*>(dst);
        n.bytes = count * 4;
        n.value = value;
        s->graph->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    for (size_t i = 0; i < count; ++i) std::memcpy(reinterpret_cast<char*>(dst) + 4 * i, &value, 4);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamCreate(void** s, unsigned int)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    *s = new EmuStream();
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamDestroy_v2(void* s)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto* st = static_cast<EmuStream*>(s);
    if (st && st->capturing) { fail("cuStreamDestroy on a capturing stream"); return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; }
    delete st;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamSynchronize(void* s)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto* st = static_cast<EmuStream*>(s);
    if (st && st->capturing)
    {
        fail("cuStreamSynchronize on a capturing stream (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)");
        st->invalidated = true;
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (refuse_during_capture("cuStreamSynchronize")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamBeginCapture_v2(void* s, int mode)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto* st = static_cast<EmuStream*>(s);
    if (!st) { fail("the legacy default stream cannot be captured"); return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; }
    if (mode < 0 || mode > 2) return CUDA_ERROR_INVALID_VALUE;
    if (st->capturing) return CUDA_ERROR_INVALID_VALUE;
    st->capturing = true;
    st->invalidated = false;
    st->mode = mode;
    st->owner = std::this_thread::get_id();
    st->graph = new EmuGraph();
    std::lock_guard<std::mutex> lock(g_capture_mutex);
    g_capturing.insert(st);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamEndCapture(void* s, void** graph)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto* st = static_cast<EmuStream*>(s);
    if (!st || !st->capturing) return CUDA_ERROR_INVALID_VALUE;
    {
        std::lock_guard<std::mutex> lock(g_capture_mutex);
        g_capturing.erase(st);
    }
    st->capturing = false;
    if (st->invalidated)
    {
        delete st->graph;
        st->graph = nullptr;
        *graph = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    *graph = st->graph;
    st->graph = nullptr;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamIsCapturing(void* s, int* status)
{
    auto* st = static_cast<EmuStream*>(s);
    *status = st && st->capturing ? (st->invalidated ? 2 : 1) : 0;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!graph) return CUDA_ERROR_INVALID_VALUE;
    *exec = new EmuGraphExec(static_cast<EmuGraph*>(graph)->nodes);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuGraphLaunch(void* exec, void* s)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!exec) return CUDA_ERROR_INVALID_VALUE;
    auto* st = static_cast<EmuStream*>(s);
    if (st && st->capturing) { fail("cuGraphLaunch into a capturing stream is not emulated"); return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; }
    CUresult status = CUDA_SUCCESS;
    replay(static_cast<EmuGraphExec*>(exec)->nodes, status);
    return status;
}
EXPORT CUresult cuGraphExecDestroy(void* exec) { delete static_cast<EmuGraphExec*>(exec); return CUDA_SUCCESS; }
EXPORT CUresult cuGraphDestroy(void* graph) { delete static_cast<EmuGraph*>(graph); return CUDA_SUCCESS; }

EXPORT CUresult cuEventCreate(void** e, unsigned int)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    *e = new EmuEvent();
    return CUDA_SUCCESS;
}
EXPORT CUresult cuEventDestroy_v2(void* e) { delete static_cast<EmuEvent*>(e); return CUDA_SUCCESS; }
EXPORT CUresult cuEventRecord(void* e, void* s)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto* ev = static_cast<EmuEvent*>(e);
    auto* st = static_cast<EmuStream*>(s);
    if (st && st->capturing)
    {
        Node n{};
        n.kind = Node::Record;
        n.event = ev;
        st->graph->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    ev->at = std::chrono::steady_clock::now();
    ev->recorded = true;
    return CUDA_SUCCESS;
}
// The emulator runs every stream's work when it is issued, so a recorded event has completed and waiting on it is a
// no-op; waiting on an event never recorded is one too (as on a GPU). Only an event recorded inside a capture of
// another stream would need cross-stream capture, which the backend never does: refused.
EXPORT CUresult cuStreamWaitEvent(void* s, void* e, unsigned int flags)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!e || flags != 0) return CUDA_ERROR_INVALID_VALUE;
    auto* st = static_cast<EmuStream*>(s);
    if (st && st->capturing) { fail("cuStreamWaitEvent while capturing (cross-stream capture is not used)"); st->invalidated = true; return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; }
    return CUDA_SUCCESS;
}
EXPORT CUresult cuEventSynchronize(void* e)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (refuse_during_capture("cuEventSynchronize")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return static_cast<EmuEvent*>(e)->recorded ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}
EXPORT CUresult cuEventElapsedTime(float* ms, void* a, void* b)
{
    auto* ea = static_cast<EmuEvent*>(a);
    auto* eb = static_cast<EmuEvent*>(b);
    if (!ea->recorded || !eb->recorded) return CUDA_ERROR_INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(eb->at - ea->at).count();
    return CUDA_SUCCESS;
}

static const char Magic[] = "RWKVEMU1 ";

EXPORT CUresult cuModuleLoadData(void** module, const void* image)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    const char* text = static_cast<const char*>(image);
    if (std::strncmp(text, Magic, sizeof Magic - 1) != 0) return CUDA_ERROR_INVALID_IMAGE;
    std::string file(text + sizeof Magic - 1);
    if (!files().count(file)) return CUDA_ERROR_INVALID_IMAGE;
    *module = new EmuModule{ file };
    return CUDA_SUCCESS;
}
EXPORT CUresult cuModuleUnload(void* m)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    delete static_cast<EmuModule*>(m);
    return CUDA_SUCCESS;
}
EXPORT CUresult cuModuleGetFunction(void** f, void* m, const char* name)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    auto& fe = files().at(static_cast<EmuModule*>(m)->file);
    auto it = fe.kernels.find(name);
    if (it == fe.kernels.end()) return CUDA_ERROR_NOT_FOUND;
    static std::mutex mu;
    static std::map<const KernelEntry*, EmuFunction*> functions; // stable CUfunction per kernel, like the driver's
    std::lock_guard<std::mutex> lock(mu);
    auto& fn = functions[&it->second];
    if (!fn) fn = new EmuFunction{ &it->second };
    *f = fn;
    return CUDA_SUCCESS;
}
EXPORT CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                               unsigned shared, void* stream, void** params, void** extra)
{
    if (!ctx_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (!f || !params || extra) return CUDA_ERROR_INVALID_VALUE;
    const KernelEntry& e = *static_cast<EmuFunction*>(f)->entry;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gy > 65535 || gz > 65535 || bz > 64 ||
        (unsigned long long)bx * by * bz > 1024 || shared != 0)
    {
        fail(e.name + ": invalid launch geometry");
        return CUDA_ERROR_INVALID_VALUE;
    }
    for (size_t i = 0; i < e.sizes.size(); ++i)
    {
        if (!e.is_pointer[i]) continue;
        uintptr_t p;
        std::memcpy(&p, params[i], sizeof p);
        if (p != 0 && !find_alloc(p, 1, true))
        {
            fail(e.file + ":" + e.name + ": parameter " + std::to_string(i) + " = 0x" + std::to_string(p) +
                 " is not a device pointer (wrong argument order or a freed buffer?)");
            return CUDA_ERROR_INVALID_VALUE;
        }
    }
    auto* st = static_cast<EmuStream*>(stream);
    if (st && st->capturing)
    {
        Node n{};
        n.kind = Node::Kernel;
        n.entry = &e;
        n.grid = { gx, gy, gz };
        n.block = { bx, by, bz };
        for (size_t i = 0; i < e.sizes.size(); ++i)
            n.params.emplace_back(static_cast<char*>(params[i]), static_cast<char*>(params[i]) + e.sizes[i]);
        st->graph->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    return run_kernel(e, { gx, gy, gz }, { bx, by, bz }, params);
}

static const char* error_name(int r)
{
    switch (r)
    {
    case 0: return "CUDA_SUCCESS";
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 200: return "CUDA_ERROR_INVALID_IMAGE";
    case 201: return "CUDA_ERROR_INVALID_CONTEXT";
    case 400: return "CUDA_ERROR_INVALID_HANDLE";
    case 500: return "CUDA_ERROR_NOT_FOUND";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    case 900: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    case 901: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
    default: return nullptr;
    }
}
// Not a CUDA function: how many graphs and instantiated graphs are alive (tests check that failures leak none).
EXPORT long rwkv_emu_live_graphs() { return g_live_graphs.load(); }

EXPORT CUresult cuGetErrorName(int r, const char** s)
{
    *s = error_name(r);
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuGetErrorString(int r, const char** s)
{
    *s = error_name(r) ? "(CPU emulation: see the rwkv-cuda-emu line on standard error)" : nullptr;
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// ---------------------------------------------------------------- NVRTC
struct EmuProgram
{
    std::string source, name, log, image;
    std::map<std::string, std::string> headers;
};

static const int SupportedArchs[] = { 75, 80, 86, 87, 89, 90, 100, 103, 110, 120, 121 };

EXPORT int nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }
EXPORT int nvrtcGetNumSupportedArchs(int* n) { *n = (int)(sizeof SupportedArchs / sizeof SupportedArchs[0]); return 0; }
EXPORT int nvrtcGetSupportedArchs(int* a)
{
    for (size_t i = 0; i < sizeof SupportedArchs / sizeof SupportedArchs[0]; ++i) a[i] = SupportedArchs[i];
    return 0;
}
EXPORT const char* nvrtcGetErrorString(int r)
{
    static const char* names[] = { "NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY", "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
                                   "NVRTC_ERROR_INVALID_INPUT", "NVRTC_ERROR_INVALID_PROGRAM", "NVRTC_ERROR_INVALID_OPTION",
                                   "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE" };
    return r >= 0 && r < 8 ? names[r] : "NVRTC_ERROR unknown";
}
EXPORT int nvrtcCreateProgram(void** prog, const char* src, const char* name, int n, const char* const* hdrs, const char* const* names)
{
    if (!prog || !src || n < 0) return 3;
    auto* p = new EmuProgram();
    p->source = src;
    p->name = name ? name : "default_program";
    for (int i = 0; i < n; ++i)
    {
        if (!hdrs[i] || !names[i]) { delete p; return 3; }
        p->headers[names[i]] = hdrs[i];
    }
    *prog = p;
    return 0;
}
EXPORT int nvrtcDestroyProgram(void** prog)
{
    if (!prog || !*prog) return 4;
    delete static_cast<EmuProgram*>(*prog);
    *prog = nullptr;
    return 0;
}

static bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// The -D options the kernels were compiled with (native/emu/build.sh, the -D lines of kernels/nvrtc.options), space-separated.
#ifndef RWKV_EMU_DEFINES
#error "build the emulator with native/emu/build.sh (it passes RWKV_EMU_DEFINES)"
#endif
static std::string join_sorted(std::vector<std::string> items)
{
    std::sort(items.begin(), items.end());
    std::string out;
    for (auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}
static const std::string& compiled_defines()
{
    static const std::string joined = []
    {
        std::vector<std::string> items;
        std::string all = RWKV_EMU_DEFINES, cur;
        for (char ch : all + " ")
            if (ch == ' ') { if (!cur.empty()) items.push_back(cur); cur.clear(); }
            else cur.push_back(ch);
        return join_sorted(items);
    }();
    return joined;
}

EXPORT int nvrtcCompileProgram(void* prog, int n, const char* const* opts)
{
    auto* p = static_cast<EmuProgram*>(prog);
    if (!p) return 4;
    p->log.clear();
    std::string arch;
    std::vector<std::string> defines;
    for (int i = 0; i < n; ++i)
    {
        std::string o = opts[i];
        if (starts(o, "--gpu-architecture=")) arch = o.substr(19);
        else if (starts(o, "-arch=")) arch = o.substr(6);
        else if (o == "--std=c++17" || o == "-std=c++17" || o == "--std=c++14" || o == "-std=c++14" || o == "--std=c++20" || o == "-std=c++20") {}
        else if (o == "--generate-line-info" || o == "-lineinfo" || o == "--use_fast_math" || o == "-use_fast_math" ||
                 o == "--device-debug" || o == "-G" || o == "--fmad=true" || o == "--fmad=false" || o == "-fmad=true" ||
                 o == "-fmad=false" || o == "--extra-device-vectorization" || o == "-extra-device-vectorization" ||
                 starts(o, "--maxrregcount=") || starts(o, "-maxrregcount=")) {}
        else if (starts(o, "-D")) defines.push_back(o);
        else if (starts(o, "--define-macro=")) defines.push_back("-D" + o.substr(15));
        else
        {
            p->log = "nvrtc: error: unrecognized option '" + o + "' (CPU emulation accepts the documented NVRTC spellings only)\n";
            return 5;
        }
    }
    // Kernels were compiled ahead of time: the macros asked for must be exactly the ones they were compiled with.
    if (join_sorted(defines) != compiled_defines())
    {
        p->log = "rwkv-cuda-emu: the kernels were compiled with [" + compiled_defines() + "] but this program defines [" +
                 join_sorted(defines) + "]: rebuild the emulator (scripts/gpu/emulate.sh) after changing kernels/nvrtc.options\n";
        return 5;
    }
    bool archOk = false;
    for (int a : SupportedArchs)
        if (arch == "sm_" + std::to_string(a) || arch == "compute_" + std::to_string(a)) archOk = true;
    if (!archOk)
    {
        p->log = "nvrtc: error: invalid value for --gpu-architecture (-arch): '" + arch + "'\n";
        return 5;
    }
    auto it = files().find(p->name);
    if (it == files().end())
    {
        p->log = "rwkv-cuda-emu: no kernels compiled for '" + p->name + "'\n";
        return 6;
    }
    if (it->second.source != p->source)
    {
        p->log = "rwkv-cuda-emu: the source of " + p->name + " differs from the one the emulator was built from: rebuild it (scripts/gpu/emulate.sh)\n";
        return 6;
    }
    for (auto& h : headers())
    {
        auto given = p->headers.find(h.first);
        if (given == p->headers.end() || given->second != h.second)
        {
            p->log = "rwkv-cuda-emu: header " + h.first + " missing or different from the emulator's build\n";
            return 6;
        }
    }
    p->image = std::string(Magic) + p->name;
    p->image.push_back('\0');
    return 0;
}
EXPORT int nvrtcGetProgramLogSize(void* prog, size_t* n) { *n = static_cast<EmuProgram*>(prog)->log.size() + 1; return 0; }
EXPORT int nvrtcGetProgramLog(void* prog, char* log)
{
    auto& l = static_cast<EmuProgram*>(prog)->log;
    std::memcpy(log, l.c_str(), l.size() + 1);
    return 0;
}
EXPORT int nvrtcGetCUBINSize(void* prog, size_t* n) { *n = static_cast<EmuProgram*>(prog)->image.size(); return 0; }
EXPORT int nvrtcGetCUBIN(void* prog, char* out)
{
    auto& i = static_cast<EmuProgram*>(prog)->image;
    std::memcpy(out, i.data(), i.size());
    return 0;
}
EXPORT int nvrtcGetPTXSize(void* prog, size_t* n) { return nvrtcGetCUBINSize(prog, n); }
EXPORT int nvrtcGetPTX(void* prog, char* out) { return nvrtcGetCUBIN(prog, out); }

// ---------------------------------------------------------------- cuBLAS
struct EmuBlas { void* stream = nullptr; bool workspace_set = false; };

EXPORT int cublasCreate_v2(void** h)
{
    if (!ctx_current()) return 1; // CUBLAS_STATUS_NOT_INITIALIZED
    *h = new EmuBlas();
    return 0;
}
EXPORT int cublasDestroy_v2(void* h) { delete static_cast<EmuBlas*>(h); return 0; }
EXPORT int cublasGetVersion_v2(void*, int* v) { *v = 130000; return 0; }
EXPORT int cublasGetProperty(int type, int* v)
{
    if (!v || type < 0 || type > 2) return 7; // CUBLAS_STATUS_INVALID_VALUE
    *v = type == 0 ? 13 : 0;
    return 0;
}
EXPORT int cublasSetStream_v2(void* h, void* s)
{
    static_cast<EmuBlas*>(h)->stream = s;
    static_cast<EmuBlas*>(h)->workspace_set = false; // cuBLAS resets the workspace to its default pool here
    return 0;
}
EXPORT int cublasSetWorkspace_v2(void* h, void* ws, size_t bytes)
{
    if (!h) return 1;
    if (bytes > 0 && (((uintptr_t)ws & 255) != 0 || !find_alloc((uintptr_t)ws, bytes, true)))
    {
        fail("cublasSetWorkspace: the workspace must be a 256-byte aligned device range");
        return 7;
    }
    static_cast<EmuBlas*>(h)->workspace_set = bytes > 0;
    return 0;
}

EXPORT int cublasGemmEx(void* handle, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype,
                        int lda, const void* B, int btype, int ldb, const void* beta, void* C, int ctype, int ldc, int compute, int algo)
{
    auto* h = static_cast<EmuBlas*>(handle);
    if (!h) return 1;
    if (!ctx_current()) { fail("cublasGemmEx without a current context"); return 1; }
    if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1) || m < 0 || n < 0 || k < 0) return 7;
    int arows = transa == 0 ? m : k, acols = transa == 0 ? k : m;
    int brows = transb == 0 ? k : n, bcols = transb == 0 ? n : k;
    if (lda < std::max(1, arows) || ldb < std::max(1, brows) || ldc < std::max(1, m)) return 7; // CUBLAS_STATUS_INVALID_VALUE
    bool typesOk = compute == 68 && atype == btype && ctype == 0 && (atype == 0 || atype == 2 || atype == 14);
    if (!typesOk)
    {
        fail("cublasGemmEx: type combination A=" + std::to_string(atype) + " B=" + std::to_string(btype) + " C=" + std::to_string(ctype) +
             " compute=" + std::to_string(compute) + " is not one this backend should use");
        return 15; // CUBLAS_STATUS_NOT_SUPPORTED
    }
    if (algo != -1 && !(algo >= 0 && algo <= 23) && !(algo >= 99 && algo <= 115)) return 7;
    if (m == 0 || n == 0) return 0;
    auto range = [](const void* p, int rows, int cols, int ld, size_t elem) {
        if (rows == 0 || cols == 0) return true;
        size_t bytes = ((size_t)(cols - 1) * ld + rows) * elem;
        return find_alloc((uintptr_t)p, bytes, true) != nullptr;
    };
    if ((k > 0 && (!range(A, arows, acols, lda, type_bytes(atype)) || !range(B, brows, bcols, ldb, type_bytes(btype)))) ||
        !range(C, m, n, ldc, 4))
    {
        fail("cublasGemmEx: an operand runs outside its device allocation (m/n/k or a leading dimension is wrong)");
        return 13; // CUBLAS_STATUS_EXECUTION_FAILED
    }
    GemmArgs g{ transa, transb, m, n, k, *static_cast<const float*>(alpha), *static_cast<const float*>(beta),
                A, atype, lda, B, btype, ldb, static_cast<float*>(C), ldc };
    auto* st = static_cast<EmuStream*>(h->stream);
    if (st && st->capturing)
    {
        if (!h->workspace_set)
        {
            fail("cublasGemmEx captured without cublasSetWorkspace: real cuBLAS may allocate during capture");
            st->invalidated = true;
            return 13;
        }
        Node node{};
        node.kind = Node::Gemm;
        node.gemm = g; // alpha and beta are read now (host pointer mode), the operands at replay, as cuBLAS does
        st->graph->nodes.push_back(std::move(node));
        return 0;
    }
    gemm(g);
    return 0;
}
