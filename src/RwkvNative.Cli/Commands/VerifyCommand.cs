using System.CommandLine;
using RwkvNative.Benchmarking;
using RwkvNative.Cpu;
using RwkvNative.Verification;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb verify</c>: every reference case on the chosen backend, with its largest error and pass/fail; with
/// <c>--precision int8</c>, then int8 against float32 on the demo (and on random weights of a preset with <c>--random-preset</c>).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var fixtures = new Option<string>("--fixtures") { Description = "folder with *.cases.json (default: the bundled reference cases beside the binary)" };
        var reduced = new Option<bool>("--reduced-precision") { Description = "judge with the reduced-precision tolerance (cosine >= 0.999, logits within 2e-2)" };
        var randomPreset = new Option<string>("--random-preset")
        {
            Description = "with --precision int8: also compare int8 with float32 on random weights of a real shape (tiny, base, large), written to a temporary folder",
        };
        var layers = new Option<int?>("--layers") { Description = "layers of the --random-preset weights (default: the preset's full depth)" };
        var cmd = new Command("verify", "run every reference case and compare with upstream's tensors") { device, fixtures, reduced, randomPreset, layers };
        cmd.SetAction(p => Run(p.GetValue(device)!, p.GetValue(fixtures), p.GetValue(reduced), p.GetValue(randomPreset), p.GetValue(layers)));
        return cmd;
    }

    private static int Run(string device, string? dir, bool reduced, string? randomPreset, int? layers)
    {
        dir ??= DefaultFixtures();
        if (!Directory.Exists(dir)) throw new InputException($"fixtures folder not found: {dir}");
        if (ReferenceFixture.Find(dir).Count == 0) throw new InputException($"no *.cases.json in {dir}");
        var precision = CommonOptions.SelectedPrecision;
        var preset = RandomPreset(randomPreset, layers, precision);
        var tol = Tolerance.For(precision, reduced);
        var options = new ModelOptions { Device = device, Precision = precision, Log = m => Console.Error.WriteLine(m) };
        int passed = 0, failed = 0;
        Console.WriteLine(Header("fixture"));
        foreach (var r in ReferenceVerifier.Run(dir, options, tol))
        {
            if (r.Passed) passed++; else failed++;
            Console.WriteLine(Row(r, details: false));
        }
        string judged = precision == Precision.Int8 ? "int8: cosine >= 0.999, logits within 0.05, same document ranking"
            : reduced ? "reduced precision" : "float32, 1e-4 absolute";
        Console.WriteLine($"{passed} passed, {failed} failed (precision {PrecisionOption.Name(precision)}; tolerance: {judged})");
        if (precision != Precision.Int8) return failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        return failed == 0 & AgainstFloat32(preset, options, tol) ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>
    /// The int8 section: the demo's query and documents on the bundled model, then the random preset, each int8 against
    /// float32 of the same weights. Passing rows show their rankings and the reference's smallest gap between neighbours.
    /// </summary>
    private static bool AgainstFloat32(ModelPreset? preset, ModelOptions options, Tolerance tol)
    {
        Console.WriteLine();
        Console.WriteLine($"int8 ({Gemm.Int8KernelName} kernels) against float32 of the same weights (embeddings by cosine; similarities and reranker logits within 0.05, same document ranking):");
        Console.WriteLine(Header("model"));
        var rows = new List<CaseResult>();
        if (BundledData.Exists)
            rows.AddRange(Print(PrecisionComparison.Run("demo", BundledData.PathOf(BundledData.DemoModelFile), BundledData.PathOf(BundledData.DemoRerankerFile),
                DemoExample.Query, DemoExample.Documents, options, tol)));
        else
            Console.WriteLine($"demo: not checked, the bundled model is not in {BundledData.Directory}");
        if (preset != null)
        {
            Console.Error.WriteLine($"writing random {preset.Name} weights (L={preset.Model.Layers}, C={preset.Model.Channels}) to a temporary folder");
            rows.AddRange(Print(PrecisionComparison.RandomPreset(preset, options, tol)));
        }
        int failed = rows.Count(r => !r.Passed);
        Console.WriteLine($"{rows.Count - failed} passed, {failed} failed (int8 against float32)");
        return failed == 0;
    }

    private static IReadOnlyList<CaseResult> Print(IReadOnlyList<CaseResult> rows)
    {
        foreach (var r in rows) Console.WriteLine(Row(r, details: true));
        return rows;
    }

    private static string Header(string first) => $"{first,-12} {"case",-22} {"kind",-15} {"max error",10} {"min cos",9}  result";

    private static string Row(CaseResult r, bool details) =>
        $"{r.Fixture,-12} {r.Case,-22} {r.Kind,-15} {r.MaxError,10:E2} {r.MinCosine,9:F6}  {(r.Passed ? details ? $"pass ({r.Detail})" : "pass" : "FAIL: " + r.Detail)}";

    /// <summary>The <c>--random-preset</c> shape, cut to <c>--layers</c>; null without the option.</summary>
    private static ModelPreset? RandomPreset(string? name, int? layers, Precision precision)
    {
        if (name == null)
        {
            if (layers != null) throw new InputException("--layers sets the depth of --random-preset; give --random-preset too");
            return null;
        }
        if (precision != Precision.Int8) throw new InputException("--random-preset compares int8 with float32: add --precision int8");
        ModelPreset preset;
        try { preset = ModelPreset.Get(name); }
        catch (ArgumentException e) { throw new InputException($"--random-preset: {e.Message}"); }
        if (layers is not { } n || n == preset.Model.Layers) return preset;
        if (n < 1) throw new InputException($"--layers must be at least 1 (got {n})");
        return preset with { Name = $"{preset.Name}-l{n}", Model = preset.Model with { Layers = n }, Reranker = preset.Reranker with { Layers = n } };
    }

    private static string DefaultFixtures() =>
        BundledData.Exists ? BundledData.Directory : throw new InputException($"no bundled reference cases in {BundledData.Directory}; pass --fixtures DIR");
}
