// A folder of cached document states (and embeddings) for offline reranking: an append-only record log read with
// positioned reads.
using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Store;

/// <summary>
/// A persistent store of <see cref="DocumentState"/>s (and optionally embeddings) keyed by document id and the hash of
/// the document's text, for offline reranking at scale.
/// </summary>
/// <remarks>
/// <para>Layout of the folder: <c>states.log</c>, an append-only sequence of records (<see cref="StateLog"/>) that starts
/// with the store's manifest, and <c>store.json</c>, the same manifest as a file (rebuilt from the log if it is lost).</para>
/// <para>Ids: appending an id that is already stored writes a new record that supersedes the old one (the document keeps
/// its position). A lookup by id serves the newest record of that id; a lookup by id and content hash serves it only if
/// it was computed from that content, and says it is stale otherwise.</para>
/// <para>Damage: a scan skips a region that holds no record that checks out and resumes at the next record that does
/// (<see cref="DamagedRegions"/>); a record whose embedding or state fails its checksum is reported by id
/// (<see cref="DamagedRecordException"/>, <see cref="StateLookupStatus.Damaged"/>) while every other record is served.
/// Writers never delete a record: they append after what they find, and only cut a torn tail (a record cut short by the
/// end of the file, which a killed writer leaves and never acknowledged) or zero bytes at the end. Dropping damage is an
/// explicit <see cref="Repair"/>.</para>
/// <para>One process writes at a time (a lock file enforces it); any number may read, each seeing the documents stored
/// when it opened (or last called <see cref="Refresh"/>). Reads are thread-safe; appends must not run concurrently with
/// each other.</para>
/// </remarks>
public sealed class DocumentStateStore : IDisposable
{
    /// <summary>Value of <c>format</c> in <c>store.json</c>.</summary>
    public const string FormatName = StoreManifest.FormatName;

    /// <summary>File name of the manifest inside the store folder.</summary>
    public const string ManifestFileName = "store.json";

    /// <summary>File name of the record log inside the store folder.</summary>
    public const string LogFileName = "states.log";

    private const string LockFileName = "writer.lock";

    private readonly object _sync = new();
    private readonly List<Entry> _docs = [];
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly List<StateLogRegion> _damaged = [];
    private readonly List<StateLogRecord> _foreign = [];
    private readonly List<SafeFileHandle> _retired = [];
    private readonly FileStream? _lock;
    private readonly bool _writable;
    private readonly bool _flush;
    private readonly StoreManifest _manifest;
    private SafeFileHandle _log;
    private long _scanEnd;
    private long _appendAt;
    private StateLogTail _tail;
    private StateLogRegion _tailRegion;
    private int _superseded;
    private int _embeddingDims;
    private int _disposed;

    private sealed class Entry(string id, StateLogRecord record)
    {
        public string Id { get; } = id;
        public StateLogRecord Record { get; set; } = record;
    }

    private DocumentStateStore(string directory, StoreManifest manifest, SafeFileHandle log, FileStream? writerLock, bool flush)
    {
        Directory = directory;
        _manifest = manifest;
        _log = log;
        _lock = writerLock;
        _writable = writerLock != null;
        _flush = flush;
    }

    /// <summary>Full path of the store folder.</summary>
    public string Directory { get; }

    /// <summary>Identity (<see cref="EmbeddingModel.Identity"/>) of the model whose states this store holds.</summary>
    public string ModelIdentity => _manifest.ModelIdentity;

    /// <summary>L of the stored states.</summary>
    public int Layers => _manifest.Layers;

    /// <summary>C of the stored states.</summary>
    public int Channels => _manifest.Channels;

    /// <summary>On-disk precision of the states.</summary>
    public StatePrecision Precision => _manifest.Precision;

    /// <summary>True when this instance may append (opened by <see cref="OpenForWriting"/>).</summary>
    public bool IsWritable => _writable;

    /// <summary>Number of documents visible to this instance (each id once).</summary>
    public int Count
    {
        get { lock (_sync) return _docs.Count; }
    }

    /// <summary>Bytes of the log holding complete records and skipped damage (the tail excluded).</summary>
    public long LogBytes
    {
        get { lock (_sync) return _writable ? _appendAt : _scanEnd; }
    }

    /// <summary>Bytes of one document's record, excluding its id and embedding: header, content hash and state.</summary>
    public long BytesPerDocument => StateLog.HeaderSize + ContentHash.Size + _manifest.StateBytes;

