// A folder of cached document states for offline reranking: an append-only record log, memory-mapped for reading.
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Store;

/// <summary>How a store keeps state values on disk.</summary>
public enum StatePrecision
{
    /// <summary>float32: bit-exact states.</summary>
    Float32,

    /// <summary>IEEE half precision: half the bytes; states are rounded to fp16 when written, widened to float32 when read.</summary>
    Float16,
}

/// <summary>How <see cref="DocumentStateStore.OpenForWriting"/> creates or reopens a store.</summary>
public sealed record DocumentStateStoreOptions
{
    /// <summary>
    /// Precision of a new store. Null (default): float32 for a new store, whatever an existing store uses otherwise.
    /// A value that differs from an existing store's precision is refused.
    /// </summary>
    public StatePrecision? Precision { get; init; }

    /// <summary>
    /// Flush every append to the disk before it returns (default true). Off, a process kill still loses nothing that was
    /// appended (the OS holds it), but a power cut may lose the most recent documents (never corrupting older ones).
    /// </summary>
    public bool FlushToDisk { get; init; } = true;
}

/// <summary>
/// A persistent store of <see cref="DocumentState"/>s keyed by document id, for offline reranking at scale.
/// </summary>
/// <remarks>
/// <para>Layout of the folder: <c>store.json</c> (format, model identity, L, C, precision; written once, atomically) and
/// <c>states.log</c>, an append-only sequence of records. A record is a 24-byte header (u32 magic <c>RWDS</c>, u32 id
/// length, u64 payload length, u32 CRC-32C of id + payload, u32 zero), the id in UTF-8 and the payload
/// (<c>Shift</c> [L,2,C] then <c>Wkv</c> [L,H,64,64] in the store's precision), id and payload each zero-padded to 8 bytes.</para>
/// <para>Crash safety: a document is stored once its whole record is in the log. A writer killed mid-record leaves a torn
/// tail, which readers ignore (its header or length does not check out) and the next writer cuts off before appending;
/// every earlier document stays readable. Checksums catch records damaged in other ways when they are read.</para>
/// <para>Reads go through a read-only memory mapping of the log. One process writes at a time (a lock file enforces it);
/// any number may read, each seeing the documents stored when it opened (or last called <see cref="Refresh"/>).
/// Reads are thread-safe; appends must not run concurrently with each other.</para>
/// </remarks>
public sealed class DocumentStateStore : IDisposable
{
    /// <summary>Value of <c>format</c> in <c>store.json</c>.</summary>
    public const string FormatName = "rwkvnative.document-state-store.v1";

    /// <summary>File name of the manifest inside the store folder.</summary>
    public const string ManifestFileName = "store.json";

    /// <summary>File name of the record log inside the store folder.</summary>
    public const string LogFileName = "states.log";

    private const string LockFileName = "writer.lock";
    private const uint Magic = 0x53445752; // "RWDS" little-endian
    private const int HeaderSize = 24;
    private const int MaxIdBytes = 1 << 16;

    private readonly object _sync = new();
    private readonly List<long> _offsets = [];
    private readonly List<string> _ids = [];
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly FileStream? _lock;
    private readonly SafeFileHandle? _writeHandle;
    private readonly bool _flush;
    private readonly long _payloadBytes;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private long _mappedLength;
    private long _end;
    private int _disposed;

    private DocumentStateStore(string directory, Manifest manifest, FileStream? writerLock, SafeFileHandle? writeHandle, bool flush)
    {
        Directory = directory;
        ModelIdentity = manifest.ModelIdentity;
        Layers = manifest.Layers;
        Channels = manifest.Channels;
        Precision = manifest.Precision;
        _lock = writerLock;
        _writeHandle = writeHandle;
        _flush = flush;
        _payloadBytes = (long)StateFloats(Layers, Channels) * ElementSize(Precision);
    }

    /// <summary>Full path of the store folder.</summary>
    public string Directory { get; }

    /// <summary>Identity (<see cref="EmbeddingModel.Identity"/>) of the model whose states this store holds.</summary>
    public string ModelIdentity { get; }

