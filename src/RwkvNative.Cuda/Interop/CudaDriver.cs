using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// CUDA driver API entry points (cuda.h), with the C signature above each. Handles are raw values here; the
/// SafeHandles in <c>Handles/</c> own them. Call <see cref="NativeLibraryLoader.EnsureLoaded"/> with
/// <see cref="NativeLibraryLoader.Driver"/> before the first call.
/// </summary>
internal static unsafe partial class CudaDriver
{
    private const string Lib = NativeLibraryLoader.DriverName;

    // CUresult cuInit(unsigned int Flags);
    [LibraryImport(Lib, EntryPoint = "cuInit")]
    public static partial CUresult Init(uint flags);

    // CUresult cuDriverGetVersion(int* driverVersion);
    [LibraryImport(Lib, EntryPoint = "cuDriverGetVersion")]
    public static partial CUresult DriverGetVersion(out int version);

    // CUresult cuDeviceGetCount(int* count);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetCount")]
    public static partial CUresult DeviceGetCount(out int count);

    // CUresult cuDeviceGet(CUdevice* device, int ordinal);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGet")]
    public static partial CUresult DeviceGet(out int device, int ordinal);

    // CUresult cuDeviceGetName(char* name, int len, CUdevice dev);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetName")]
    public static partial CUresult DeviceGetName(byte* name, int length, int device);

    // CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetAttribute")]
    public static partial CUresult DeviceGetAttribute(out int value, CUdeviceAttribute attribute, int device);

    // CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial CUresult DeviceTotalMem(out nuint bytes, int device);

    // CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")]
    public static partial CUresult DevicePrimaryCtxRetain(out nint context, int device);

    // CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial CUresult DevicePrimaryCtxRelease(int device);

    // CUresult cuCtxPushCurrent_v2(CUcontext ctx);
    [LibraryImport(Lib, EntryPoint = "cuCtxPushCurrent_v2")]
    public static partial CUresult CtxPushCurrent(nint context);

    // CUresult cuCtxPopCurrent_v2(CUcontext* pctx);
    [LibraryImport(Lib, EntryPoint = "cuCtxPopCurrent_v2")]
    public static partial CUresult CtxPopCurrent(out nint context);

    // CUresult cuMemGetInfo_v2(size_t* free, size_t* total);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")]
    public static partial CUresult MemGetInfo(out nuint free, out nuint total);

    // CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize);
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")]
    public static partial CUresult MemAlloc(out ulong pointer, nuint bytes);

    // CUresult cuMemFree_v2(CUdeviceptr dptr);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")]
    public static partial CUresult MemFree(ulong pointer);

    // CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")]
    public static partial CUresult MemcpyHtoD(ulong destination, void* source, nuint bytes);

    // CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial CUresult MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial CUresult MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial CUresult MemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD32Async")]
    public static partial CUresult MemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // CUresult cuStreamCreate(CUstream* phStream, unsigned int Flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamCreate")]
    public static partial CUresult StreamCreate(out nint stream, uint flags);

    // CUresult cuStreamDestroy_v2(CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")]
    public static partial CUresult StreamDestroy(nint stream);

    // CUresult cuStreamSynchronize(CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuStreamSynchronize")]
    public static partial CUresult StreamSynchronize(nint stream);

    // CUresult cuEventCreate(CUevent* phEvent, unsigned int Flags);
    [LibraryImport(Lib, EntryPoint = "cuEventCreate")]
    public static partial CUresult EventCreate(out nint cuEvent, uint flags);

    // CUresult cuEventDestroy_v2(CUevent hEvent);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")]
    public static partial CUresult EventDestroy(nint cuEvent);

    // CUresult cuEventRecord(CUevent hEvent, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuEventRecord")]
    public static partial CUresult EventRecord(nint cuEvent, nint stream);

    // CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamWaitEvent")]
    public static partial CUresult StreamWaitEvent(nint stream, nint cuEvent, uint flags);

    // CUresult cuEventSynchronize(CUevent hEvent);
    [LibraryImport(Lib, EntryPoint = "cuEventSynchronize")]
    public static partial CUresult EventSynchronize(nint cuEvent);

