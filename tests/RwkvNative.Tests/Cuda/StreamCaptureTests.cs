using System.Runtime.InteropServices;
using RwkvNative.Cuda;
using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// CUDA graph capture as the backend does it (<see cref="StreamCapture"/>): another thread's allocation and
/// synchronisation during a capture must not fail nor spoil it (two backends in one process, the server running both
/// models, parallel test classes), and no failure path leaks a graph. The emulator models the capture modes, so the
/// first test fails if the backend goes back to CU_STREAM_CAPTURE_MODE_GLOBAL (the second shows that it would).
/// </summary>
public sealed class StreamCaptureTests
{
    // Thread A begins a capture in `mode`, thread B allocates, frees and synchronises its own stream meanwhile, then A
    // ends the capture. Returns B's first failing status (Success when none) and A's end-of-capture status.
    private static (CUresult Other, CUresult End) CaptureWhileAnotherThreadAllocates(CUstreamCaptureMode mode)
    {
        using var context = ContextHandle.RetainPrimary(0);
        using var began = new ManualResetEventSlim();
        using var otherDone = new ManualResetEventSlim();
        CUresult other = CUresult.Success, end = CUresult.Success;
        var capturing = new Thread(() =>
        {
            using var scope = context.Enter();
            using var stream = StreamHandle.Create(context);
            CudaCheck.Driver(CudaDriver.StreamBeginCapture(stream.Value, mode));
            began.Set();
            otherDone.Wait();
            end = CudaDriver.StreamEndCapture(stream.Value, out var graph);
            if (graph != 0) CudaDriver.GraphDestroy(graph);
        });
        var allocating = new Thread(() =>
        {
            began.Wait();
            try
            {
                using var scope = context.Enter();
                var status = CudaDriver.MemAlloc(out var p, 4096);
                if (status == CUresult.Success) status = CudaDriver.MemFree(p);
                if (status == CUresult.Success)
                {
                    CudaCheck.Driver(CudaDriver.StreamCreate(out var s, 0));
                    status = CudaDriver.StreamSynchronize(s);
                    CudaDriver.StreamDestroy(s);
                }
                other = status;
            }
            finally
            {
                otherDone.Set();
            }
        });
        capturing.Start();
        allocating.Start();
        Assert.True(capturing.Join(TimeSpan.FromMinutes(1)) && allocating.Join(TimeSpan.FromMinutes(1)), "capture threads did not finish");
        return (other, end);
    }

    [Fact]
    public void The_backends_capture_mode_lets_other_threads_allocate_and_synchronise()
    {
        CudaTestDevice.RequireOrSkip();
        Assert.Equal(CUstreamCaptureMode.ThreadLocal, StreamCapture.Mode);
        var (other, end) = CaptureWhileAnotherThreadAllocates(StreamCapture.Mode);
        Assert.Equal(CUresult.Success, other);
        Assert.Equal(CUresult.Success, end);
    }

    [Fact]
    public void Global_capture_mode_would_make_another_threads_allocation_fail()
    {
        CudaTestDevice.RequireOrSkip();
        var (other, end) = CaptureWhileAnotherThreadAllocates(CUstreamCaptureMode.Global);
        Assert.Equal(CUresult.StreamCaptureUnsupported, other);
        Assert.Equal(CUresult.StreamCaptureInvalidated, end);
    }

    // Graphs alive in the emulator (a test-only export); null on a real driver, which has no such count.
    private static long? LiveGraphs() => CudaTestDevice.EmulatorCount("rwkv_emu_live_graphs");

    [Fact]
    public void A_pass_that_throws_while_captured_leaves_capture_mode_and_leaks_no_graph()
    {
        CudaTestDevice.RequireOrSkip();
        using var context = ContextHandle.RetainPrimary(0);
        using var scope = context.Enter();
        using var stream = StreamHandle.Create(context);
        var before = LiveGraphs();
        var e = Assert.Throws<InvalidOperationException>(() =>
            StreamCapture.Record(context, stream, () => throw new InvalidOperationException("pass failed")));
        Assert.Equal("pass failed", e.Message);
        Assert.Equal(before, LiveGraphs());
        stream.Synchronize(); // not capturing any more
    }

    [Fact]
    public void An_invalidated_capture_throws_naming_the_cause_and_leaks_no_graph()
    {
        CudaTestDevice.RequireOrSkip();
        using var context = ContextHandle.RetainPrimary(0);
        using var scope = context.Enter();
        using var stream = StreamHandle.Create(context);
        var before = LiveGraphs();
        var e = Assert.Throws<CudaException>(() => StreamCapture.Record(context, stream, () =>
        {
            // Allocating on the capturing thread is refused in every mode but relaxed, and invalidates the capture.
            CudaDriver.MemAlloc(out _, 4096);
        }));
        Assert.Contains("invalidated", e.Message);
        Assert.Equal(before, LiveGraphs());
        stream.Synchronize();
    }

    [Fact]
    public void A_recorded_graph_replays_and_frees_everything_on_dispose()
    {
        CudaTestDevice.RequireOrSkip();
        using var context = ContextHandle.RetainPrimary(0);
        using var scope = context.Enter();
        using var stream = StreamHandle.Create(context);
        using var memory = DeviceMemoryHandle.Allocate(context, 16);
        var before = LiveGraphs();
        using (var exec = StreamCapture.Record(context, stream, () =>
                   CudaCheck.Driver(CudaDriver.MemsetD32Async(memory.Pointer, 0x3f800000u, 4, stream.Value))))
        {
            exec.Launch(stream);
            stream.Synchronize();
        }
        Assert.Equal(before, LiveGraphs());
        var back = new float[4];
        unsafe
        {
            fixed (float* p = back) CudaCheck.Driver(CudaDriver.MemcpyDtoHAsync(p, memory.Pointer, 16, stream.Value));
        }
        stream.Synchronize();
        Assert.Equal([1f, 1f, 1f, 1f], back);
    }
}