    /// <summary>L of the stored states.</summary>
    public int Layers { get; }

    /// <summary>C of the stored states.</summary>
    public int Channels { get; }

    /// <summary>On-disk precision of the states.</summary>
    public StatePrecision Precision { get; }

    /// <summary>True when this instance may append (opened by <see cref="OpenForWriting"/>).</summary>
    public bool IsWritable => _writeHandle != null;

    /// <summary>Number of documents visible to this instance.</summary>
    public int Count
    {
        get { lock (_sync) return _ids.Count; }
    }

    /// <summary>Bytes of the log holding complete records.</summary>
    public long LogBytes
    {
        get { lock (_sync) return _end; }
    }

    /// <summary>Bytes one document's record takes on disk, excluding its id.</summary>
    public long BytesPerDocument => HeaderSize + _payloadBytes;

    /// <summary>Opens an existing store for reading; refuses a store made with another model than <paramref name="model"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No store in <paramref name="directory"/>.</exception>
    /// <exception cref="CheckpointException">The store holds another model's states, or its manifest is not readable.</exception>
    public static DocumentStateStore Open(string directory, EmbeddingModel model)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        var dir = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(dir, ManifestFileName);
        if (!File.Exists(manifestPath))
            throw new DirectoryNotFoundException($"{dir}: not a document-state store (no {ManifestFileName}); create one with 'rwkv-emb index'");
        var manifest = Manifest.Read(manifestPath);
        manifest.CheckModel(dir, model);
        var store = new DocumentStateStore(dir, manifest, null, null, flush: false);
        try
        {
            store.Refresh();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the store in <paramref name="directory"/> for appending, creating it (and the folder) when absent. An
    /// existing store must hold states of <paramref name="model"/>. A torn record left by a killed writer is cut off.
    /// </summary>
    /// <exception cref="IOException">Another process is writing to this store.</exception>
    /// <exception cref="CheckpointException">The store holds another model's states, or its manifest is not readable.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for another precision than the existing store's.</exception>
    public static DocumentStateStore OpenForWriting(string directory, EmbeddingModel model, DocumentStateStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DocumentStateStoreOptions();
        var dir = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(dir);
        FileStream writerLock;
        try
        {
            // FileShare.None takes an exclusive lock: a second writer fails here instead of interleaving records.
            writerLock = new FileStream(Path.Combine(dir, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{dir}: another process is writing to this store; wait for it to finish", e);
        }
        SafeFileHandle? handle = null;
        try
        {
            var manifestPath = Path.Combine(dir, ManifestFileName);
            Manifest manifest;
            if (File.Exists(manifestPath))
            {
                manifest = Manifest.Read(manifestPath);
                manifest.CheckModel(dir, model);
                if (options.Precision is { } p && p != manifest.Precision)
                    throw new ArgumentException(
                        $"{dir}: the store keeps {Manifest.PrecisionName(manifest.Precision)} states, not {Manifest.PrecisionName(p)}; use the store's precision or another folder",
                        nameof(options));
            }
            else
            {
                manifest = new Manifest(model.Identity, model.Config.Layers, model.Config.Channels, options.Precision ?? StatePrecision.Float32);
                manifest.Write(manifestPath);
            }
            handle = File.OpenHandle(Path.Combine(dir, LogFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            var store = new DocumentStateStore(dir, manifest, writerLock, handle, options.FlushToDisk);
            try
            {
                store.Refresh();
                // Cut a torn tail so new records follow the last complete one.
                if (RandomAccess.GetLength(handle) != store._end)
                {
                    RandomAccess.SetLength(handle, store._end);
                    if (options.FlushToDisk) RandomAccess.FlushToDisk(handle);
                }
                return store;
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
        catch
        {
            handle?.Dispose();
            writerLock.Dispose();
            throw;
        }
    }

    /// <summary>Id of document <paramref name="index"/> (0-based, in the order stored).</summary>
    public string GetId(int index)
    {
        lock (_sync) return _ids[index];
    }

    /// <summary>A snapshot of every id, in the order stored.</summary>
    public string[] GetIds()
    {
        lock (_sync) return [.. _ids];
    }

    /// <summary>True when a document with this id is stored; <paramref name="index"/> is its position.</summary>
    public bool TryGetIndex(string id, out int index)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_sync) return _byId.TryGetValue(id, out index);
    }

    /// <summary>True when a document with this id is stored.</summary>
    public bool Contains(string id) => TryGetIndex(id, out _);

    /// <summary>The state of document <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such id.</exception>
    public DocumentState Get(string id) =>
        TryGetIndex(id, out int i) ? Get(i) : throw new KeyNotFoundException($"{Directory}: no document with id '{id}'");

    /// <summary>The state of document <paramref name="index"/>, as float32 (widened from fp16 if stored so).</summary>
    /// <exception cref="CheckpointFormatException">The record fails its checksum (the file was damaged).</exception>
    public DocumentState Get(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var state = new ModelState(Layers, 1, Channels);
        lock (_sync)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _ids.Count);
            long offset = _offsets[index];
            EnsureMapped(offset + RecordSize(IdBytes(_ids[index])));
            ReadPayload(offset, _ids[index], state);
        }
        return new DocumentState(state, ModelIdentity);
    }

    /// <summary>States of documents [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), in order.</summary>
    public DocumentState[] GetRange(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new DocumentState[count];
        for (int i = 0; i < count; i++) result[i] = Get(start + i);
        return result;
    }

    /// <summary>Appends one document's state under a new id.</summary>
    /// <exception cref="ArgumentException">The id is empty, too long or already stored; the state is another model's.</exception>
    public void Append(string id, DocumentState state) => Append([id], [state]);

    /// <summary>
    /// Appends documents in order, each record complete before the next starts; with <see cref="DocumentStateStoreOptions.FlushToDisk"/>
    /// the log is flushed once at the end. Ids must be new and distinct; all are checked before anything is written.
    /// </summary>
    public void Append(IReadOnlyList<string> ids, IReadOnlyList<DocumentState> states)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(states);
        if (_writeHandle == null) throw new InvalidOperationException($"{Directory}: this store was opened read-only; use OpenForWriting to append");
        if (ids.Count != states.Count) throw new ArgumentException($"{ids.Count} ids but {states.Count} states", nameof(states));
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++)
        {
            var id = ids[i] ?? throw new ArgumentNullException(nameof(ids), $"id {i} is null");
            if (id.Length == 0) throw new ArgumentException($"id {i} is empty", nameof(ids));
            if (IdBytes(id) > MaxIdBytes) throw new ArgumentException($"id {i} is longer than {MaxIdBytes} UTF-8 bytes", nameof(ids));
            if (Contains(id) || !fresh.Add(id)) throw new ArgumentException($"document id '{id}' is already stored", nameof(ids));
            var s = states[i] ?? throw new ArgumentNullException(nameof(states), $"state {i} is null");
            if (s.ModelIdentity != ModelIdentity)
                throw new ArgumentException($"state {i} (id '{id}') was computed by another model than this store's", nameof(states));
            if (s.State.Layers != Layers || s.State.Channels != Channels || s.State.Batch != 1)
                throw new ArgumentException($"state {i} (id '{id}') has L={s.State.Layers}, B={s.State.Batch}, C={s.State.Channels}; the store needs L={Layers}, B=1, C={Channels}", nameof(states));
        }
        for (int i = 0; i < ids.Count; i++)
        {
            var record = Encode(ids[i], states[i].State, out int length);
            try
            {
                long offset;
                lock (_sync) offset = _end;
                RandomAccess.Write(_writeHandle, record.AsSpan(0, length), offset);
                lock (_sync)
                {
                    _offsets.Add(offset);
                    _byId.Add(ids[i], _ids.Count);
                    _ids.Add(ids[i]);
                    _end = offset + length;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(record);
            }
        }
        if (_flush && ids.Count > 0) RandomAccess.FlushToDisk(_writeHandle);
    }

    /// <summary>Re-reads the log so documents appended by a writer since this instance opened become visible.</summary>
    public void Refresh()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_sync)
        {
            var path = Path.Combine(Directory, LogFileName);
            long length = _writeHandle != null ? RandomAccess.GetLength(_writeHandle) : File.Exists(path) ? new FileInfo(path).Length : 0;
            if (length <= _end) return;
            Remap(length);
            Scan(length);
        }
    }

