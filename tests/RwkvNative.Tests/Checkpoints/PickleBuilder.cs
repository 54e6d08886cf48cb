using System.Buffers.Binary;
using System.Text;

namespace RwkvNative.Tests.Checkpoints;

/// <summary>Emits pickle opcodes one by one (protocol 2 unless told otherwise).</summary>
internal sealed class PickleBuilder
{
    private readonly MemoryStream _s = new();

    public PickleBuilder Raw(params byte[] bytes) { _s.Write(bytes); return this; }
    public PickleBuilder Op(char op) => Raw((byte)op);
    public PickleBuilder Proto(int v = 2) => Raw(0x80, (byte)v);
    public PickleBuilder Mark() => Op('(');
    public PickleBuilder Stop() => Op('.');
    public PickleBuilder EmptyDict() => Op('}');
    public PickleBuilder EmptyList() => Op(']');
    public PickleBuilder EmptyTuple() => Op(')');
    public PickleBuilder Tuple() => Op('t');
    public PickleBuilder Tuple1() => Raw(0x85);
    public PickleBuilder Tuple2() => Raw(0x86);
    public PickleBuilder Tuple3() => Raw(0x87);
    public PickleBuilder SetItems() => Op('u');
    public PickleBuilder SetItem() => Op('s');
    public PickleBuilder Appends() => Op('e');
    public PickleBuilder Append() => Op('a');
    public PickleBuilder Reduce() => Op('R');
    public PickleBuilder Build() => Op('b');
    public PickleBuilder PersId() => Op('Q');
    public PickleBuilder False() => Raw(0x89);
    public PickleBuilder True() => Raw(0x88);
    public PickleBuilder None() => Op('N');
    public PickleBuilder Put(byte i) => Raw((byte)'q', i);
    public PickleBuilder Get(byte i) => Raw((byte)'h', i);
    public PickleBuilder LongGet(uint i) { Op('j'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, i); return Raw(b.ToArray()); }
    public PickleBuilder Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));

    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
        return Raw(n.ToArray()).Raw(b);
    }

    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and < 256) return Raw((byte)'K', (byte)v);
        if (v is >= 0 and < 65536) return Raw((byte)'M', (byte)v, (byte)(v >> 8));
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Op('J').Raw(b.ToArray());
        }
        Span<byte> l = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        return Raw(0x8a, 8).Raw(l.ToArray());
    }

    public PickleBuilder Float(double v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, v);
        return Op('G').Raw(b.ToArray());
    }

    public PickleBuilder IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>A persistent id ('storage', torch.{storageClass}, key, 'cpu', numel), loaded with BINPERSID.</summary>
    public PickleBuilder Storage(string storageClass, string key, long numel) =>
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str("cpu").Int(numel).Tuple().PersId();

    /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) as torch writes it.</summary>
    public PickleBuilder Tensor(string storageClass, string key, long numel, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark().Storage(storageClass, key, numel).Int(offset)
            .IntTuple(size).IntTuple(stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();

    public byte[] ToArray() => _s.ToArray();
}
