using System.Globalization;
using RwkvNative.Checkpoints;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Api;

/// <summary><see cref="DocumentState.Save"/> files under damage: every changed byte is refused or harmless, never a silently different state.</summary>
public sealed class DocumentStateFileTests(ITestOutputHelper output)
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    [Fact]
    public void A_flipped_byte_anywhere_is_refused_or_changes_nothing()
    {
        var f = Tiny;
        var states = f.Reranker.IndexDocuments(["The EOS token is used to mark the end of a sentence.", "Apples are red."]);
        using var temp = new TempDir();
        var path = temp.File("states.safetensors");
        DocumentState.Save(path, states);
        var good = File.ReadAllBytes(path);
        long header = 8 + BitConverter.ToInt64(good, 0);
        var offsets = new SortedSet<long>();
        for (long o = 0; o < header + 64; o++) offsets.Add(o);           // every byte of the length and JSON header
        for (long o = header; o < good.Length; o += 997) offsets.Add(o); // a sample of the data
        offsets.Add(good.Length - 1);
        int refused = 0, harmless = 0;
        foreach (var o in offsets)
        {
            var bad = (byte[])good.Clone();
            bad[o] ^= 0x10;
            File.WriteAllBytes(path, bad);
            DocumentState[] loaded;
            try { loaded = DocumentState.Load(path, f.Model); }
            catch (CheckpointException e)
            {
                if (o >= header) Assert.Contains("checksum", e.Message);
                refused++;
                continue;
            }
            // Accepted: only possible for bytes that carry no value (JSON whitespace, key spelling the parser ignores).
            Assert.True(o < header, $"a flipped data byte at {o} was accepted");
            Assert.Equal(states.Length, loaded.Length);
            for (int i = 0; i < states.Length; i++)
            {
                Assert.Equal(states[i].State.Shift, loaded[i].State.Shift);
                Assert.Equal(states[i].State.Wkv, loaded[i].State.Wkv);
            }
            harmless++;
        }
        output.WriteLine($"{offsets.Count} flips: {refused} refused, {harmless} accepted with identical states");
        // Cut short anywhere: refused.
        foreach (var cut in new long[] { 0, 7, 8, header - 1, header, header + 1, good.Length / 2, good.Length - 1 })
        {
            File.WriteAllBytes(path, good[..(int)cut]);
            Assert.ThrowsAny<CheckpointException>(() => DocumentState.Load(path, f.Model));
        }
    }

    [Fact]
    public void Files_of_the_first_format_without_a_checksum_are_still_read()
    {
        var f = Tiny;
        var states = f.Reranker.IndexDocuments(["Paris is the capital of France."]);
        int l = f.Model.Config.Layers, c = f.Model.Config.Channels;
        using var temp = new TempDir();
        var path = temp.File("states.safetensors");
        // Exactly what the first format wrote: no "crc32c".
        SafeTensorsWriter.Write(path, [("state0", [1, l, 2, c], states[0].State.Shift), ("state1", [1, l, c / 64, 64, 64], states[0].State.Wkv)],
            new Dictionary<string, string>
            {
                ["format"] = "rwkvnative.document-states.v1",
                ["model_identity"] = f.Model.Identity,
                ["layers"] = l.ToString(CultureInfo.InvariantCulture),
                ["channels"] = c.ToString(CultureInfo.InvariantCulture),
                ["count"] = "1",
            });
        var loaded = DocumentState.Load(path, f.Model);
        Assert.Equal(states[0].State.Wkv, loaded[0].State.Wkv);
    }
}
