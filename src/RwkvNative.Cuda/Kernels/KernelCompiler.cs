using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Kernels;

/// <summary>Compiles kernels/*.cu with NVRTC for one device, through the on-disk <see cref="KernelCache"/>.</summary>
internal sealed unsafe class KernelCompiler
{
    private readonly KernelCache cache;
    private readonly Action<string> log;
    private readonly int deviceArch;
    private readonly bool lineInfo;

    /// <summary>Creates a compiler for a device of compute capability <paramref name="deviceArch"/> (major*10+minor).</summary>
    /// <param name="deviceArch">Compute capability, major*10+minor.</param>
    /// <param name="cache">Where compiled images are kept.</param>
    /// <param name="log">Receives one line per compiled file.</param>
    /// <param name="lineInfo">Add <see cref="KernelSources.LineInfoOption"/> (for profilers; off by default).</param>
    public KernelCompiler(int deviceArch, KernelCache cache, Action<string> log, bool lineInfo = false)
    {
        this.deviceArch = deviceArch;
        this.lineInfo = lineInfo;
        this.cache = cache;
        this.log = log;
        CudaCheck.Nvrtc(Nvrtc.Version(out var major, out var minor));
        NvrtcVersion = $"{major}.{minor}";
        CudaCheck.Nvrtc(Nvrtc.GetNumSupportedArchs(out var count));
        var archs = new int[count];
        fixed (int* p = archs) CudaCheck.Nvrtc(Nvrtc.GetSupportedArchs(p));
        var env = Environment.GetEnvironmentVariable("RWKV_CUDA_ARCH");
        int? requested = int.TryParse(env, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : null;
        Target = CompileTarget.Choose(deviceArch, archs, requested);
    }

    /// <summary>"major.minor" of the loaded NVRTC.</summary>
    public string NvrtcVersion { get; }

    /// <summary>Architecture and format compiled for.</summary>
    public CompileTarget Target { get; }

    /// <summary>The NVRTC options (the same for every file): the target, kernels/nvrtc.options (model constants included), line info when asked.</summary>
    public IReadOnlyList<string> Options => For(Target.GpuArch, lineInfo);

    /// <summary>The options for <paramref name="gpuArch"/> (e.g. <c>sm_90</c>): what the backend passes, for any checker to reuse.</summary>
    public static IReadOnlyList<string> For(string gpuArch, bool lineInfo) =>
        [$"--gpu-architecture={gpuArch}", .. KernelSources.CompilerOptions, .. (lineInfo ? new[] { KernelSources.LineInfoOption } : [])];

    /// <summary>The image of <paramref name="file"/> (cubin, or NUL-terminated PTX) and its cache file name.</summary>
    public (byte[] Image, string CacheName) Compile(string file)
    {
        var source = KernelSources.Read(file);
        (string Name, string Text)[] headers = [(KernelSources.CommonHeader, KernelSources.Read(KernelSources.CommonHeader))];
        var name = KernelCache.FileName(file, source, headers, Options, deviceArch, NvrtcVersion, Target.Ptx);
        var cached = cache.TryRead(name);
        if (cached != null) return (cached, name);

        var clock = Stopwatch.StartNew();
        var image = CompileWithNvrtc(file, source, headers);
        clock.Stop();
        var cacheNote = cache.TryWrite(name, image) ?? $"cached in {cache.Directory}";
        log($"rwkvnative: compiled {file} for {Target.GpuArch} with NVRTC {NvrtcVersion} in {clock.Elapsed.TotalMilliseconds:F0} ms ({cacheNote})");
        return (image, name);
    }

    /// <summary>Drops a cached image the driver refused, so the next <see cref="Compile"/> rebuilds it.</summary>
    public void Evict(string cacheName) => cache.Remove(cacheName);

    private byte[] CompileWithNvrtc(string file, string source, (string Name, string Text)[] headers)
    {
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        nint program = 0;
        try
        {
            var headerTexts = stackalloc byte*[headers.Length];
            var headerNames = stackalloc byte*[headers.Length];
            for (int i = 0; i < headers.Length; i++)
            {
                headerTexts[i] = (byte*)Utf8(headers[i].Text);
                headerNames[i] = (byte*)Utf8(headers[i].Name);
            }
            CudaCheck.Nvrtc(Nvrtc.CreateProgram(out program, (byte*)Utf8(source), (byte*)Utf8(file), headers.Length, headerTexts, headerNames));
            var options = Options;
            var optionPtrs = stackalloc byte*[options.Count];
            for (int i = 0; i < options.Count; i++) optionPtrs[i] = (byte*)Utf8(options[i]);
            var status = Nvrtc.CompileProgram(program, options.Count, optionPtrs);
            CudaCheck.Nvrtc(status, status == NvrtcResult.Success ? null : Log(program));

            nuint size;
            if (Target.Ptx) CudaCheck.Nvrtc(Nvrtc.GetPtxSize(program, out size));
            else CudaCheck.Nvrtc(Nvrtc.GetCubinSize(program, out size));
            var image = new byte[(int)size];
            fixed (byte* p = image)
            {
                if (Target.Ptx) CudaCheck.Nvrtc(Nvrtc.GetPtx(program, p));
                else CudaCheck.Nvrtc(Nvrtc.GetCubin(program, p));
            }
            return image;
        }
        finally
        {
            if (program != 0) Nvrtc.DestroyProgram(ref program);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string Log(nint program)
    {
        if (Nvrtc.GetProgramLogSize(program, out var size) != NvrtcResult.Success || size <= 1) return "";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
            if (Nvrtc.GetProgramLog(program, p) != NvrtcResult.Success) return "";
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1);
    }
}
