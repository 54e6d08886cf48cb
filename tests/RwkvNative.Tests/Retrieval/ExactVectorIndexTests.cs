using RwkvNative.Checkpoints;
using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Store;

namespace RwkvNative.Tests.Retrieval;

public sealed class ExactVectorIndexTests : VectorIndexSuite
{
    protected override Task<IVectorIndex> CreateAsync() => Task.FromResult<IVectorIndex>(new ExactVectorIndex(Identity, Dims));

    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    [Fact]
    public void File_round_trips_ids_hashes_and_vectors_exactly()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "vectors.safetensors");
        var index = ExactVectorIndex.Open(path, f.Model);
        Assert.Equal(0, index.Count);
        var rng = new Random(7);
        var records = new[] { "doc-1", "Äpfel & Birnen", "🦀 \"rust\"" }
            .Select((id, i) => new VectorRecord(id, ContentHash.Of(id).ToString(), RandomVector(rng, f.Model.Config.Channels))).ToList();
        index.Upsert(records);
        index.Save(path);
        var back = ExactVectorIndex.Open(path, f.Model);
        Assert.Equal(3, back.Count);
        var q = RandomVector(rng, f.Model.Config.Channels);
        Assert.Equal(index.Search(q, 3), back.Search(q, 3));
        Assert.Equal(ContentHash.Of("Äpfel & Birnen").ToString(), back.HashOf("Äpfel & Birnen"));
        Assert.Null(back.HashOf("missing"));
        // An empty index saves and loads too.
        var emptyPath = Path.Combine(dir.Path, "empty.safetensors");
        new ExactVectorIndex(f.Model).Save(emptyPath);
        Assert.Equal(0, ExactVectorIndex.Open(emptyPath, f.Model).Count);
    }

    [Fact]
    public void A_file_of_another_model_or_damaged_is_refused_with_the_reason()
    {
        var tiny = Tiny;
        var mini = LoadedFixtures.Get("mini-fp16", "cpu");
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "vectors.safetensors");
        var index = new ExactVectorIndex(tiny.Model);
        index.Upsert([new VectorRecord("a", "h", RandomVector(new Random(8), tiny.Model.Config.Channels))]);
        index.Save(path);
        var e = Assert.Throws<CheckpointException>(() => ExactVectorIndex.Open(path, mini.Model));
        Assert.Contains("another model", e.Message);

        // A header whose ids are not an array of strings.
        var damaged = Path.Combine(dir.Path, "damaged.safetensors");
        SafeTensorsWriter.Write(damaged, [("embeddings", [1, tiny.Model.Config.Channels], new float[tiny.Model.Config.Channels])],
            new Dictionary<string, string> { ["format"] = ExactVectorIndex.FormatName, ["model_identity"] = tiny.Model.Identity, ["ids"] = "[1]", ["hashes"] = "[\"h\"]" });
        e = Assert.Throws<CheckpointException>(() => ExactVectorIndex.Open(damaged, tiny.Model));
        Assert.Contains("'ids'", e.Message);

        // Truncated bytes.
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(damaged, bytes[..(bytes.Length - 9)]);
        Assert.ThrowsAny<CheckpointException>(() => ExactVectorIndex.Open(damaged, tiny.Model));

        // Another file type altogether.
        e = Assert.Throws<CheckpointException>(() => ExactVectorIndex.Open(Fixtures.PathOf("tiny-bf16.ref.safetensors"), tiny.Model));
        Assert.Contains("not a vector index", e.Message);
    }
}
