using System.CommandLine;
using RwkvNative.Verification;

namespace RwkvNative.Cli.Commands;

/// <summary><c>rwkv-emb verify</c>: every reference case on the chosen backend, with its largest error and pass/fail.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var fixtures = new Option<string>("--fixtures") { Description = "folder with *.cases.json (default: the bundled reference cases beside the binary)" };
        var reduced = new Option<bool>("--reduced-precision") { Description = "judge with the reduced-precision tolerance (cosine >= 0.999, logits within 2e-2)" };
        var cmd = new Command("verify", "run every reference case and compare with upstream's tensors") { device, fixtures, reduced };
        cmd.SetAction(p => Run(p.GetValue(device)!, p.GetValue(fixtures), p.GetValue(reduced)));
        return cmd;
    }

    private static int Run(string device, string? dir, bool reduced)
    {
        dir ??= DefaultFixtures();
        if (!Directory.Exists(dir)) throw new InputException($"fixtures folder not found: {dir}");
        if (ReferenceFixture.Find(dir).Count == 0) throw new InputException($"no *.cases.json in {dir}");
        var precision = CommonOptions.SelectedPrecision;
        var tol = Tolerance.For(precision, reduced);
        var options = new ModelOptions { Device = device, Precision = precision, Log = m => Console.Error.WriteLine(m) };
        int passed = 0, failed = 0;
        Console.WriteLine($"{"fixture",-12} {"case",-22} {"kind",-15} {"max error",10} {"min cos",9}  result");
        foreach (var r in ReferenceVerifier.Run(dir, options, tol))
        {
            if (r.Passed) passed++; else failed++;
            Console.WriteLine($"{r.Fixture,-12} {r.Case,-22} {r.Kind,-15} {r.MaxError,10:E2} {r.MinCosine,9:F6}  {(r.Passed ? "pass" : "FAIL: " + r.Detail)}");
        }
        string judged = precision == Precision.Int8 ? "int8: cosine >= 0.999, logits within 0.05, same document ranking"
            : reduced ? "reduced precision" : "float32, 1e-4 absolute";
        Console.WriteLine($"{passed} passed, {failed} failed (precision {PrecisionOption.Name(precision)}; tolerance: {judged})");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static string DefaultFixtures() =>
        BundledData.Exists ? BundledData.Directory : throw new InputException($"no bundled reference cases in {BundledData.Directory}; pass --fixtures DIR");
}
