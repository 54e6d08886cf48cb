using System.CommandLine;
using System.Text.Json;
using RwkvNative.Store;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb store check STORE</c>: reads every record of a document-state store (both checksums) and reports what is
/// damaged, changing nothing; exit 0 when clean, 1 when not. <c>rwkv-emb store repair STORE</c>: rewrites the log with
/// only what can be read (a new file renamed over the old one) and names the documents to index again. Both print one
/// JSON object on standard output and a summary on standard error.
/// </summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var cmd = new Command("store", "check or repair a document-state store made by 'rwkv-emb index'");
        cmd.Subcommands.Add(Verb("check", "read every record and report damage; changes nothing (exit 1 when damage is found)", repair: false));
        cmd.Subcommands.Add(Verb("repair", "rewrite the log with only its readable records (a new file swapped in atomically)", repair: true));
        return cmd;
    }

    private static Command Verb(string name, string description, bool repair)
    {
        var store = new Argument<string>("store") { Description = "the store folder" };
        var cmd = new Command(name, description) { store };
        cmd.SetAction(p => Run(p.GetValue(store)!, repair));
        return cmd;
    }

    private static int Run(string storePath, bool repair)
    {
        var report = repair ? DocumentStateStore.Repair(storePath) : DocumentStateStore.Check(storePath);
        using var io = new JsonLines(Stream.Null, Console.OpenStandardOutput());
        io.WriteObject(w => Write(w, report, repair));
        io.Flush();
        string verb = repair ? "repair" : "check";
        Console.Error.WriteLine($"store {verb}: {report.Log} ({report.Store}): {report.Documents} documents, {report.DamagedDocuments.Count} damaged, "
            + $"{report.DamagedRegions.Count} damaged regions ({report.DamagedRegions.Sum(r => r.Length)} bytes), {report.ForeignRecords.Count} foreign records, "
            + $"{report.SupersededRecords} superseded records, tail: {Name(report.Tail)} ({report.TailRegion.Length} bytes)");
        foreach (var d in report.DamagedDocuments)
            Console.Error.WriteLine($"store {verb}: damaged: {d.Problem}");
        if (repair)
        {
            if (report.DamagedDocuments.Count > 0 || report.DamagedRegions.Count > 0 || report.Tail == StateLogTail.Garbage)
                Console.Error.WriteLine($"store repair: dropped what could not be read; {report.DamagedDocuments.Count} named documents (and any in the damaged regions) must be indexed again: re-run 'rwkv-emb index' on the same input");
            return ExitCodes.Ok;
        }
        if (!report.IsClean) throw new StoreDamageException($"{report.Log}: the store is damaged; 'rwkv-emb store repair {storePath}' rewrites it without the damage");
        return ExitCodes.Ok;
    }

    private static void Write(Utf8JsonWriter w, StoreCheckReport report, bool repaired)
    {
        w.WriteString("log", report.Log);
        w.WriteString("store", report.Store);
        w.WriteNumber("documents", report.Documents);
        w.WriteNumber("superseded_records", report.SupersededRecords);
        w.WriteNumber("foreign_records", report.ForeignRecords.Count);
        JsonLines.WriteObjects(w, "damaged_regions", report.DamagedRegions, static (w, r) =>
        {
            w.WriteNumber("offset", r.Offset);
            w.WriteNumber("length", r.Length);
        });
        w.WriteString("tail", Name(report.Tail));
        w.WriteNumber("tail_bytes", report.TailRegion.Length);
        JsonLines.WriteObjects(w, "damaged_documents", report.DamagedDocuments, static (w, d) =>
        {
            w.WriteString("id", d.Id);
            w.WriteNumber("index", d.Index);
            w.WriteString("problem", d.Problem);
        });
        w.WriteBoolean("clean", report.IsClean);
        if (repaired) w.WriteBoolean("repaired", true);
    }

    private static string Name(StateLogTail tail) => tail.ToString().ToLowerInvariant();
}
