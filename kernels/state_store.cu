// Resident document states (offline reranking): copies between a store of per-document states and the batch layout
// the layers run on, in the store's precision (float32 or fp16), all on the device.
//   store: [N, L, P, E]  (document-major: one document's part is contiguous)
//   batch: [L, P, B, E]  (the backend's layout: shift has P = 2, E = C; wkv has P = 1, E = H*64*64)
#include "common.cuh"

// Batch element i ([L, P, B, E] flat) belongs to sequence b and sits at offset `within` of that sequence's [L, P, E]
// part in the store. Gather and scatter share this walk and differ only in direction and which document b maps to.
struct StoreAt
{
    int b;
    long long within;
};

__device__ __forceinline__ StoreAt store_at(long long i, int b_count, long long e_count)
{
    long long e = i % e_count;
    long long rest = i / e_count; // (l * parts + p) * b_count + b
    return StoreAt{(int)(rest % b_count), (rest / b_count) * e_count + e};
}

// batch[l, p, b, e] = store[indices[b], l, p, e]. One thread per batch element, grid-stride.
template <typename T>
__device__ __forceinline__ void gather(const T* __restrict__ store, const int* __restrict__ indices, float* __restrict__ batch,
                                       int b_count, int layers, int parts, long long e_count)
{
    long long per_b = (long long)layers * parts * e_count;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < per_b * b_count; i += (long long)gridDim.x * blockDim.x)
    {
        StoreAt at = store_at(i, b_count, e_count);
        batch[i] = to_float(store[(long long)indices[at.b] * per_b + at.within]);
    }
}

// store[first + b, l, p, e] = batch[l, p, b, e], rounded to the store's type.
template <typename T>
__device__ __forceinline__ void scatter(const float* __restrict__ batch, T* __restrict__ store, int first,
                                        int b_count, int layers, int parts, long long e_count)
{
    long long per_b = (long long)layers * parts * e_count;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < per_b * b_count; i += (long long)gridDim.x * blockDim.x)
    {
        StoreAt at = store_at(i, b_count, e_count);
        store[(long long)(first + at.b) * per_b + at.within] = FromFloat<T>::convert(batch[i]);
    }
}

extern "C" __global__ void state_gather_f32(const float* store, const int* indices, float* batch, int b_count, int layers,
                                            int parts, long long e_count)
{
    gather<float>(store, indices, batch, b_count, layers, parts, e_count);
}

extern "C" __global__ void state_gather_f16(const f16_t* store, const int* indices, float* batch, int b_count, int layers,
                                            int parts, long long e_count)
{
    gather<f16_t>(store, indices, batch, b_count, layers, parts, e_count);
}

extern "C" __global__ void state_scatter_f32(const float* batch, float* store, int first, int b_count, int layers, int parts,
                                             long long e_count)
{
    scatter<float>(batch, store, first, b_count, layers, parts, e_count);
}

extern "C" __global__ void state_scatter_f16(const float* batch, f16_t* store, int first, int b_count, int layers, int parts,
                                             long long e_count)
{
    scatter<f16_t>(batch, store, first, b_count, layers, parts, e_count);
}
