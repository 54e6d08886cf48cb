using RwkvNative.Fuzz;

namespace RwkvNative.Tests.Fuzz;

/// <summary>
/// Every fuzz target replayed in process on its committed seed corpus (fuzz/corpus/TARGET) and on every input a fuzzer
/// ever found (fuzz/regressions/TARGET): each must be accepted or refused with the parser's documented exception.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static string FuzzRoot => Path.Combine(Fixtures.RepositoryRoot, "fuzz");

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_corpus_and_every_regression_input_are_accepted_or_refused_cleanly(string name)
    {
        var target = FuzzTargets.Get(name);
        var files = new[] { "corpus", "regressions" }
            .Select(kind => Path.Combine(FuzzRoot, kind, name))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.NotEmpty(files);
        foreach (var file in files)
            Assert.True(target.TryRun(File.ReadAllBytes(file), out var finding), $"{file}: {finding}");
    }

    [Fact]
    public void Every_target_has_a_small_seed_corpus()
    {
        foreach (var t in FuzzTargets.All)
        {
            var dir = Path.Combine(FuzzRoot, "corpus", t.Name);
            Assert.True(Directory.Exists(dir), $"no seed corpus for {t.Name} in {dir}");
            foreach (var f in Directory.EnumerateFiles(dir))
                Assert.True(new FileInfo(f).Length <= 64 * 1024, $"{f} is over 64 KiB: seeds must stay tiny");
        }
    }

    [Fact]
    public void A_target_reports_an_unexpected_exception_as_a_finding()
    {
        var target = new FuzzTarget("probe", "throws", input => throw new IndexOutOfRangeException("probe"), e => e is FormatException);
        Assert.False(target.TryRun([1, 2, 3], out var finding));
        Assert.IsType<IndexOutOfRangeException>(finding);
        var refusing = target with { IsRefusal = _ => true };
        Assert.True(refusing.TryRun([1], out _));
    }
}
