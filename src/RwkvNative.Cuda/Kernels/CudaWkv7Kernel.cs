namespace RwkvNative.Cuda.Kernels;

/// <summary>Which wkv7 recurrence kernel runs (kernels/wkv7.cu).</summary>
public enum CudaWkv7Kernel
{
    /// <summary><c>wkv7_forward</c>: one 64-thread block per (sequence, head), one thread per state row.</summary>
    RowPerThread,

    /// <summary>
    /// <c>wkv7_forward_split</c>: each state row split over 4 threads (256 per block), for launches with few
    /// (sequence, head) pairs such as B = 1 prefill. Same result up to float32 summation order.
    /// </summary>
    SplitRow,
}