    /// <summary>Regions of the log skipped because they hold no record that checks out (damage), in log order.</summary>
    public IReadOnlyList<StateLogRegion> DamagedRegions
    {
        get { lock (_sync) return [.. _damaged]; }
    }

    /// <summary>What follows the last complete record (as of the last scan; a writer has cut a torn tail or zeros).</summary>
    public StateLogTail Tail
    {
        get { lock (_sync) return _tail; }
    }

    /// <summary>Where <see cref="Tail"/> lies.</summary>
    public StateLogRegion TailRegion
    {
        get { lock (_sync) return _tailRegion; }
    }

    /// <summary>Records of an older version of a document that a newer record of the same id replaced.</summary>
    public int SupersededRecords
    {
        get { lock (_sync) return _superseded; }
    }

    /// <summary>Records that check out but that this store does not serve (another state shape or precision): kept, never deleted.</summary>
    public IReadOnlyList<StateLogRecord> ForeignRecords
    {
        get { lock (_sync) return [.. _foreign]; }
    }

    /// <summary>One line saying what the scan skipped (damage, foreign records, a garbage tail), or null when nothing was.</summary>
    public string? DescribeSkipped()
    {
        lock (_sync)
        {
            var parts = new List<string>();
            if (_damaged.Count > 0)
                parts.Add($"{_damaged.Count} damaged region(s) skipped ({string.Join(", ", _damaged.Take(5).Select(r => $"{r.Length} bytes at offset {r.Offset}"))}{(_damaged.Count > 5 ? ", …" : "")})");
            if (_foreign.Count > 0) parts.Add($"{_foreign.Count} record(s) of another state shape kept but not served");
            if (_tail == StateLogTail.Garbage) parts.Add($"{_tailRegion.Length} unreadable bytes at the end (offset {_tailRegion.Offset})");
            if (parts.Count == 0) return null;
            return $"{Path.Combine(Directory, LogFileName)}: {string.Join("; ", parts)}; documents in them are missing until re-indexed; 'rwkv-emb store check' lists them, 'rwkv-emb store repair' rewrites the log without them";
        }
    }

    /// <summary>Opens an existing store for reading; refuses a store made with another model than <paramref name="model"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No store in <paramref name="directory"/>.</exception>
    /// <exception cref="CheckpointException">The store holds another model's states, or neither its manifest nor its log says which model made it.</exception>
    public static DocumentStateStore Open(string directory, EmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OpenForReading(directory, model);
    }

