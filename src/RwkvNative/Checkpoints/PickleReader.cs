// A restricted unpickler for PyTorch state dicts: a fixed set of opcodes and allow-listed globals; nothing is executed.
using System.Buffers.Binary;
using System.Text;

namespace RwkvNative.Checkpoints;

/// <summary>
/// Interprets a protocol-2 (up to 5) pickle as data. Globals are looked up in a fixed allow-list and become inert
/// <see cref="PickleGlobal"/> markers; REDUCE only "calls" the allow-listed tensor/dict constructors, building
/// <see cref="TensorRef"/> / <see cref="PickleDict"/> values. Everything else is an <see cref="UnsafePickleException"/>;
/// malformed input is a <see cref="CheckpointFormatException"/>. Stack, mark depth and memo size are bounded.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>Most objects on the stack at once.</summary>
    public const int MaxStack = 1 << 20;
    /// <summary>Most nested MARKs.</summary>
    public const int MaxMarkDepth = 1000;
    /// <summary>Most memo entries.</summary>
    public const int MaxMemo = 1 << 20;

    private static readonly Dictionary<string, PickleGlobal> AllowList = BuildAllowList();

    private readonly byte[] _data;
    private readonly string _where;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;
    private int _opStart;

    private PickleReader(byte[] data, string where)
    {
        _data = data;
        _where = where;
    }

    /// <summary>Reads the pickle in <paramref name="data"/>; <paramref name="where"/> (file and entry) prefixes error messages.</summary>
    public static object? Read(byte[] data, string where) => new PickleReader(data, where).Run();

    /// <summary>Human name of an opcode byte, for messages.</summary>
    public static string OpcodeName(byte op) => op switch
    {
        (byte)'c' => "GLOBAL", 0x93 => "STACK_GLOBAL", (byte)'R' => "REDUCE", (byte)'b' => "BUILD", (byte)'i' => "INST",
        (byte)'o' => "OBJ", 0x81 => "NEWOBJ", 0x92 => "NEWOBJ_EX", (byte)'P' => "PERSID", (byte)'Q' => "BINPERSID",
        0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4", (byte)'I' => "INT", (byte)'L' => "LONG", (byte)'F' => "FLOAT",
        (byte)'S' => "STRING", (byte)'T' => "BINSTRING", (byte)'U' => "SHORT_BINSTRING", (byte)'V' => "UNICODE",
        (byte)'B' => "BINBYTES", (byte)'C' => "SHORT_BINBYTES", 0x8e => "BINBYTES8", 0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER", 0x8b => "LONG4", 0x8f => "EMPTY_SET", 0x90 => "ADDITEMS",
        0x91 => "FROZENSET", (byte)'g' => "GET", (byte)'p' => "PUT", (byte)'d' => "DICT", (byte)'l' => "LIST",
        _ => "unknown",
    };

    private object? Run()
    {
        while (_pos < _data.Length)
        {
            _opStart = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    int proto = ReadByte();
                    if (proto > 5) throw Malformed($"pickle protocol {proto} is not supported (at most 5)");
                    break;
                case 0x95: // FRAME: a length prefix only; the data follows inline
                    long frame = (long)ReadUInt64();
                    if (frame < 0 || frame > _data.Length - _pos) throw Malformed($"frame of {frame} bytes runs past the end");
                    break;
                case (byte)'.': // STOP
                    return Pop();
                case (byte)'(': // MARK
                    if (_marks.Count >= MaxMarkDepth) throw Malformed($"more than {MaxMarkDepth} nested marks");
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)']': Push(new PickleList()); break; // EMPTY_LIST
                case (byte)')': Push(new PickleTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(ReadLong1()); break; // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'X': Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // BINUNICODE
                case 0x8c: Push(ReadString((ulong)ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadString(ReadUInt64())); break; // BINUNICODE8
                case (byte)'t': Push(new PickleTuple(PopToMark())); break; // TUPLE
                case 0x85: Push(new PickleTuple([Pop()])); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b, c])); break; } // TUPLE3
                case (byte)'l': // LIST
                {
                    var list = new PickleList();
                    list.Items.AddRange(PopToMark());
                    Push(list);
                    break;
                }
                case (byte)'d': // DICT
                {
                    var dict = new PickleDict();
                    AddPairs(dict, PopToMark());
                    Push(dict);
                    break;
                }
                case (byte)'a': { var v = Pop(); PeekAs<PickleList>("APPEND").Items.Add(v); break; } // APPEND
                case (byte)'e': { var items = PopToMark(); PeekAs<PickleList>("APPENDS").Items.AddRange(items); break; } // APPENDS
                case (byte)'s': { var v = Pop(); var k = Pop(); PeekAs<PickleDict>("SETITEM").Set(Key(k), v); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(); AddPairs(PeekAs<PickleDict>("SETITEMS"), items); break; } // SETITEMS
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopToMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP
                case (byte)'q': Put(ReadByte()); break; // BINPUT
                case (byte)'r': Put(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break; // LONG_BINPUT
                case 0x94: Put(_memo.Count); break; // MEMOIZE
                case (byte)'h': Get(ReadByte()); break; // BINGET
                case (byte)'j': Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break; // LONG_BINGET
                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    Push(Resolve(module, name, op));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Malformed("STACK_GLOBAL needs two strings");
                    Push(Resolve(m, n, op));
                    break;
                }
                case (byte)'Q': Push(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    Build(Peek(), state);
                    break;
                }
                default:
                    throw new UnsafePickleException(
                        $"{_where} offset {_opStart}: pickle opcode 0x{op:x2} ({OpcodeName(op)}) is not allowed in a checkpoint; refusing to load",
                        opcode: op);
            }
        }
        throw Malformed("the pickle ends without STOP (truncated?)");
    }

    private static Dictionary<string, PickleGlobal> BuildAllowList()
    {
        var d = new Dictionary<string, PickleGlobal>(StringComparer.Ordinal);
        void Add(string q, PickleGlobalKind k, TensorDType? t = null, int size = 0) => d.Add(q, new PickleGlobal(q, k, t, size));
        Add("collections.OrderedDict", PickleGlobalKind.OrderedDict);
        Add("torch._utils._rebuild_tensor_v2", PickleGlobalKind.RebuildTensorV2);
        Add("torch._utils._rebuild_parameter", PickleGlobalKind.RebuildParameter);
        Add("torch.BFloat16Storage", PickleGlobalKind.Storage, TensorDType.BFloat16, 2);
        Add("torch.HalfStorage", PickleGlobalKind.Storage, TensorDType.Float16, 2);
        Add("torch.FloatStorage", PickleGlobalKind.Storage, TensorDType.Float32, 4);
        // Known storage classes of other dtypes: accepted as data so the error can name the tensor and dtype later.
        foreach (var (name, size) in new[]
                 {
                     ("DoubleStorage", 8), ("LongStorage", 8), ("IntStorage", 4), ("ShortStorage", 2), ("CharStorage", 1),
                     ("ByteStorage", 1), ("BoolStorage", 1), ("ComplexFloatStorage", 8), ("ComplexDoubleStorage", 16),
                     ("QInt8Storage", 1), ("QUInt8Storage", 1), ("QInt32Storage", 4), ("QUInt4x2Storage", 1), ("QUInt2x4Storage", 1),
                 })
            Add("torch." + name, PickleGlobalKind.Storage, null, size);
        return d;
    }

    private PickleGlobal Resolve(string module, string name, byte op)
    {
        string q = module + "." + name;
        if (AllowList.TryGetValue(q, out var g)) return g;
        throw new UnsafePickleException(
            $"{_where} offset {_opStart}: {OpcodeName(op)} '{q}' is not allowed: a checkpoint may only build tensors, dicts, lists, tuples, numbers and strings; refusing to load (nothing was executed)",
            global: q, opcode: op);
    }

    private StorageRef PersistentLoad(object? pid)
    {
        if (pid is not PickleTuple { Items: [string tag, var type, var key, var location, var numel] } || tag != "storage")
            throw Malformed("a persistent id must be ('storage', StorageClass, key, location, numel)");
        if (type is not PickleGlobal { Kind: PickleGlobalKind.Storage } storageType)
            throw new UnsafePickleException($"{_where} offset {_opStart}: persistent id names {Describe(type)} where a torch storage class is required",
                global: (type as PickleGlobal)?.QualifiedName, opcode: (byte)'Q');
        if (key is not string k || location is not string loc || numel is not long n || n < 0)
            throw Malformed("a storage persistent id needs a string key, a string location and a non-negative element count");
        return new StorageRef(storageType, k, loc, n);
    }

    private object Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal g || g.Kind == PickleGlobalKind.Storage)
            throw new UnsafePickleException(
                $"{_where} offset {_opStart}: REDUCE calls {Describe(callable)}, which is not an allow-listed constructor; refusing to load",
                global: (callable as PickleGlobal)?.QualifiedName, opcode: (byte)'R');
        if (args is not PickleTuple t) throw Malformed($"REDUCE on {g.QualifiedName} needs a tuple of arguments, got {Describe(args)}");
        var a = t.Items;
        switch (g.Kind)
        {
            case PickleGlobalKind.OrderedDict:
                if (a.Length != 0) throw Malformed($"collections.OrderedDict called with {a.Length} arguments; only OrderedDict() is supported");
                return new PickleDict();
            case PickleGlobalKind.RebuildTensorV2:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a.Length is < 6 or > 7 || a[0] is not StorageRef storage || a[1] is not long offset || a[4] is not bool)
                    throw Malformed("_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])");
                return new TensorRef(storage, offset, Longs(a[2], "size"), Longs(a[3], "stride"));
            case PickleGlobalKind.RebuildParameter:
                // (data, requires_grad, backward_hooks): a parameter is stored like its tensor.
                if (a.Length != 3 || a[0] is not TensorRef tensor || a[1] is not bool)
                    throw Malformed("_rebuild_parameter expects (tensor, requires_grad, backward_hooks)");
                return tensor;
            default:
                throw Malformed($"cannot call {g.QualifiedName}");
        }
    }

    private void Build(object? target, object? state)
    {
        // torch's state_dict() is an OrderedDict carrying a `_metadata` attribute, pickled as BUILD with a dict state.
        // That state is version bookkeeping: accepted as data and ignored.
        if (target is PickleDict && (state is PickleDict || state is PickleTuple { Items: [PickleDict or null, PickleDict or null] }))
            return;
        throw new UnsafePickleException(
            $"{_where} offset {_opStart}: BUILD on {Describe(target)} with state {Describe(state)} is not allowed; refusing to load",
            global: (target as PickleGlobal)?.QualifiedName, opcode: (byte)'b');
    }

    private long[] Longs(object? value, string what)
    {
        if (value is not PickleTuple t) throw Malformed($"tensor {what} must be a tuple of ints, got {Describe(value)}");
        var r = new long[t.Items.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = t.Items[i] is long v ? v : throw Malformed($"tensor {what} must be a tuple of ints, got {Describe(t.Items[i])} at {i}");
        return r;
    }

    private void AddPairs(PickleDict dict, object?[] items)
    {
        if (items.Length % 2 != 0) throw Malformed("SETITEMS/DICT with an odd number of items");
        for (int i = 0; i < items.Length; i += 2) dict.Set(Key(items[i]), items[i + 1]);
    }

    private object Key(object? key) => key switch
    {
        string or long or double or bool or PickleTuple => key,
        _ => throw Malformed($"unsupported dict key {Describe(key)}"),
    };

    private static string Describe(object? o) => o switch
    {
        null => "None",
        PickleGlobal g => $"'{g.QualifiedName}'",
        string s => $"a string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or double or bool => $"the number {o}",
        PickleDict => "a dict",
        PickleList => "a list",
        PickleTuple => "a tuple",
        StorageRef s => $"storage '{s.Key}'",
        TensorRef => "a tensor",
        _ => o.GetType().Name,
    };

    private void Push(object? o)
    {
        if (_stack.Count >= MaxStack) throw Malformed($"more than {MaxStack} objects on the pickle stack");
        _stack.Add(o);
    }

    private int Floor => _marks.Count > 0 ? _marks.Peek() : 0;

    private object? Pop()
    {
        if (_stack.Count <= Floor) throw Malformed("pickle stack underflow");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private object? Peek()
    {
        if (_stack.Count <= Floor) throw Malformed("pickle stack underflow");
        return _stack[^1];
    }

    private T PeekAs<T>(string op) where T : class =>
        Peek() as T ?? throw Malformed($"{op} target is {Describe(Peek())}, not a {typeof(T).Name}");

    private object?[] PopToMark()
    {
        if (_marks.Count == 0) throw Malformed("no MARK on the stack");
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Put(long index)
    {
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(index)) throw Malformed($"more than {MaxMemo} memo entries");
        _memo[index] = Peek();
    }

    private void Get(long index)
    {
        if (!_memo.TryGetValue(index, out var o)) throw Malformed($"memo entry {index} was never stored");
        Push(o);
    }

    private int ReadByte()
    {
        if (_pos >= _data.Length) throw Malformed("the pickle ends inside an opcode (truncated?)");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Malformed($"the opcode needs {n} bytes but only {_data.Length - _pos} remain (truncated?)");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private string ReadString(ulong length)
    {
        // The length is checked against the bytes that remain before anything is allocated.
        if (length > (ulong)(_data.Length - _pos)) throw Malformed($"string of {length} bytes but only {_data.Length - _pos} remain");
        return Encoding.UTF8.GetString(Take((long)length));
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        if (n > 8) throw Malformed($"integer of {n} bytes does not fit in 64 bits");
        var b = Take(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n is > 0 and < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement sign
        return v;
    }

    private string ReadLine()
    {
        const int maxLine = 256;
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(maxLine, _data.Length - _pos));
        if (end < 0) throw Malformed($"GLOBAL name not terminated within {maxLine} bytes");
        var s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private CheckpointFormatException Malformed(string message) => new($"{_where} offset {_opStart}: malformed pickle: {message}");
}
