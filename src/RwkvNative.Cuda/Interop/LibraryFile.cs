using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>Finds the file a loaded native library came from, so diagnostics can name it (a soname says too little).</summary>
internal static class LibraryFile
{
    /// <summary>
    /// The path of the module of this process whose mapped range holds <paramref name="export"/> of
    /// <paramref name="library"/>, or null when the export or the module list is not available.
    /// </summary>
    public static string? Containing(nint library, string export)
    {
        if (!NativeLibrary.TryGetExport(library, export, out var address)) return null;
        try
        {
            using var self = Process.GetCurrentProcess();
            foreach (ProcessModule m in self.Modules)
            {
                long start = m.BaseAddress, end = start + m.ModuleMemorySize;
                if (address >= start && address < end && !string.IsNullOrEmpty(m.FileName)) return m.FileName;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // No module list on this platform: the caller falls back to the name the library was loaded by.
        }
        return null;
    }
}