    /// <summary>Opens an existing store for reading without checking which model made it (for checks and tools).</summary>
    internal static DocumentStateStore OpenForReading(string directory, EmbeddingModel? model)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var dir = Path.GetFullPath(directory);
        var logPath = Path.Combine(dir, LogFileName);
        var manifestPath = Path.Combine(dir, ManifestFileName);
        if (!File.Exists(logPath))
        {
            if (File.Exists(manifestPath))
            {
                StoreManifest.ReadFile(manifestPath); // an older format says so
                throw new CheckpointException($"{dir}: {LogFileName} is missing: the store's documents are gone; index them again");
            }
            throw new DirectoryNotFoundException($"{dir}: not a document-state store (no {LogFileName}); create one with 'rwkv-emb index'");
        }
        var log = File.OpenHandle(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            long length = RandomAccess.GetLength(log);
            var scan = StateLog.Scan(StateLogSource.FromFile(log), 0, length);
            var manifest = ResolveManifest(dir, scan);
            if (model != null) manifest.CheckModel(dir, model);
            var store = new DocumentStateStore(dir, manifest, log, null, flush: false);
            store.Apply(scan);
            return store;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the store in <paramref name="directory"/> for appending, creating it (and the folder) when absent. An
    /// existing store must hold states of <paramref name="model"/>; a lost <c>store.json</c> is rebuilt from the log.
    /// A torn record left by a killed writer is cut off; nothing else is removed.
    /// </summary>
    /// <exception cref="IOException">Another process is writing to this store.</exception>
    /// <exception cref="CheckpointException">The store holds another model's states, or its log cannot say which model made it.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for another precision than the existing store's.</exception>
    public static DocumentStateStore OpenForWriting(string directory, EmbeddingModel model, DocumentStateStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DocumentStateStoreOptions();
        var dir = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(dir);
        var writerLock = TakeWriterLock(dir);
        SafeFileHandle? log = null;
        try
        {
            var manifestPath = Path.Combine(dir, ManifestFileName);
            log = File.OpenHandle(Path.Combine(dir, LogFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            long length = RandomAccess.GetLength(log);
            var scan = StateLog.Scan(StateLogSource.FromFile(log), 0, length);
            StoreManifest manifest;
            if (scan.Records.Count == 0 && scan.Damaged.Count == 0 && scan.Tail != StateLogTail.Garbage)
            {
                // A new log (or one holding only a torn first record): it starts with the manifest.
                if (File.Exists(manifestPath)) StoreManifest.ReadFile(manifestPath).CheckModel(dir, model);
                manifest = new StoreManifest(model.Identity, model.Config.Layers, model.Config.Channels,
                    options.Precision ?? (File.Exists(manifestPath) ? StoreManifest.ReadFile(manifestPath).Precision : StatePrecision.Float32),
                    Guid.NewGuid().ToString("N"));
                RandomAccess.SetLength(log, 0);
                var record = manifest.ToRecord();
                RandomAccess.Write(log, record, 0);
                RandomAccess.FlushToDisk(log);
                manifest.WriteFile(manifestPath);
                scan = StateLog.Scan(StateLogSource.FromFile(log), 0, record.Length);
            }
            else
            {
                manifest = ResolveManifest(dir, scan);
                manifest.CheckModel(dir, model);
                if (options.Precision is { } p && p != manifest.Precision)
                    throw new ArgumentException(
                        $"{dir}: the store keeps {StoreManifest.PrecisionName(manifest.Precision)} states, not {StoreManifest.PrecisionName(p)}; use the store's precision or another folder",
                        nameof(options));
                if (!File.Exists(manifestPath)) manifest.WriteFile(manifestPath); // recovered from the log
            }
            var store = new DocumentStateStore(dir, manifest, log, writerLock, options.FlushToDisk);
            store.Apply(scan);
            store._appendAt = scan.End;
            if (scan.Tail is StateLogTail.Torn or StateLogTail.Zeros)
            {
                // A record never completed (so never acknowledged), or zeros: nothing in it can be read. Cut it so new
                // records follow the last complete one.
                RandomAccess.SetLength(log, scan.End);
                if (options.FlushToDisk) RandomAccess.FlushToDisk(log);
            }
            else if (scan.Tail == StateLogTail.Garbage)
            {
                // Damage at the end: keep it (repair is explicit) and append after it.
                store._appendAt = length;
            }
            return store;
        }
        catch
        {
            log?.Dispose();
            writerLock.Dispose();
            throw;
        }
    }

    /// <summary>Id of document <paramref name="index"/> (0-based, in the order first stored).</summary>
    public string GetId(int index)
    {
        lock (_sync) return _docs[index].Id;
    }

    /// <summary>A snapshot of every id, in the order first stored.</summary>
    public string[] GetIds()
    {
        lock (_sync) return [.. _docs.Select(d => d.Id)];
    }

    /// <summary>A snapshot of every document (id, position, content hash, embedding length), in store order; reads no state.</summary>
    public StoredDocument[] GetDocuments()
    {
        lock (_sync)
        {
            var result = new StoredDocument[_docs.Count];
            for (int i = 0; i < result.Length; i++) result[i] = Describe(i);
            return result;
        }
    }

    /// <summary>The stored document with this id, or null.</summary>
    public StoredDocument? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_sync) return _byId.TryGetValue(id, out int i) ? Describe(i) : null;
    }

    /// <summary>True when a document with this id is stored; <paramref name="index"/> is its position.</summary>
    public bool TryGetIndex(string id, out int index)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_sync) return _byId.TryGetValue(id, out index);
    }

    /// <summary>True when a document with this id is stored.</summary>
    public bool Contains(string id) => TryGetIndex(id, out _);

    /// <summary>The state of document <paramref name="id"/> (its newest record).</summary>
    /// <exception cref="KeyNotFoundException">No such id.</exception>
    /// <exception cref="DamagedRecordException">The record fails its checksum.</exception>
    public DocumentState Get(string id) =>
        TryGetIndex(id, out int i) ? Get(i) : throw new KeyNotFoundException($"{Directory}: no document with id '{id}'");

    /// <summary>The state of document <paramref name="id"/>, only if it was computed from <paramref name="content"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such id.</exception>
    /// <exception cref="StaleDocumentStateException">The stored state was computed from other text.</exception>
    /// <exception cref="DamagedRecordException">The record fails its checksum.</exception>
    public DocumentState Get(string id, ContentHash content)
    {
        var found = TryGet(id, content);
        return found.Status switch
        {
            StateLookupStatus.Found => found.State!,
            StateLookupStatus.Missing => throw new KeyNotFoundException($"{Directory}: no document with id '{id}'"),
            StateLookupStatus.Stale => throw new StaleDocumentStateException(id, found.Stored!.Content, content, found.Problem!),
            _ => Get(found.Stored!.Index), // throws the damage with its details
        };
    }

    /// <summary>
    /// Looks a state up by id without throwing for a missing, stale (<paramref name="content"/> given and different from
    /// the stored hash) or damaged document.
    /// </summary>
    public StateLookup TryGet(string id, ContentHash? content = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        StoredDocument? stored = Find(id);
        if (stored == null) return new StateLookup(id, StateLookupStatus.Missing, null, null, null);
        if (content is { } expected && expected != stored.Content)
            return new StateLookup(id, StateLookupStatus.Stale, null, stored,
                $"{Directory}: the stored state of document '{id}' was computed from other text (content {stored.Content}, expected {expected}); re-index the document");
        try
        {
            return new StateLookup(id, StateLookupStatus.Found, Get(stored.Index), stored, null);
        }
        catch (DamagedRecordException e)
        {
            return new StateLookup(id, StateLookupStatus.Damaged, null, stored, e.Message);
        }
    }

    /// <summary>Looks states up for many ids (and, when given, the content each must match), in the order given.</summary>
    public StateLookup[] TryGetMany(IReadOnlyList<string> ids, IReadOnlyList<ContentHash>? contents = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (contents != null && contents.Count != ids.Count) throw new ArgumentException($"{ids.Count} ids but {contents.Count} content hashes", nameof(contents));
        var result = new StateLookup[ids.Count];
        for (int i = 0; i < result.Length; i++) result[i] = TryGet(ids[i], contents?[i]);
        return result;
    }

    /// <summary>The state of document <paramref name="index"/>, as float32 (widened from fp16 if stored so).</summary>
    /// <exception cref="DamagedRecordException">The record fails its checksum (the file was damaged).</exception>
    public DocumentState Get(int index)
    {
        var (record, id, log) = Snapshot(index);
        var state = new ModelState(Layers, 1, Channels);
        ReadState(log, record, id, state);
        return new DocumentState(state, ModelIdentity);
    }

    /// <summary>Document <paramref name="index"/>'s record, id and the log it lives in, read together under the lock.</summary>
    private (StateLogRecord Record, string Id, SafeFileHandle Log) Snapshot(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_sync)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _docs.Count);
            return (_docs[index].Record, _docs[index].Id, _log);
        }
    }

    /// <summary>
    /// Maps the states of every document (or of those at <paramref name="indices"/>, in that order) for reading in place:
    /// offline reranking then gathers or streams them straight from the page cache instead of loading copies
    /// (<c>Reranker.MakeResident(MappedStates, ...)</c>). Each state's checksum is verified once, here; a damaged one is
    /// left out and passed to <paramref name="onDamaged"/>, or thrown when that is null. The result sees the documents
    /// stored now and stays valid after this store is disposed.
    /// </summary>
    /// <exception cref="DamagedRecordException">A state fails its checksum and <paramref name="onDamaged"/> is null.</exception>
    /// <exception cref="IOException">The log is shorter than the records read from it (something truncated it).</exception>
    public MappedStates MapStates(IReadOnlyList<int>? indices = null, Action<DamagedRecordException>? onDamaged = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        StateLogRecord[] records;
        string[] ids;
        SafeFileHandle log;
        lock (_sync)
        {
            int n = indices?.Count ?? _docs.Count;
            records = new StateLogRecord[n];
            ids = new string[n];
            for (int i = 0; i < n; i++)
            {
                int index = indices?[i] ?? i;
                if ((uint)index >= (uint)_docs.Count)
                    throw new ArgumentOutOfRangeException(nameof(indices), index, $"index {i} is outside the store's 0..{_docs.Count - 1}");
                records[i] = _docs[index].Record;
                ids[i] = _docs[index].Id;
            }
            log = _log;
        }
        if (records.Length == 0) return new MappedStates(Layers, Channels, Precision, ModelIdentity, null, [], [], null);
        long end = records.Max(r => r.End);
        if (RandomAccess.GetLength(log) < end)
            throw new IOException($"{Path.Combine(Directory, LogFileName)} is shorter ({RandomAccess.GetLength(log)} bytes) than the records read from it (up to {end}); something truncated it: reopen the store");
        var mapping = Mapping.Open(log, end);
        try
        {
            var offsets = new List<long>(records.Length);
            var kept = new List<string>(records.Length);
            unsafe
            {
                byte* p = null;
                mapping.View.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                try
                {
                    p += mapping.View.PointerOffset;
                    for (int i = 0; i < records.Length; i++)
                    {
                        var r = records[i];
                        var bytes = new ReadOnlySpan<byte>(p + r.StateOffset, checked((int)r.StateBytes));
                        if (r.StateBytes != _manifest.StateBytes || Crc32C.Append(0, bytes) != r.StateCrc)
                        {
                            var damage = Damage(ids[i], r, "state");
                            if (onDamaged == null) throw damage;
                            onDamaged(damage);
                            continue;
                        }
                        offsets.Add(r.StateOffset + mapping.View.PointerOffset);
                        kept.Add(ids[i]);
                    }
                }
                finally
                {
                    mapping.View.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            return new MappedStates(Layers, Channels, Precision, ModelIdentity, mapping.View.SafeMemoryMappedViewHandle,
                [.. offsets], [.. kept], mapping);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    // The file mapping and its read-only view over the log's first `bytes` bytes; the log handle stays the store's.
    private sealed class Mapping : IDisposable
    {
        private readonly MemoryMappedFile _file;

        private Mapping(MemoryMappedFile file, MemoryMappedViewAccessor view)
        {
            _file = file;
            View = view;
        }

        public MemoryMappedViewAccessor View { get; }

        public static Mapping Open(SafeFileHandle log, long bytes)
        {
            var file = MemoryMappedFile.CreateFromFile(log, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            try { return new Mapping(file, file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read)); }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            View.Dispose();
            _file.Dispose();
        }
    }

    /// <summary>States of documents [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), in order.</summary>
    /// <exception cref="DamagedRecordException">One of them fails its checksum.</exception>
    public DocumentState[] GetRange(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new DocumentState[count];
        for (int i = 0; i < count; i++) result[i] = Get(start + i);
        return result;
    }

    /// <summary>The stored embedding of document <paramref name="index"/>, or null when none was stored.</summary>
    /// <exception cref="DamagedRecordException">The embedding fails its checksum.</exception>
    public float[]? GetEmbedding(int index)
    {
        var (record, id, log) = Snapshot(index);
        if (record.EmbeddingDimensions == 0) return null;
        var embedding = new float[record.EmbeddingDimensions + (record.EmbeddingDimensions & 1)]; // padded to 8 bytes, as stored
        var bytes = MemoryMarshal.AsBytes(embedding.AsSpan());
        if (StateLogSource.FromFile(log).Read(record.EmbeddingOffset, bytes) != bytes.Length || Crc32C.Append(0, bytes) != record.EmbeddingCrc)
            throw Damage(id, record, "embedding");
        return embedding.Length == record.EmbeddingDimensions ? embedding : embedding[..record.EmbeddingDimensions];
    }

    /// <summary>
    /// Every stored embedding with its id and content hash, in store order, checksums verified; reads no state. A
    /// document whose embedding is damaged is left out and passed to <paramref name="onDamaged"/>; documents without an
    /// embedding are left out.
    /// </summary>
    public IEnumerable<StoredEmbedding> ReadEmbeddings(Action<DamagedRecordException>? onDamaged = null)
    {
        int count = Count;
        for (int i = 0; i < count; i++)
        {
            float[]? embedding;
            try { embedding = GetEmbedding(i); }
            catch (DamagedRecordException e)
            {
                onDamaged?.Invoke(e);
                continue;
            }
            if (embedding == null) continue;
            var d = Describe(i);
            yield return new StoredEmbedding(d.Id, d.Index, d.Content, embedding);
        }
    }

    /// <summary>Checks both checksums of document <paramref name="index"/>; null when intact, else what is wrong.</summary>
    public string? Verify(int index)
    {
        try
        {
            GetEmbedding(index);
            Get(index);
            return null;
        }
        catch (DamagedRecordException e)
        {
            return e.Message;
        }
    }

    /// <summary>Appends one document (replacing an earlier record of the same id).</summary>
    public void Append(string id, ContentHash content, DocumentState state, float[]? embedding = null) =>
        Append([new DocumentStateEntry(id, content, state, embedding)]);

    /// <summary>
    /// Appends documents in order, each record complete before the next starts; with <see cref="DocumentStateStoreOptions.FlushToDisk"/>
    /// the log is flushed once at the end. An id already stored is replaced by the new record; ids within one call must be
    /// distinct. Everything is checked before anything is written.
    /// </summary>
    /// <exception cref="ArgumentException">An id is empty, too long or repeated; a state is another model's; an embedding's length differs from the store's.</exception>
    public void Append(IReadOnlyList<DocumentStateEntry> documents)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(documents);
        if (!_writable) throw new InvalidOperationException($"{Directory}: this store was opened read-only; use OpenForWriting to append");
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        int dims;
        lock (_sync) dims = _embeddingDims;
        for (int i = 0; i < documents.Count; i++)
        {
            var d = documents[i] ?? throw new ArgumentNullException(nameof(documents), $"document {i} is null");
            var id = d.Id ?? throw new ArgumentNullException(nameof(documents), $"id {i} is null");
            if (id.Length == 0) throw new ArgumentException($"id {i} is empty", nameof(documents));
            if (Encoding.UTF8.GetByteCount(id) > StateLog.MaxIdBytes) throw new ArgumentException($"id {i} is longer than {StateLog.MaxIdBytes} UTF-8 bytes", nameof(documents));
            if (!fresh.Add(id)) throw new ArgumentException($"document id '{id}' appears twice in one append", nameof(documents));
            var s = d.State ?? throw new ArgumentNullException(nameof(documents), $"state {i} is null");
            if (s.ModelIdentity != ModelIdentity)
                throw new ArgumentException($"state {i} (id '{id}') was computed by another model than this store's", nameof(documents));
            if (s.State.Layers != Layers || s.State.Channels != Channels || s.State.Batch != 1)
                throw new ArgumentException($"state {i} (id '{id}') has L={s.State.Layers}, B={s.State.Batch}, C={s.State.Channels}; the store needs L={Layers}, B=1, C={Channels}", nameof(documents));
            if (d.Embedding is { } e)
            {
                if (e.Length == 0 || e.Length > StateLog.MaxEmbeddingDimensions)
                    throw new ArgumentException($"embedding {i} (id '{id}') has {e.Length} floats; use null for none, at most {StateLog.MaxEmbeddingDimensions}", nameof(documents));
                if (dims != 0 && e.Length != dims)
                    throw new ArgumentException($"embedding {i} (id '{id}') has {e.Length} floats; this store's embeddings have {dims}", nameof(documents));
                dims = e.Length;
            }
        }
        foreach (var d in documents)
        {
            var buffer = Encode(d, out int length);
            try
            {
                long offset;
                lock (_sync) offset = _appendAt;
                RandomAccess.Write(_log, buffer.AsSpan(0, length), offset);
                var record = StateLog.Scan(StateLogSource.FromMemory(buffer.AsMemory(0, length)), 0, length).Records[0] with { Offset = offset };
                lock (_sync)
                {
                    Index(record);
                    _appendAt = offset + length;
                    _scanEnd = _appendAt;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (_flush && documents.Count > 0) RandomAccess.FlushToDisk(_log);
    }

    /// <summary>
    /// Re-reads the log so documents appended by a writer since this instance opened become visible. A log replaced by
    /// <see cref="Repair"/> is read again from its start.
    /// </summary>
    public void Refresh()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_writable) return; // a writer sees its own appends; no one else appends while it holds the lock
        lock (_sync)
        {
            var path = Path.Combine(Directory, LogFileName);
            var current = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var first = StateLog.Scan(StateLogSource.FromFile(current), 0, Math.Min(RandomAccess.GetLength(current), 1 << 20));
            var manifestRecord = first.Records.FirstOrDefault(r => r.Kind == StateLogRecordKind.Manifest);
            if (manifestRecord != null && StoreManifest.Parse(Encoding.UTF8.GetBytes(manifestRecord.Key), path).LogId != _manifest.LogId)
            {
                var replaced = StoreManifest.Parse(Encoding.UTF8.GetBytes(manifestRecord.Key), path);
                if (!replaced.SameStates(_manifest))
                {
                    current.Dispose();
                    throw new CheckpointException($"{path}: the log was replaced by one of another model or precision ({replaced.Describe()}); open the store again");
                }
                // Repaired: read the new log from the start; the old handle stays open until Dispose for reads in flight.
                _retired.Add(_log);
                _log = current;
                _docs.Clear();
                _byId.Clear();
                _damaged.Clear();
                _foreign.Clear();
                _superseded = 0;
                _scanEnd = 0;
            }
            else
            {
                current.Dispose();
            }
            long length = RandomAccess.GetLength(_log);
            if (length <= _scanEnd) return;
            Apply(StateLog.Scan(StateLogSource.FromFile(_log), _scanEnd, length));
        }
    }

    /// <summary>Releases the log and the writer lock.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_sync)
        {
            _log.Dispose();
            foreach (var h in _retired) h.Dispose();
            _lock?.Dispose();
        }
    }

    /// <summary>Checks every record of the store in <paramref name="directory"/> (both checksums) without changing anything.</summary>
    public static StoreCheckReport Check(string directory)
    {
        using var store = OpenForReading(directory, null);
        return store.CheckAll();
    }

    /// <summary>
    /// Rewrites the log of the store in <paramref name="directory"/> with only what can be read: a new log holding the
    /// manifest, the newest record of every intact document (in store order) and every foreign record (kept as found), is
    /// written beside the old one, flushed, and renamed over it in one step. Damaged regions, damaged records and
    /// superseded records are dropped; the report names the documents that must be indexed again. Takes the writer lock.
    /// </summary>
    public static StoreCheckReport Repair(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var dir = Path.GetFullPath(directory);
        using var writerLock = TakeWriterLock(dir);
        var temp = Path.Combine(dir, LogFileName + ".repair.tmp");
        try
        {
            using var store = OpenForReading(dir, null);
            var found = store.CheckAll();
            var manifest = store._manifest with { LogId = Guid.NewGuid().ToString("N") };
            var damaged = new HashSet<string>(found.DamagedDocuments.Select(d => d.Id), StringComparer.Ordinal);
            List<StateLogRecord> keep;
            lock (store._sync) keep = [.. store._docs.Where(d => !damaged.Contains(d.Id)).Select(d => d.Record), .. store._foreign];
            using (var output = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var head = manifest.ToRecord();
                RandomAccess.Write(output, head, 0);
                long at = head.Length;
                var source = StateLogSource.FromFile(store._log);
                var buffer = new byte[1 << 20];
                foreach (var r in keep)
                {
                    for (long done = 0; done < r.Size;)
                    {
                        int n = (int)Math.Min(buffer.Length, r.Size - done);
                        if (source.Read(r.Offset + done, buffer.AsSpan(0, n)) != n)
                            throw new IOException($"{Path.Combine(dir, LogFileName)}: the log got shorter while it was repaired; nothing was changed");
                        RandomAccess.Write(output, buffer.AsSpan(0, n), at + done);
                        done += n;
                    }
                    at += r.Size;
                }
                RandomAccess.FlushToDisk(output);
            }
            // The swap is one rename: a crash leaves the old log or the new one, never a mix. store.json follows; if it
            // still names the old log id, readers go by the log, which agrees with it on everything else.
            File.Move(temp, Path.Combine(dir, LogFileName), overwrite: true);
            manifest.WriteFile(Path.Combine(dir, ManifestFileName));
            return found;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private StoreCheckReport CheckAll()
    {
        var damaged = new List<DamagedDocument>();
        int count = Count;
        for (int i = 0; i < count; i++)
            if (Verify(i) is { } problem) damaged.Add(new DamagedDocument(GetId(i), i, problem));
        lock (_sync)
            return new StoreCheckReport(Path.Combine(Directory, LogFileName), _manifest.Describe(), _docs.Count, _superseded, [.. _foreign],
                [.. _damaged], _tail, _tailRegion, damaged);
    }

    private static FileStream TakeWriterLock(string dir)
    {
        try
        {
            // FileShare.None takes an exclusive lock: a second writer fails here instead of interleaving records.
            return new FileStream(Path.Combine(dir, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{dir}: another process is writing to this store; wait for it to finish", e);
        }
    }

    // The log describes itself (its manifest records); store.json must agree with it. When one is missing the other is used.
    private static StoreManifest ResolveManifest(string dir, StateLogScan scan)
    {
        var logPath = Path.Combine(dir, LogFileName);
        var manifestPath = Path.Combine(dir, ManifestFileName);
        StoreManifest? fromLog = null;
        foreach (var r in scan.Records)
        {
            if (r.Kind != StateLogRecordKind.Manifest) continue;
            var m = StoreManifest.Parse(Encoding.UTF8.GetBytes(r.Key), $"{logPath} (manifest record at offset {r.Offset})");
            if (fromLog != null && !fromLog.SameStates(m))
                throw new CheckpointException($"{logPath}: holds records of two stores ({fromLog.Describe()} and {m.Describe()}); index the documents again into a new folder");
            fromLog ??= m;
        }
        StoreManifest? fromFile = File.Exists(manifestPath) ? StoreManifest.ReadFile(manifestPath) : null;
        if (fromLog != null && fromFile != null && !fromLog.SameStates(fromFile))
            throw new CheckpointException(
                $"{dir}: {ManifestFileName} ({fromFile.Describe()}) does not describe {LogFileName} ({fromLog.Describe()}); the log is authoritative: delete {ManifestFileName} to rebuild it from the log");
        if (fromLog != null) return fromLog;
        if (fromFile != null) return fromFile;
        throw new CheckpointException(
            $"{dir}: {ManifestFileName} is missing and {LogFileName} holds no readable manifest record, so which model made its states is unknown; restore {ManifestFileName} from a backup (nothing was changed)");
    }

    // Indexes the records of a scan that continues the previous one.
    private void Apply(StateLogScan scan)
    {
        lock (_sync)
        {
            foreach (var r in scan.Records)
            {
                if (r.Kind == StateLogRecordKind.Manifest) continue;
                if (r.StateElementBytes != _manifest.ElementBytes || r.StateBytes != StateLog.Pad8(_manifest.StateBytes)
                    || (_embeddingDims != 0 && r.EmbeddingDimensions != 0 && r.EmbeddingDimensions != _embeddingDims))
                {
                    _foreign.Add(r);
                    continue;
                }
                Index(r);
            }
            _damaged.AddRange(scan.Damaged);
            _tail = scan.Tail;
            _tailRegion = scan.TailRegion;
            _scanEnd = scan.End;
        }
    }

    private void Index(StateLogRecord r)
    {
        if (_byId.TryGetValue(r.Key, out int at))
        {
            _docs[at].Record = r;
            _superseded++;
        }
        else
        {
            _byId.Add(r.Key, _docs.Count);
            _docs.Add(new Entry(r.Key, r));
        }
        if (_embeddingDims == 0) _embeddingDims = r.EmbeddingDimensions;
    }

    private StoredDocument Describe(int index)
    {
        lock (_sync)
        {
            var e = _docs[index];
            return new StoredDocument(e.Id, index, e.Record.Content, e.Record.EmbeddingDimensions);
        }
    }

    private DamagedRecordException Damage(string id, StateLogRecord record, string what) =>
        new(id, $"{Path.Combine(Directory, LogFileName)}: the {what} of document '{id}' (record at offset {record.Offset}) fails its checksum (the file was damaged); index this document again to replace it");

    private void ReadState(SafeFileHandle log, StateLogRecord record, string id, ModelState state)
    {
        var source = StateLogSource.FromFile(log);
        long at = record.StateOffset;
        if (Precision == StatePrecision.Float32)
        {
            var shift = MemoryMarshal.AsBytes(state.Shift.AsSpan());
            var wkv = MemoryMarshal.AsBytes(state.Wkv.AsSpan());
            if (source.Read(at, shift) != shift.Length || source.Read(at + shift.Length, wkv) != wkv.Length
                || Crc32C.Append(Crc32C.Append(0, shift), wkv) != record.StateCrc)
                throw Damage(id, record, "state");
            return;
        }
        int bytes = checked((int)record.StateBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var span = buffer.AsSpan(0, bytes);
            if (source.Read(at, span) != bytes || Crc32C.Append(0, span) != record.StateCrc) throw Damage(id, record, "state");
            var h = MemoryMarshal.Cast<byte, Half>(span);
            Widen(h[..state.Shift.Length], state.Shift);
            Widen(h[state.Shift.Length..(state.Shift.Length + state.Wkv.Length)], state.Wkv);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Encode(DocumentStateEntry d, out int length)
    {
        int idBytes = Encoding.UTF8.GetByteCount(d.Id);
        int dims = d.Embedding?.Length ?? 0;
        length = checked((int)StateLog.DocumentSize(idBytes, dims, _manifest.StateBytes));
        var buf = ArrayPool<byte>.Shared.Rent(length);
        var span = buf.AsSpan(0, length);
        span.Clear();
        Encoding.UTF8.GetBytes(d.Id, span.Slice(StateLog.HeaderSize, idBytes));
        int e = StateLog.EmbeddingAt(idBytes);
        d.Content.CopyTo(span.Slice(e - ContentHash.Size, ContentHash.Size));
        if (d.Embedding != null) MemoryMarshal.AsBytes(d.Embedding.AsSpan()).CopyTo(span[e..]);
        var payload = span.Slice((int)StateLog.StateAt(idBytes, dims), (int)_manifest.StateBytes);
        var state = d.State.State;
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
        StateLog.Seal(span, StateLogRecordKind.Document, idBytes, dims, _manifest.ElementBytes);
        return buf;
    }

    private static void Narrow(ReadOnlySpan<float> src, Span<Half> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (Half)src[i];
    }

    private static void Widen(ReadOnlySpan<Half> src, Span<float> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (float)src[i];
    }
}
