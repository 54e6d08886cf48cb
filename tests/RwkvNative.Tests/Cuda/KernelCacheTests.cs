using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Tests.Cuda;

public sealed class KernelCacheTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "rwkv-kcache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static string Name(string source = "src", string header = "hdr", string arch = "--gpu-architecture=sm_90", int cc = 90,
        string nvrtc = "13.0", bool ptx = false) =>
        KernelCache.FileName("wkv7.cu", source, [("common.cuh", header)], [arch, "--std=c++17"], cc, nvrtc, ptx);

    [Fact]
    public void Key_changes_with_every_input_that_changes_the_binary()
    {
        var baseline = Name();
        Assert.Equal(baseline, Name());
        string[] variants = [Name(source: "src2"), Name(header: "hdr2"), Name(arch: "--gpu-architecture=sm_80"), Name(cc: 89), Name(nvrtc: "12.8"), Name(ptx: true)];
        Assert.Equal(variants.Length + 1, variants.Append(baseline).Distinct().Count());
        Assert.StartsWith("wkv7-sm90-", baseline);
        Assert.EndsWith(".cubin", baseline);
        Assert.EndsWith(".ptx", Name(ptx: true));
    }

    [Fact]
    public void Written_images_read_back_and_leave_no_temporary_files()
    {
        var cache = new KernelCache(dir);
        var name = Name();
        Assert.Null(cache.TryRead(name));
        byte[] image = [1, 2, 3, 4, 5, 0];
        Assert.Null(cache.TryWrite(name, image));
        Assert.Equal(image, cache.TryRead(name));
        Assert.Equal([name], Directory.GetFiles(dir).Select(Path.GetFileName));
        // Rewriting (another process compiled the same kernel) replaces it whole.
        Assert.Null(cache.TryWrite(name, [9, 9]));
        Assert.Equal([9, 9], cache.TryRead(name));
        cache.Remove(name);
        Assert.Null(cache.TryRead(name));
    }

    [Fact]
    public void Unwritable_folder_is_reported_not_thrown()
    {
        var file = Path.Combine(Path.GetTempPath(), "rwkv-kcache-file-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, "not a folder");
        try
        {
            var cache = new KernelCache(Path.Combine(file, "sub"));
            var why = cache.TryWrite(Name(), [1]);
            Assert.NotNull(why);
            Assert.Contains("not writable", why);
            Assert.Null(cache.TryRead(Name()));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Disabled_cache_stores_nothing()
    {
        var cache = new KernelCache(null);
        Assert.Equal("kernel cache disabled", cache.TryWrite(Name(), [1]));
        Assert.Null(cache.TryRead(Name()));
    }
}
