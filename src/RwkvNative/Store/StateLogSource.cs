using Microsoft.Win32.SafeHandles;

namespace RwkvNative.Store;

/// <summary>
/// Positioned reads of a log's bytes: from memory (tests, fuzzers) or from a file handle. Positioned reads, not a memory
/// mapping, so that a log cut shorter by a writer while it is read gives short reads, never a bus error.
/// </summary>
internal abstract class StateLogSource
{
    /// <summary>Fills as much of <paramref name="destination"/> as the log holds from <paramref name="offset"/>; returns the bytes read.</summary>
    public abstract int Read(long offset, Span<byte> destination);

    public static StateLogSource FromMemory(ReadOnlyMemory<byte> bytes) => new MemorySource(bytes);

    public static StateLogSource FromFile(SafeFileHandle handle) => new FileSource(handle);

    private sealed class MemorySource(ReadOnlyMemory<byte> bytes) : StateLogSource
    {
        public override int Read(long offset, Span<byte> destination)
        {
            if (offset < 0 || offset >= bytes.Length) return 0;
            int n = (int)Math.Min(destination.Length, bytes.Length - offset);
            bytes.Span.Slice((int)offset, n).CopyTo(destination);
            return n;
        }
    }

    private sealed class FileSource(SafeFileHandle handle) : StateLogSource
    {
        public override int Read(long offset, Span<byte> destination)
        {
            int total = 0;
            while (total < destination.Length)
            {
                int n = RandomAccess.Read(handle, destination[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
    }
}
