// Malicious and malformed pickles inside otherwise valid .pth zips: each is refused with a specific exception that
// names the problem; nothing is executed.
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class PickleSafetyTests
{
    private static readonly Action<PickleBuilder> GoodTensor = p => p.Tensor("FloatStorage", "0", 4, 0, [4], [1]);
    private static readonly (string, byte[])[] GoodStorage = [("0", PthWriter.Floats(1, 2, 3, 4))];

    private static T OpenFails<T>(byte[] pickle) where T : Exception
    {
        using var dir = new TempDir();
        var path = dir.File("m.pth");
        PthWriter.Write(path, pickle, GoodStorage);
        return Assert.Throws<T>(() => Checkpoint.Open(path));
    }

    private static Checkpoint OpenGood(TempDir dir, byte[] pickle)
    {
        var path = dir.File("ok.pth");
        PthWriter.Write(path, pickle, GoodStorage);
        return Checkpoint.Open(path);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("torch._utils", "_rebuild_tensor_v3")]
    [InlineData("collections", "defaultdict")]
    public void Global_and_reduce_outside_the_allow_list_is_refused_without_running(string module, string name)
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned");
        var pickle = StateDictPickle.Of(("w", GoodTensor),
            ("evil", p => p.Global(module, name).Str($"open('{marker}','w')").Tuple1().Reduce()));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Equal($"{module}.{name}", e.Global);
        Assert.Contains($"'{module}.{name}' is not allowed", e.Message);
        Assert.Contains("data.pkl", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Forbidden_global_nested_inside_a_tensor_rebuild_is_refused()
    {
        // _rebuild_tensor_v2(getattr(...), ...): the inner call is reached first and refused by name.
        var pickle = StateDictPickle.Of(("w", p => p.Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Global("builtins", "getattr").Str("os").Str("system").Tuple2().Reduce()
            .Int(0).IntTuple(4).IntTuple(1).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce()));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Equal("builtins.getattr", e.Global);
    }

    [Fact]
    public void Reduce_on_an_allow_listed_storage_class_is_refused()
    {
        var pickle = StateDictPickle.Of(("w", p => p.Global("torch", "FloatStorage").IntTuple(4).Reduce()));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Equal("torch.FloatStorage", e.Global);
        Assert.Contains("REDUCE", e.Message);
    }

    [Fact]
    public void Reduce_on_a_non_callable_value_is_refused()
    {
        // OrderedDict() builds a dict; calling that dict (REDUCE) must not be possible.
        var pickle = StateDictPickle.Of(("w", p => p.Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyTuple().Reduce()));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Contains("REDUCE calls a dict", e.Message);
        Assert.Equal((byte)'R', e.Opcode);
    }

    [Fact]
    public void Stack_global_outside_the_allow_list_is_refused()
    {
        var pickle = StateDictPickle.Of(("evil", p => p.Str("os").Str("system").Raw(0x93).Str("id").Tuple1().Reduce()));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Equal("os.system", e.Global);
        Assert.Contains("STACK_GLOBAL", e.Message);
    }

    [Theory]
    [InlineData((byte)'i', "INST")]
    [InlineData((byte)'o', "OBJ")]
    [InlineData((byte)0x81, "NEWOBJ")]
    [InlineData((byte)0x82, "EXT1")]
    [InlineData((byte)'P', "PERSID")]
    [InlineData((byte)'B', "BINBYTES")]
    [InlineData((byte)0xFF, "unknown")]
    public void Unknown_or_unsupported_opcode_is_refused_by_name(byte op, string name)
    {
        var pickle = StateDictPickle.Of(("w", GoodTensor), ("x", p => p.Raw(op).Raw("os\nsystem\n"u8.ToArray())));
        var e = OpenFails<UnsafePickleException>(pickle);
        Assert.Equal(op, e.Opcode);
        Assert.Contains($"0x{op:x2} ({name})", e.Message);
        Assert.Null(e.Global);
    }

    [Fact]
    public void Build_is_accepted_on_a_dict_only()
    {
        var onDict = StateDictPickle.Of(("w", GoodTensor), ("d", p => p.Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyDict().Build()));
        using (var dir = new TempDir())
        using (var ok = OpenGood(dir, onDict))
            Assert.Empty(Assert.IsType<Dictionary<string, object?>>(ok.Values["d"]));
        var bad = StateDictPickle.Of(("w", p => { GoodTensor(p); p.EmptyDict().Build(); }));
        var e = OpenFails<UnsafePickleException>(bad);
        Assert.Contains("BUILD on a tensor", e.Message);
        Assert.Equal((byte)'b', e.Opcode);
    }

    [Fact]
    public void Persistent_id_that_is_not_a_storage_is_malformed()
    {
        var pickle = StateDictPickle.Of(("w", p => p.Mark().Str("module").Str("x").Tuple().PersId()));
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("persistent id", e.Message);
    }

    [Fact]
    public void String_longer_than_the_pickle_is_rejected_before_allocating()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Mark().Raw((byte)'X', 0xF0, 0xFF, 0xFF, 0xFF).Raw("abc"u8.ToArray()).ToArray();
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("string of 4294967280 bytes", e.Message);
    }

    [Fact]
    public void Mark_nesting_bomb_is_rejected()
    {
        var p = new PickleBuilder().Proto();
        for (int i = 0; i < 5000; i++) p.Mark();
        var e = OpenFails<CheckpointFormatException>(p.Stop().ToArray());
        Assert.Contains("nested marks", e.Message);
    }

    [Fact]
    public void Stack_bomb_is_rejected()
    {
        var p = new PickleBuilder().Proto();
        p.Raw(Enumerable.Repeat((byte)'N', RwkvNative.Checkpoints.PickleReader.MaxStack + 10).ToArray());
        var e = OpenFails<CheckpointFormatException>(p.Stop().ToArray());
        Assert.Contains("objects on the pickle stack", e.Message);
    }

    [Fact]
    public void Missing_memo_entry_is_malformed()
    {
        var pickle = StateDictPickle.Of(("w", p => p.LongGet(123456)));
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("memo entry 123456", e.Message);
    }

    [Fact]
    public void Pickle_without_stop_is_malformed()
    {
        var full = StateDictPickle.Of(("w", GoodTensor));
        var e = OpenFails<CheckpointFormatException>(full[..^1]);
        Assert.Contains("without STOP", e.Message);
    }

    [Fact]
    public void Truncated_inside_an_opcode_is_malformed()
    {
        var full = StateDictPickle.Of(("a_rather_long_key_name", GoodTensor));
        // Cut inside the BINUNICODE payload of the key.
        var e = OpenFails<CheckpointFormatException>(full[..12]);
        Assert.Contains("remain", e.Message);
    }

    [Fact]
    public void Self_referencing_list_value_is_rejected()
    {
        var pickle = StateDictPickle.Of(("w", GoodTensor), ("loop", p => p.EmptyList().Put(7).Get(7).Append()));
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("'loop", e.Message);
        Assert.Contains("cyclic", e.Message);
    }

    [Fact]
    public void Integer_wider_than_64_bits_is_malformed()
    {
        var pickle = StateDictPickle.Of(("n", p => p.Raw(0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9)));
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("64 bits", e.Message);
    }

    [Fact]
    public void Top_level_object_that_is_not_a_dict_is_rejected()
    {
        var pickle = new PickleBuilder().Proto().EmptyList().Stop().ToArray();
        var e = OpenFails<CheckpointFormatException>(pickle);
        Assert.Contains("not a state dict", e.Message);
    }

    [Fact]
    public void Unknown_storage_class_is_refused_but_known_other_dtypes_are_reported_per_key()
    {
        var unknown = StateDictPickle.Of(("w", p => p.Tensor("Float8Storage", "0", 4, 0, [4], [1])));
        Assert.Equal("torch.Float8Storage", OpenFails<UnsafePickleException>(unknown).Global);

        using var dir = new TempDir();
        var path = dir.File("double.pth");
        PthWriter.Write(path, StateDictPickle.Of(("w", GoodTensor), ("d", p => p.Tensor("DoubleStorage", "1", 2, 0, [2], [1]))),
            [("0", PthWriter.Floats(1, 2, 3, 4)), ("1", new byte[16])]);
        using var ck = Checkpoint.Open(path);
        Assert.Equal(["w"], ck.Tensors.Keys);
        Assert.Equal("torch.DoubleStorage", ck.UnsupportedTensors["d"]);
        Assert.False(ck.Values.ContainsKey("d"));
        var e = Assert.Throws<UnsupportedDTypeException>(() => ck.Get("d"));
        Assert.Equal("d", e.Key);
        Assert.Equal("torch.DoubleStorage", e.DType);
        Assert.Contains("'d' has unsupported dtype torch.DoubleStorage", e.Message);
    }

    [Fact]
    public void State_dict_metadata_build_and_rebuild_parameter_are_accepted()
    {
        // What torch writes for model.state_dict(): OrderedDict() + SETITEMS + BUILD {'_metadata': OrderedDict(...)};
        // an nn.Parameter value goes through _rebuild_parameter(tensor, requires_grad, hooks).
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Put(0).Mark();
        p.Str("w");
        p.Global("torch._utils", "_rebuild_parameter").Mark();
        GoodTensor(p);
        p.True().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        p.SetItems();
        p.EmptyDict().Str("_metadata").Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("").EmptyDict().Str("version").Int(1).SetItem().SetItem().SetItem().Build().Stop();
        using var dir = new TempDir();
        using var ck = OpenGood(dir, p.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], ck.Get("w", 4).ToFloat32());
        Assert.Empty(ck.Values);
    }

    [Fact]
    public void Protocol_4_framing_short_strings_and_stack_global_are_understood()
    {
        // FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL (of an allow-listed name), as protocol 4 writes them;
        // backward_hooks given as None; values of several kinds.
        var p = new PickleBuilder().Proto(4).Raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0).EmptyDict().Raw(0x94).Mark();
        p.Raw(0x8c, 1, (byte)'n').Raw(0x94).Int(-5);
        p.Raw(0x8c, 1, (byte)'f').Float(0.25);
        p.Raw(0x8c, 3).Raw("big"u8.ToArray()).Int(-3_000_000_000L);
        p.Raw(0x8c, 1, (byte)'s').Str("héllo");
        p.Raw(0x8c, 1, (byte)'t').Mark().Float(1.5).Float(-2).Tuple();
        p.Raw(0x8c, 1, (byte)'m').Mark().Int(1).Str("x").Tuple();
        p.Raw(0x8c, 1, (byte)'b').True();
        p.Raw(0x8c, 1, (byte)'w').Raw(0x8c, 12).Raw("torch._utils"u8.ToArray()).Raw(0x8c, 18).Raw("_rebuild_tensor_v2"u8.ToArray()).Raw(0x93)
            .Mark().Storage("HalfStorage", "0", 4).Int(1).IntTuple(3).IntTuple(1).False().None().Tuple().Reduce();
        p.SetItems().Stop();
        using var dir = new TempDir();
        var path = dir.File("p4.pth");
        PthWriter.Write(path, p.ToArray(), [("0", PthWriter.Halves(1, 2, 3, 4))]);
        using var ck = Checkpoint.Open(path);
        Assert.Equal([2f, 3f, 4f], ck.Get("w", 3).ToFloat32());
        Assert.Equal(TensorDType.Float16, ck.Get("w").DType);
        Assert.Equal(-5L, ck.Values["n"]);
        Assert.Equal(0.25, ck.Values["f"]);
        Assert.Equal(-3_000_000_000L, ck.Values["big"]);
        Assert.Equal("héllo", ck.Values["s"]);
        Assert.Equal([1.5, -2.0], Assert.IsType<double[]>(ck.Values["t"]));
        Assert.Equal([1L, "x"], Assert.IsType<object?[]>(ck.Values["m"]));
        Assert.Equal(true, ck.Values["b"]);
    }
}
