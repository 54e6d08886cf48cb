namespace RwkvNative.Fuzz;

internal static class FuzzProgram
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine("usage: rwkv-fuzz TARGET [--libfuzzer]   (under afl-fuzz, or libFuzzer with --libfuzzer)");
            Console.Error.WriteLine("       rwkv-fuzz replay TARGET FILE|DIR...   (runs each file once, in process; exit 1 on a finding)");
            foreach (var t in FuzzTargets.All) Console.Error.WriteLine($"  {t.Name,-12} {t.Description}");
            return 2;
        }
        if (args[0] == "seeds" && args.Length == 2) return SeedWriter.Write(args[1]);
        if (args[0] == "replay")
        {
            if (args.Length < 3) { Console.Error.WriteLine("error: replay needs a TARGET and files or folders"); return 2; }
            var target = FuzzTargets.Get(args[1]);
            int findings = 0, runs = 0;
            foreach (var file in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
            {
                runs++;
                if (!target.TryRun(File.ReadAllBytes(file), out var e))
                {
                    findings++;
                    Console.Error.WriteLine($"FINDING {target.Name} {file}: {e}");
                }
            }
            Console.Error.WriteLine($"{target.Name}: {runs} inputs, {findings} findings");
            return findings == 0 ? 0 : 1;
        }
        var t2 = FuzzTargets.Get(args[0]);
        // A refusal is the parser working; anything else escapes and is reported by the fuzzer as a crash.
        void One(ReadOnlySpan<byte> input)
        {
            try { t2.Run(input); }
            catch (Exception e) when (t2.IsRefusal(e)) { }
        }
        if (args.Contains("--libfuzzer")) SharpFuzz.Fuzzer.LibFuzzer.Run(One);
        else SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            One(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        });
        return 0;
    }
}
