// A read-only memory mapping of a whole file with bounds-checked access by 64-bit offset.
using System.IO.MemoryMappedFiles;

namespace RwkvNative.Checkpoints;

/// <summary>
/// Maps a file read-only. Every access is checked against the file length; a check that fails throws
/// <see cref="CheckpointFormatException"/> naming the file and the range. Reads from many threads are safe.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private int _disposed;

    private MappedFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _map = map;
        _view = view;
        Length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>Full path of the mapped file.</summary>
    public string Path { get; }

    /// <summary>File length in bytes.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps <paramref name="path"/>; an empty file is a <see cref="CheckpointFormatException"/>, a folder or a file this
    /// process may not read a <see cref="CheckpointException"/> that says so.
    /// </summary>
    public static MappedFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new CheckpointException($"{full} is a folder, not a checkpoint file: give the .pth or .safetensors file inside it");
        FileStream stream;
        try { stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None); }
        catch (UnauthorizedAccessException e)
        {
            throw new CheckpointException($"{full}: permission denied: this user may not read the file; check its permissions (ls -l) or run as its owner", e);
        }
        MemoryMappedFile? map = null;
        try
        {
            long length = stream.Length;
            if (length == 0) throw new CheckpointFormatException($"{full}: the file is empty");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(full, map, view, length);
        }
        catch
        {
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Base pointer of the mapping; throws once disposed.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _base;
        }
    }

    /// <summary>
    /// Base pointer, held valid until the matching <see cref="ReleaseReference"/> even if <see cref="Dispose"/> runs
    /// meanwhile (the view is unmapped when the last reference goes); throws once disposed.
    /// </summary>
    public byte* AddReference()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        bool added = false;
        _view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added); // throws ObjectDisposedException if already closed
        return _base;
    }

    /// <summary>Releases a reference taken with <see cref="AddReference"/>.</summary>
    public void ReleaseReference() => _view.SafeMemoryMappedViewHandle.DangerousRelease();

    /// <summary>True when [offset, offset + length) lies inside the file.</summary>
    public bool Contains(long offset, long length) => offset >= 0 && length >= 0 && offset <= Length && length <= Length - offset;

    /// <summary>The bytes [offset, offset + length); <paramref name="what"/> names the structure for the error message.</summary>
    public ReadOnlySpan<byte> Slice(long offset, long length, string what)
    {
        if (!Contains(offset, length))
            throw new CheckpointFormatException($"{Path}: {what} at offset {offset} ({length} bytes) lies outside the file ({Length} bytes); the file is truncated or corrupt");
        if (length > int.MaxValue)
            throw new CheckpointFormatException($"{Path}: {what} is {length} bytes, more than one span can hold");
        return new ReadOnlySpan<byte>(Pointer + offset, (int)length);
    }

    /// <summary>Releases the mapping; spans obtained earlier must not be used afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