    // CUresult cuEventElapsedTime(float* pMilliseconds, CUevent hStart, CUevent hEnd);
    [LibraryImport(Lib, EntryPoint = "cuEventElapsedTime")]
    public static partial CUresult EventElapsedTime(out float milliseconds, nint start, nint end);

    // CUresult cuModuleLoadData(CUmodule* module, const void* image);
    [LibraryImport(Lib, EntryPoint = "cuModuleLoadData")]
    public static partial CUresult ModuleLoadData(out nint module, void* image);

    // CUresult cuModuleUnload(CUmodule hmod);
    [LibraryImport(Lib, EntryPoint = "cuModuleUnload")]
    public static partial CUresult ModuleUnload(nint module);

    // CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name);
    [LibraryImport(Lib, EntryPoint = "cuModuleGetFunction", StringMarshalling = StringMarshalling.Utf8)]
    public static partial CUresult ModuleGetFunction(out nint function, nint module, string name);

    // CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, unsigned blockDimX, blockDimY, blockDimZ,
    //                         unsigned sharedMemBytes, CUstream hStream, void** kernelParams, void** extra);
    [LibraryImport(Lib, EntryPoint = "cuLaunchKernel")]
    public static partial CUresult LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY,
        uint blockZ, uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int Flags);
    [LibraryImport(Lib, EntryPoint = "cuMemHostAlloc")]
    public static partial CUresult MemHostAlloc(out nint pointer, nuint bytes, uint flags);

    // CUresult cuMemFreeHost(void* p);
    [LibraryImport(Lib, EntryPoint = "cuMemFreeHost")]
    public static partial CUresult MemFreeHost(nint pointer);

    // CUresult cuMemHostRegister_v2(void* p, size_t bytesize, unsigned int Flags);  (Flags: CU_MEMHOSTREGISTER_*)
    [LibraryImport(Lib, EntryPoint = "cuMemHostRegister_v2")]
    public static partial CUresult MemHostRegister(nint pointer, nuint bytes, uint flags);

    /// <summary>CU_MEMHOSTREGISTER_READ_ONLY: the range is only read by the device (required for read-only mappings).</summary>
    public const uint MemHostRegisterReadOnly = 0x08;

    // CUresult cuMemHostUnregister(void* p);
    [LibraryImport(Lib, EntryPoint = "cuMemHostUnregister")]
    public static partial CUresult MemHostUnregister(nint pointer);

    // CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode);
    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial CUresult StreamBeginCapture(nint stream, CUstreamCaptureMode mode);

    // CUresult cuStreamEndCapture(CUstream hStream, CUgraph* phGraph);
    [LibraryImport(Lib, EntryPoint = "cuStreamEndCapture")]
    public static partial CUresult StreamEndCapture(nint stream, out nint graph);

    // CUresult cuGraphInstantiateWithFlags(CUgraphExec* phGraphExec, CUgraph hGraph, unsigned long long flags);
    [LibraryImport(Lib, EntryPoint = "cuGraphInstantiateWithFlags")]
    public static partial CUresult GraphInstantiateWithFlags(out nint exec, nint graph, ulong flags);

    // CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream);
    [LibraryImport(Lib, EntryPoint = "cuGraphLaunch")]
    public static partial CUresult GraphLaunch(nint exec, nint stream);

    // CUresult cuGraphExecDestroy(CUgraphExec hGraphExec);
    [LibraryImport(Lib, EntryPoint = "cuGraphExecDestroy")]
    public static partial CUresult GraphExecDestroy(nint exec);

    // CUresult cuGraphDestroy(CUgraph hGraph);
    [LibraryImport(Lib, EntryPoint = "cuGraphDestroy")]
    public static partial CUresult GraphDestroy(nint graph);

    // CUresult cuGetErrorName(CUresult error, const char** pStr);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorName")]
    public static partial CUresult GetErrorName(CUresult error, out byte* name);

    // CUresult cuGetErrorString(CUresult error, const char** pStr);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorString")]
    public static partial CUresult GetErrorString(CUresult error, out byte* text);
}
