// safetensors reading (bounds, overlaps, dtypes, metadata) and atomic writing.
using System.Buffers.Binary;
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class SafeTensorsTests
{
    private static T OpenFails<T>(TempDir dir, byte[] bytes) where T : Exception
    {
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<T>(() => Checkpoint.Open(path));
    }

    /// <summary>A file of <paramref name="header"/> and <paramref name="data"/> fails to open with a <typeparamref name="T"/> whose message holds <paramref name="message"/>.</summary>
    private static T Refused<T>(TempDir dir, string header, byte[] data, string message, ulong? headerLengthOverride = null) where T : Exception
    {
        var e = OpenFails<T>(dir, RawSafeTensors.Build(header, data, headerLengthOverride));
        Assert.Contains(message, e.Message);
        return e;
    }

    [Fact]
    public void Float32_round_trip_keeps_names_shapes_values_order_and_metadata()
    {
        using var dir = new TempDir();
        var path = dir.File("rt.safetensors");
        var a = Enumerable.Range(0, 24).Select(i => i * 0.5f - 3).ToArray();
        var b = new[] { float.MaxValue, float.Epsilon, -0f, float.NegativeInfinity };
        SafeTensorsWriter.Write(path, [("layer.a", new[] { 2, 3, 4 }, a), ("b", new[] { 4 }, b), ("scalar", Array.Empty<int>(), new[] { 42f })],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode & <tags>" });
        using var ck = Checkpoint.Open(path);
        Assert.Equal(["layer.a", "b", "scalar"], ck.Tensors.Keys);
        Assert.Equal(a, ck.Get("layer.a", 2, 3, 4).ToFloat32());
        Assert.Equal(b, ck.Get("b", 4).ToFloat32());
        Assert.Equal([42f], ck.Get("scalar").ToFloat32());
        Assert.Empty(ck.Get("scalar").Shape);
        Assert.Equal("ünïcode & <tags>", ck.Metadata["note"]);
        Assert.Equal("pt", ck.Metadata["format"]);
        Assert.Empty(ck.Values);
        // Header padded to 8 bytes, so data starts aligned.
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
    }

    [Fact]
    public void Half_round_trip_stores_F16_and_reads_every_bit_pattern_exactly()
    {
        using var dir = new TempDir();
        var path = dir.File("half.safetensors");
        var all = new Half[65536];
        for (int i = 0; i < all.Length; i++) all[i] = BitConverter.UInt16BitsToHalf((ushort)i);
        SafeTensorsWriter.Write(path, [("h", new[] { 256, 256 }, all)]);
        using var ck = Checkpoint.Open(path);
        var t = ck.Get("h", 256, 256);
        Assert.Equal(TensorDType.Float16, t.DType);
        Assert.Equal(2 * 65536, t.RawBytes.Length);
        var f = t.ToFloat32();
        for (int i = 0; i < all.Length; i++)
        {
            float expected = (float)all[i];
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(f[i]), $"pattern 0x{i:x4}");
            else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(f[i]), $"pattern 0x{i:x4}: {f[i]} vs {expected}");
        }
    }

    [Fact]
    public void Bf16_tensor_written_by_hand_is_read()
    {
        using var dir = new TempDir();
        var path = dir.File("bf16.safetensors");
        var data = PthWriter.BFloat16s(1, -2.5f, 3e38f, 0);
        File.WriteAllBytes(path, RawSafeTensors.Build("""{"w":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}""", data));
        using var ck = Checkpoint.Open(path);
        var expected = new[] { 1f, -2.5f, BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(3e38f) & 0xFFFF0000), 0f };
        Assert.Equal(expected, ck.Get("w", 2, 2).ToFloat32());
    }

    [Fact]
    public void Writing_replaces_the_target_atomically_and_leaves_no_temp_files()
    {
        using var dir = new TempDir();
        var path = dir.File("model.safetensors");
        SafeTensorsWriter.Write(path, [("x", new[] { 1 }, new[] { 1f })]);
        SafeTensorsWriter.Write(path, [("y", new[] { 2 }, new[] { 2f, 3f })]);
        using (var ck = Checkpoint.Open(path)) Assert.Equal(["y"], ck.Tensors.Keys);

        // A bad request fails before the target is touched, and cleans up.
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [("z", new[] { 3 }, new[] { 1f })]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [("d", new[] { 1 }, new[] { 1f }), ("d", new[] { 1 }, new[] { 1f })]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [("__metadata__", new[] { 1 }, new[] { 1f })]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Header_length_beyond_the_file_is_refused()
    {
        using var dir = new TempDir();
        Refused<CheckpointFormatException>(dir, "{}", [], "header length 1099511627776 runs past the end of the file", headerLengthOverride: 1UL << 40);
        Refused<CheckpointFormatException>(dir, "{", [], "runs past the end", headerLengthOverride: ulong.MaxValue);
    }

    [Fact]
    public void Header_that_is_not_json_is_refused()
    {
        using var dir = new TempDir();
        Refused<CheckpointFormatException>(dir, "{\"a\": [1, 2", [], "not valid JSON");
        Refused<CheckpointFormatException>(dir, """{"a":{"dtype":"F32","shape":[1]}}""", new byte[4], "tensor 'a': missing 'data_offsets'");
        Refused<CheckpointFormatException>(dir,
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4], "'a' appears twice");
        Refused<CheckpointFormatException>(dir, """{"__metadata__":{"n":1}}""", [], "__metadata__ entry 'n' is not a string");
    }

    [Fact]
    public void Offsets_outside_the_data_region_are_refused_naming_the_key()
    {
        using var dir = new TempDir();
        var e = Refused<TensorLayoutException>(dir, """{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", new byte[16],
            "data_offsets [8, 24) lie outside the data region of 16 bytes");
        Assert.Equal("w", e.Key);
        var reversed = OpenFails<TensorLayoutException>(dir, RawSafeTensors.Build("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", new byte[16]));
        Assert.Equal("w", reversed.Key);
        Refused<CheckpointFormatException>(dir, """{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", new byte[16], "non-negative");
    }

    [Fact]
    public void Data_shorter_than_the_shape_needs_is_refused()
    {
        using var dir = new TempDir();
        var e = Refused<TensorLayoutException>(dir, """{"w":{"dtype":"F16","shape":[3,3],"data_offsets":[0,16]}}""", new byte[16],
            "hold 16 bytes but shape [3,3] of F16 needs 18");
        Assert.Equal("w", e.Key);
        Refused<TensorLayoutException>(dir, """{"w":{"dtype":"F16","shape":[-1],"data_offsets":[0,0]}}""", [], "invalid dimension -1");
    }

    [Fact]
    public void Overlapping_tensors_are_refused_naming_both()
    {
        using var dir = new TempDir();
        var e = Refused<TensorLayoutException>(dir,
            """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[16], "'b'");
        Assert.Contains("overlaps tensor 'a'", e.Message);
    }

    [Fact]
    public void Unsupported_dtype_is_listed_and_reported_with_its_key()
    {
        using var dir = new TempDir();
        var path = dir.File("i64.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Build(
            """{"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 63]));
        using var ck = Checkpoint.Open(path);
        Assert.Equal([1f], ck.Get("w").ToFloat32());
        Assert.Equal("I64", ck.UnsupportedTensors["steps"]);
        Assert.Equal([1L], Assert.IsType<long[]>(ck.Values["steps"]));
        var e = Assert.Throws<UnsupportedDTypeException>(() => ck.Get("steps"));
        Assert.Equal("steps", e.Key);
        Assert.Equal("I64", e.DType);
        Assert.Contains("'steps' has unsupported dtype I64", e.Message);
        // A wrong size is caught for other dtypes too.
        var bad = OpenFails<TensorLayoutException>(dir, RawSafeTensors.Build("""{"s":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Equal("s", bad.Key);
    }

    [Fact]
    public void Truncated_safetensors_is_refused_at_every_cut()
    {
        using var dir = new TempDir();
        var full = dir.File("full.safetensors");
        SafeTensorsWriter.Write(full, [("a", new[] { 8 }, new float[8]), ("b", new[] { 4 }, new float[4])]);
        var bytes = File.ReadAllBytes(full);
        foreach (int cut in new[] { 1, 7, 8, 20, bytes.Length - 49, bytes.Length - 1 })
        {
            var e = Assert.ThrowsAny<CheckpointException>(() =>
            {
                var path = dir.File("cut.safetensors");
                File.WriteAllBytes(path, bytes[..cut]);
                Checkpoint.Open(path).Dispose();
            });
            Assert.True(e is CheckpointFormatException or TensorLayoutException, $"cut {cut}: {e.GetType().Name}: {e.Message}");
        }
    }
}
