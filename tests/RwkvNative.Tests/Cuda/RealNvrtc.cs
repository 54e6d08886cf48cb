using System.Runtime.InteropServices;
using System.Text;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// A real NVRTC loaded from a path for the compile check only (not the backend's binding: that one refuses NVRTC &lt; 12,
/// and the check deliberately uses Debian's 11.8). Compiles to PTX, so NVRTC's built-in ptxas never runs in this process.
/// </summary>
internal sealed unsafe class RealNvrtc
{
    private readonly delegate* unmanaged<int*, int*, int> version;
    private readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> create;
    private readonly delegate* unmanaged<nint, int, byte**, int> compile;
    private readonly delegate* unmanaged<nint, nuint*, int> logSize, ptxSize;
    private readonly delegate* unmanaged<nint, byte*, int> log, ptx;
    private readonly delegate* unmanaged<nint*, int> destroy;

    public RealNvrtc(string path)
    {
        var lib = NativeLibrary.Load(path);
        nint F(string name) => NativeLibrary.GetExport(lib, name);
        version = (delegate* unmanaged<int*, int*, int>)F("nvrtcVersion");
        create = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)F("nvrtcCreateProgram");
        compile = (delegate* unmanaged<nint, int, byte**, int>)F("nvrtcCompileProgram");
        logSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetProgramLogSize");
        log = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetProgramLog");
        ptxSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetPTXSize");
        ptx = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetPTX");
        destroy = (delegate* unmanaged<nint*, int>)F("nvrtcDestroyProgram");
        int major, minor;
        Check(version(&major, &minor), "nvrtcVersion");
        Version = $"{major}.{minor}";
        // Loaded by absolute path, NVRTC does not find its builtins by itself; the backend's own remedy is exercised here.
        Builtins = NvrtcLibrary.PreloadBuiltins(path, major, minor);
    }

    /// <summary>"major.minor".</summary>
    public string Version { get; }

    /// <summary>The builtins file loaded from NVRTC's folder, or null.</summary>
    public string? Builtins { get; }

    /// <summary>The PTX of <paramref name="source"/>, or the compiler log as an exception.</summary>
    public string CompileToPtx(string name, string source, IReadOnlyList<(string Name, string Text)> headers, IReadOnlyList<string> options)
    {
        var strings = new List<nint>();
        byte* Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return (byte*)p;
        }
        nint program = 0;
        try
        {
            var headerTexts = stackalloc byte*[headers.Count];
            var headerNames = stackalloc byte*[headers.Count];
            for (int i = 0; i < headers.Count; i++) { headerTexts[i] = Utf8(headers[i].Text); headerNames[i] = Utf8(headers[i].Name); }
            Check(create(&program, Utf8(source), Utf8(name), headers.Count, headerTexts, headerNames), "nvrtcCreateProgram");
            var opts = stackalloc byte*[options.Count];
            for (int i = 0; i < options.Count; i++) opts[i] = Utf8(options[i]);
            int status = compile(program, options.Count, opts);
            if (status != 0) throw new InvalidOperationException($"NVRTC failed on {name} ({string.Join(' ', options)}), status {status}:\n{Log(program)}");
            nuint size;
            Check(ptxSize(program, &size), "nvrtcGetPTXSize");
            var buffer = new byte[(int)size];
            fixed (byte* p = buffer) Check(ptx(program, p), "nvrtcGetPTX");
            return Encoding.UTF8.GetString(buffer, 0, Math.Max(0, buffer.Length - 1));
        }
        finally
        {
            if (program != 0) destroy(&program);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private string Log(nint program)
    {
        nuint size;
        if (logSize(program, &size) != 0 || size <= 1) return "(no log)";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer) log(program, p);
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1);
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} returned NVRTC status {status}");
    }
}
