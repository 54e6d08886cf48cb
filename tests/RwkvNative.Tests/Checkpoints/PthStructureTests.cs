// Zip and tensor-layout validation of .pth files: truncation, bounds, strides, compression, ZIP64, local headers.
using System.IO.Compression;
using RwkvNative.Checkpoints;

namespace RwkvNative.Tests.Checkpoints;

public class PthStructureTests
{
    private static string WriteSimple(TempDir dir, string name = "m.pth")
    {
        var path = dir.File(name);
        PthWriter.Write(path, StateDictPickle.Of(("a", p => p.Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1]))),
            [("0", PthWriter.Floats(1, 2, 3, 4, 5, 6))]);
        return path;
    }

    [Fact]
    public void Zip_written_by_System_IO_Compression_reads_back()
    {
        using var dir = new TempDir();
        using var ck = Checkpoint.Open(WriteSimple(dir));
        var a = ck.Get("a", 2, 3);
        Assert.Equal(TensorDType.Float32, a.DType);
        Assert.Equal([1f, 2, 3, 4, 5, 6], a.ToFloat32());
        Assert.Equal(PthWriter.Floats(1, 2, 3, 4, 5, 6), a.RawBytes.ToArray());
    }

    [Fact]
    public void Truncated_zip_is_a_format_error_at_every_cut()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(WriteSimple(dir));
        var path = dir.File("cut.pth");
        foreach (int cut in new[] { 1, 3, 4, 21, 100, bytes.Length / 2, bytes.Length - 23, bytes.Length - 22, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void Truncated_real_checkpoint_names_the_missing_directory()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.PathOf("mini-fp16.reranker.pth"));
        var path = dir.File("cut.pth");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("end-of-central-directory", e.Message);
    }

    [Fact]
    public void Corrupted_bytes_never_escape_as_anything_but_checkpoint_exceptions()
    {
        // Deterministic byte flips across a whole small checkpoint (pickle, headers, directory): each must either open
        // or throw a CheckpointException; never another exception type or a crash.
        using var dir = new TempDir();
        var original = File.ReadAllBytes(Fixtures.PathOf("mini-fp16.reranker.pth"));
        var pklEnd = 7500;
        var path = dir.File("fuzz.pth");
        var rng = new Random(1234);
        int opened = 0, refused = 0;
        for (int i = 0; i < 400; i++)
        {
            var b = (byte[])original.Clone();
            // Half the flips hit the pickle, half the zip structure at the end.
            int pos = i % 2 == 0 ? rng.Next(0, pklEnd) : rng.Next(original.Length - 6000, original.Length);
            b[pos] = (byte)rng.Next(256);
            File.WriteAllBytes(path, b);
            try
            {
                using var ck = Checkpoint.Open(path);
                foreach (var t in ck.Tensors.Values) t.ToFloat32();
                opened++;
            }
            catch (CheckpointException)
            {
                refused++;
            }
        }
        Assert.Equal(400, opened + refused);
        Assert.True(refused > 50, $"only {refused} of 400 corruptions were detected");
    }

    [Fact]
    public void Storage_shorter_than_its_tensor_is_refused_naming_the_key()
    {
        using var dir = new TempDir();
        var path = dir.File("short.pth");
        // Honest storage of 4 elements, tensor of 2x3.
        PthWriter.Write(path, StateDictPickle.Of(("blocks.0.w", p => p.Tensor("FloatStorage", "0", 4, 0, [2, 3], [3, 1]))),
            [("0", PthWriter.Floats(1, 2, 3, 4))]);
        var e = Assert.Throws<TensorLayoutException>(() => Checkpoint.Open(path));
        Assert.Equal("blocks.0.w", e.Key);
        Assert.Contains("reads elements [0, 6) but its storage '0' has only 4", e.Message);

        // Storage offset pushing a view past the end.
        PthWriter.Write(path, StateDictPickle.Of(("v", p => p.Tensor("FloatStorage", "0", 4, 2, [3], [1]))), [("0", PthWriter.Floats(1, 2, 3, 4))]);
        Assert.Equal("v", Assert.Throws<TensorLayoutException>(() => Checkpoint.Open(path)).Key);
    }

    [Fact]
    public void Storage_entry_shorter_than_declared_is_refused_naming_key_and_storage()
    {
        using var dir = new TempDir();
        var path = dir.File("lie.pth");
        PthWriter.Write(path, StateDictPickle.Of(("w", p => p.Tensor("BFloat16Storage", "7", 6, 0, [6], [1]))),
            [("7", PthWriter.BFloat16s(1, 2, 3))]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("storage '7' of tensor 'w' declares 6 BFloat16 elements but its entry holds only 6 bytes", e.Message);
    }

    [Fact]
    public void Missing_storage_entry_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.File("missing.pth");
        PthWriter.Write(path, StateDictPickle.Of(("w", p => p.Tensor("FloatStorage", "9", 4, 0, [4], [1]))), [("0", PthWriter.Floats(1, 2, 3, 4))]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("storage '9' of tensor 'w' is missing", e.Message);
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 1, 2 })]   // transposed view
    [InlineData(new long[] { 2, 3 }, new long[] { 6, 1 })]   // row gap
    [InlineData(new long[] { 3 }, new long[] { 2 })]          // every other element
    [InlineData(new long[] { 2, 2 }, new long[] { 0, 1 })]   // broadcast (expand)
    public void Non_dense_strides_are_refused_naming_the_key(long[] size, long[] stride)
    {
        using var dir = new TempDir();
        var path = dir.File("strided.pth");
        PthWriter.Write(path, StateDictPickle.Of(("att.w", p => p.Tensor("HalfStorage", "0", 12, 0, size, stride))), [("0", new byte[24])]);
        var e = Assert.Throws<TensorLayoutException>(() => Checkpoint.Open(path));
        Assert.Equal("att.w", e.Key);
        Assert.Contains("not a dense row-major tensor", e.Message);
    }

    [Fact]
    public void Views_into_a_shared_storage_and_size_one_dims_with_any_stride_are_read_correctly()
    {
        using var dir = new TempDir();
        var path = dir.File("views.pth");
        var pickle = StateDictPickle.Of(
            ("whole", p => p.Tensor("HalfStorage", "0", 8, 0, [2, 4], [4, 1])),
            ("row1", p => p.Tensor("HalfStorage", "0", 8, 4, [1, 4], [99, 1])),
            ("tail", p => p.Tensor("HalfStorage", "0", 8, 5, [1, 1, 3], [3, 3, 1])),
            ("empty", p => p.Tensor("HalfStorage", "0", 8, 0, [0, 4], [4, 1])));
        PthWriter.Write(path, pickle, [("0", PthWriter.Halves(0, 1, 2, 3, 4, 5, 6, 7.5f))]);
        using var ck = Checkpoint.Open(path);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7.5f], ck.Get("whole").ToFloat32());
        Assert.Equal([4f, 5, 6, 7.5f], ck.Get("row1", 1, 4).ToFloat32());
        Assert.Equal([5f, 6, 7.5f], ck.Get("tail", 1, 1, 3).ToFloat32());
        Assert.Empty(ck.Get("empty", 0, 4).ToFloat32());
        Assert.Equal(0, ck.Get("empty").RawBytes.Length);
    }

    [Fact]
    public void Compressed_storage_is_refused_with_a_clear_reason()
    {
        using var dir = new TempDir();
        var path = dir.File("deflate.pth");
        PthWriter.Write(path, StateDictPickle.Of(("w", p => p.Tensor("FloatStorage", "0", 64, 0, [64], [1]))),
            [("0", new byte[256])], storageCompression: CompressionLevel.Optimal);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("'archive/data/0' is compressed (method 8)", e.Message);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Zip64_records_padded_local_headers_and_data_descriptors_are_read(bool zip64, bool descriptor)
    {
        using var dir = new TempDir();
        var path = dir.File("z64.pth");
        var pickle = StateDictPickle.Of(
            ("a", p => p.Tensor("BFloat16Storage", "0", 3, 0, [3], [1])),
            ("b", p => p.Tensor("FloatStorage", "1", 2, 0, [1, 2], [2, 1])),
            ("idx", p => p.EmptyList().Mark().Int(0).Int(2).Appends()));
        var bytes = RawZipWriter.Build([
            ("my-model/data.pkl", pickle),
            ("my-model/data/0", PthWriter.BFloat16s(1.5f, -2, 0.25f)),
            ("my-model/data/1", PthWriter.Floats(3.25f, -7)),
            ("my-model/version", "3\n"u8.ToArray()),
        ], zip64, dataDescriptorFlag: descriptor);
        File.WriteAllBytes(path, bytes);

        // The hand-made archive is a valid zip for System.IO.Compression too.
        using (var check = ZipFile.OpenRead(path))
            Assert.Equal(4, check.Entries.Count);

        using var ck = Checkpoint.Open(path);
        Assert.Equal([1.5f, -2, 0.25f], ck.Get("a", 3).ToFloat32());
        Assert.Equal([3.25f, -7], ck.Get("b", 1, 2).ToFloat32());
        Assert.Equal([0L, 2L], Assert.IsType<long[]>(ck.Values["idx"]));
        // torch aligns storage data to 64 bytes; the mapping is used in place, so the alignment shows in the pointer.
        unsafe
        {
            fixed (byte* p = ck.Get("a").RawBytes) Assert.Equal(0, (long)p % 64);
        }
    }

    [Fact]
    public void Storage_beyond_4_GiB_in_a_zip64_archive_is_read_in_place()
    {
        // A 4.5 GiB storage (a sparse hole on disk) pushes the next entry's local header past 2^32; the small tensor
        // stored after it must be found through the ZIP64 offsets and read from the mapping at its 64-bit offset.
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs a file system with sparse files");
        using var dir = new TempDir();
        var path = dir.File("huge.pth");
        const long padElements = 2_415_919_104; // 4.5 GiB of bf16
        var pickle = StateDictPickle.Of(
            ("pad", p => p.Tensor("BFloat16Storage", "0", padElements, 0, [2, padElements / 2], [padElements / 2, 1])),
            ("tail", p => p.Tensor("FloatStorage", "1", 3, 0, [3], [1])));
        using (var fs = new FileStream(path, FileMode.CreateNew))
        {
            RawZipWriter.WriteTo(fs, [
                ("huge/data.pkl", pickle.Length, pickle),
                ("huge/data/0", padElements * 2, null),
                ("huge/data/1", 12, PthWriter.Floats(0.5f, -1.25f, 1e-3f)),
                ("huge/version", 2, "3\n"u8.ToArray()),
            ], zip64: true);
        }
        Assert.True(new FileInfo(path).Length > 1L << 32);
        using var ck = Checkpoint.Open(path);
        Assert.Equal([0.5f, -1.25f, 1e-3f], ck.Get("tail", 3).ToFloat32());
        var pad = ck.Get("pad", 2, (int)(padElements / 2));
        Assert.Equal(padElements, pad.ElementCount);
        Assert.Contains("more than one span can address", Assert.Throws<CheckpointException>(() => pad.RawBytes.Length).Message);
    }

    [Fact]
    public void Central_directory_pointing_outside_the_file_is_refused()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(WriteSimple(dir));
        // EOCD is the last 22 bytes (no comment): its central-directory offset field is at +16.
        BitConverter.GetBytes((uint)(bytes.Length + 1000)).CopyTo(bytes, bytes.Length - 22 + 16);
        var path = dir.File("badcd.pth");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("central directory", e.Message);
    }

    [Fact]
    public void Local_header_offset_outside_the_archive_is_refused()
    {
        using var dir = new TempDir();
        var bytes = RawZipWriter.Build([("x/data.pkl", StateDictPickle.Of()), ("x/version", "3\n"u8.ToArray())], zip64: true);
        // The ZIP64 extra of the first central entry holds (uncompressed, compressed, local offset): corrupt the offset.
        int cd = (int)BitConverter.ToInt64(bytes, bytes.Length - 22 - 20 - 56 + 48);
        int extra = cd + 46 + "x/data.pkl".Length;
        BitConverter.GetBytes(1L << 40).CopyTo(bytes, extra + 4 + 16);
        var path = dir.File("badlocal.pth");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("local header offset 1099511627776", e.Message);
    }

    [Fact]
    public void Zip_without_data_pkl_is_not_a_checkpoint()
    {
        using var dir = new TempDir();
        var path = dir.File("plain.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt", CompressionLevel.NoCompression).Open().Dispose();
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path));
        Assert.Contains("no '<prefix>/data.pkl'", e.Message);
    }

    [Fact]
    public void Format_is_detected_from_content_not_extension()
    {
        using var dir = new TempDir();
        var pth = WriteSimple(dir, "really-a-pth.safetensors");
        using (var ck = Checkpoint.Open(pth)) Assert.Equal(CheckpointFormat.PyTorchZip, ck.Format);
        var st = dir.File("really-safetensors.pth");
        SafeTensorsWriter.Write(st, [("x", new[] { 2 }, new[] { 1f, 2f })]);
        using (var ck = Checkpoint.Open(st)) Assert.Equal(CheckpointFormat.SafeTensors, ck.Format);

        var legacy = dir.File("legacy.pth");
        File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]);
        Assert.Contains("legacy", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(legacy)).Message);
        var empty = dir.File("empty.pth");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(empty)).Message);
        var text = dir.File("text.pth");
        File.WriteAllText(text, "hello, this is not a model");
        Assert.Contains("neither", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(text)).Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Open(dir.File("absent.pth")));
    }

    [Fact]
    public void Integer_tensors_are_decoded_into_values_and_reported_as_unsupported_tensors()
    {
        // reranker_layer_idx may be saved as a LongTensor rather than a list.
        using var dir = new TempDir();
        var path = dir.File("ints.pth");
        var longs = new byte[24];
        BitConverter.GetBytes(0L).CopyTo(longs, 0);
        BitConverter.GetBytes(2L).CopyTo(longs, 8);
        BitConverter.GetBytes(-7L).CopyTo(longs, 16);
        PthWriter.Write(path, StateDictPickle.Of(
                ("reranker_layer_idx", p => p.Tensor("LongStorage", "0", 3, 0, [2], [1])),
                ("bytes", p => p.Tensor("CharStorage", "1", 4, 1, [3], [1]))),
            [("0", longs), ("1", [1, 0xFF, 0x80, 5])]);
        using var ck = Checkpoint.Open(path);
        Assert.Empty(ck.Tensors);
        Assert.Equal([0L, 2L], Assert.IsType<long[]>(ck.Values["reranker_layer_idx"]));
        Assert.Equal([-1L, -128L, 5L], Assert.IsType<long[]>(ck.Values["bytes"]));
        Assert.Equal("torch.LongStorage", ck.UnsupportedTensors["reranker_layer_idx"]);
        Assert.Equal("reranker_layer_idx", Assert.Throws<UnsupportedDTypeException>(() => ck.Get("reranker_layer_idx")).Key);
    }

    [Theory]
    [InlineData("little", null)]
    [InlineData("big", "byte order 'big'")]
    public void Byteorder_record_must_say_little_endian(string order, string? error)
    {
        using var dir = new TempDir();
        var path = dir.File("bo.pth");
        var bytes = RawZipWriter.Build([
            ("m/data.pkl", StateDictPickle.Of(("w", p => p.Tensor("FloatStorage", "0", 1, 0, [1], [1])))),
            ("m/byteorder", System.Text.Encoding.ASCII.GetBytes(order)),
            ("m/data/0", PthWriter.Floats(2.5f)),
        ], zip64: false);
        File.WriteAllBytes(path, bytes);
        if (error is null)
        {
            using var ck = Checkpoint.Open(path);
            Assert.Equal([2.5f], ck.Get("w").ToFloat32());
        }
        else
        {
            Assert.Contains(error, Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(path)).Message);
        }
    }

    [Fact]
    public void Get_errors_name_the_key_the_file_and_the_shapes()
    {
        using var dir = new TempDir();
        var path = dir.File("g.pth");
        PthWriter.Write(path, StateDictPickle.Of(("a", p => p.Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1])), ("idx", p => p.Int(3))),
            [("0", PthWriter.Floats(1, 2, 3, 4, 5, 6))]);
        using var ck = Checkpoint.Open(path);
        var missing = Assert.Throws<CheckpointException>(() => ck.Get("rwkv.emb.weight"));
        Assert.Contains("'rwkv.emb.weight'", missing.Message);
        Assert.Contains(ck.Path, missing.Message);
        var shape = Assert.Throws<CheckpointException>(() => ck.Get("a", 3, 2));
        Assert.Contains("'a' has shape [2,3], expected [3,2]", shape.Message);
        Assert.Contains("not a tensor", Assert.Throws<CheckpointException>(() => ck.Get("idx")).Message);
        Assert.Equal(3L, ck.Values["idx"]);
    }

    [Fact]
    public void Tensors_are_unusable_after_dispose()
    {
        using var dir = new TempDir();
        var ck = Checkpoint.Open(WriteSimple(dir));
        var a = ck.Get("a");
        ck.Dispose();
        ck.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.ToFloat32());
        Assert.Throws<ObjectDisposedException>(() => a.RawBytes.Length);
        // The file is no longer held open: it can be deleted and replaced.
        File.Delete(ck.Path);
    }

    [Fact]
    public void CopyTo_rejects_a_destination_of_the_wrong_length()
    {
        using var dir = new TempDir();
        using var ck = Checkpoint.Open(WriteSimple(dir));
        Assert.Throws<ArgumentException>(() => ck.Get("a").CopyTo(new float[5]));
        var dst = new float[6];
        ck.Get("a").CopyTo(dst);
        Assert.Equal([1f, 2, 3, 4, 5, 6], dst);
    }
}