    /// <summary>Releases the mapping, the log and the writer lock.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_sync)
        {
            Unmap();
            _writeHandle?.Dispose();
            _lock?.Dispose();
        }
    }

    // Walks records from the last known end; stops at the first one that is incomplete or malformed (a torn tail).
    private void Scan(long length)
    {
        long pos = _end;
        var view = _view!;
        while (pos + HeaderSize <= length)
        {
            if (view.ReadUInt32(pos) != Magic) break;
            uint idBytes = view.ReadUInt32(pos + 4);
            ulong payload = view.ReadUInt64(pos + 8);
            if (idBytes == 0 || idBytes > MaxIdBytes || payload != (ulong)_payloadBytes) break;
            long size = RecordSize((int)idBytes);
            if (pos + size > length) break;
            var idBuf = new byte[idBytes];
            view.ReadArray(pos + HeaderSize, idBuf, 0, idBuf.Length);
            string id;
            try { id = new UTF8Encoding(false, true).GetString(idBuf); }
            catch (DecoderFallbackException) { break; }
            if (_byId.ContainsKey(id)) break; // never written by a writer (ids are unique): damage, not a document
            _offsets.Add(pos);
            _byId.Add(id, _ids.Count);
            _ids.Add(id);
            pos += size;
        }
        _end = pos;
    }

    private unsafe void ReadPayload(long offset, string id, ModelState state)
    {
        byte* basePtr = null;
        var handle = _view!.SafeMemoryMappedViewHandle;
        handle.AcquirePointer(ref basePtr);
        try
        {
            byte* rec = basePtr + _view.PointerOffset + offset;
            int idBytes = (int)BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(rec + 4, 4));
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(rec + 16, 4));
            var idSpan = new ReadOnlySpan<byte>(rec + HeaderSize, idBytes);
            var payload = new ReadOnlySpan<byte>(rec + HeaderSize + Pad8(idBytes), checked((int)_payloadBytes));
            if (Crc32C.Append(Crc32C.Append(0, idSpan), payload) != crc)
                throw new CheckpointFormatException($"{Path.Combine(Directory, LogFileName)}: the record of document '{id}' at offset {offset} fails its checksum (the file was damaged); re-index this document");
            int shift = state.Shift.Length;
            if (Precision == StatePrecision.Float32)
            {
                var f = MemoryMarshal.Cast<byte, float>(payload);
                f[..shift].CopyTo(state.Shift);
                f[shift..].CopyTo(state.Wkv);
            }
            else
            {
                var h = MemoryMarshal.Cast<byte, Half>(payload);
                Widen(h[..shift], state.Shift);
                Widen(h[shift..], state.Wkv);
            }
        }
        finally
        {
            handle.ReleasePointer();
        }
    }

    private byte[] Encode(string id, ModelState state, out int length)
    {
        int idBytes = IdBytes(id);
        length = checked((int)RecordSize(idBytes));
        var buf = ArrayPool<byte>.Shared.Rent(length);
        var span = buf.AsSpan(0, length);
        span.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)idBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], (ulong)_payloadBytes);
        Encoding.UTF8.GetBytes(id, span.Slice(HeaderSize, idBytes));
        var payload = span.Slice(HeaderSize + Pad8(idBytes), (int)_payloadBytes);
        if (Precision == StatePrecision.Float32)
        {
            MemoryMarshal.AsBytes(state.Shift.AsSpan()).CopyTo(payload);
            MemoryMarshal.AsBytes(state.Wkv.AsSpan()).CopyTo(payload[(state.Shift.Length * 4)..]);
        }
        else
        {
            var h = MemoryMarshal.Cast<byte, Half>(payload);
            Narrow(state.Shift, h[..state.Shift.Length]);
            Narrow(state.Wkv, h[state.Shift.Length..]);
        }
        uint crc = Crc32C.Append(Crc32C.Append(0, span.Slice(HeaderSize, idBytes)), payload);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], crc);
        return buf;
    }

    private void EnsureMapped(long end)
    {
        if (end <= _mappedLength) return;
        if (_writeHandle == null)
            throw new InvalidOperationException("a record lies past the mapped log; this is a bug");
        Remap(RandomAccess.GetLength(_writeHandle));
    }

    private void Remap(long length)
    {
        Unmap();
        if (length == 0) return;
        var path = Path.Combine(Directory, LogFileName);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            // Map only `length` bytes: a writer may be appending past it.
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            _mappedLength = length;
        }
        catch
        {
            _map?.Dispose();
            _map = null;
            stream.Dispose();
            throw;
        }
    }

    private void Unmap()
    {
        _view?.Dispose();
        _map?.Dispose();
        _view = null;
        _map = null;
        _mappedLength = 0;
    }

    private long RecordSize(int idBytes) => HeaderSize + Pad8(idBytes) + Pad8(_payloadBytes);

    private static int IdBytes(string id) => Encoding.UTF8.GetByteCount(id);

    private static int Pad8(int n) => (n + 7) & ~7;

    private static long Pad8(long n) => (n + 7) & ~7L;

    private static int StateFloats(int layers, int channels) => layers * 2 * channels + layers * channels * ModelConfig.HeadSize;

    private static int ElementSize(StatePrecision p) => p == StatePrecision.Float32 ? 4 : 2;

    private static void Narrow(ReadOnlySpan<float> src, Span<Half> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (Half)src[i];
    }

    private static void Widen(ReadOnlySpan<Half> src, Span<float> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (float)src[i];
    }

    /// <summary>The contents of <c>store.json</c>.</summary>
    private sealed record Manifest(string ModelIdentity, int Layers, int Channels, StatePrecision Precision)
    {
        public static string PrecisionName(StatePrecision p) => p == StatePrecision.Float32 ? "f32" : "f16";

        public static Manifest Read(string path)
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                var root = doc.RootElement;
                var format = root.GetProperty("format").GetString();
                if (format != FormatName)
                    throw new CheckpointException($"{path}: format is '{format}', expected '{FormatName}'");
                var precision = root.GetProperty("precision").GetString() switch
                {
                    "f32" => StatePrecision.Float32,
                    "f16" => StatePrecision.Float16,
                    var other => throw new CheckpointException($"{path}: unknown precision '{other}' (f32 or f16)"),
                };
                return new Manifest(root.GetProperty("model_identity").GetString() ?? "", root.GetProperty("layers").GetInt32(),
                    root.GetProperty("channels").GetInt32(), precision);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new CheckpointException($"{path}: not a valid store manifest: {e.Message}", e);
            }
        }

        public void CheckModel(string dir, EmbeddingModel model)
        {
            if (ModelIdentity != model.Identity || Layers != model.Config.Layers || Channels != model.Config.Channels)
                throw new CheckpointException(
                    $"{dir}: this store holds states computed by another model ({Short(ModelIdentity)}, L={Layers}, C={Channels}), not by this one ({Short(model.Identity)}, L={model.Config.Layers}, C={model.Config.Channels}); index the documents again with this model into a new store");
        }

        public void Write(string path)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("format", FormatName);
                w.WriteString("model_identity", ModelIdentity);
                w.WriteNumber("layers", Layers);
                w.WriteNumber("channels", Channels);
                w.WriteString("precision", PrecisionName(Precision));
                w.WriteString("created", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    f.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
                    f.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: false);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;
    }
}

/// <summary>CRC-32C (Castagnoli), hardware-accelerated through <see cref="System.Numerics.BitOperations.Crc32C(uint, ulong)"/>.</summary>
internal static class Crc32C
{
    /// <summary>Continues <paramref name="crc"/> (0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words) c = System.Numerics.BitOperations.Crc32C(c, w);
        for (int i = words.Length * 8; i < data.Length; i++) c = System.Numerics.BitOperations.Crc32C(c, data[i]);
        return ~c;
    }
}
