using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Verification;

/// <summary>
/// One fixture of reference tensors computed by upstream (<c>NAME.cases.json</c> + <c>NAME.ref.safetensors</c> + the checkpoints
/// beside them), runnable against any backend. Used by the test suite and by <c>rwkv-emb verify</c>.
/// </summary>
public sealed class ReferenceFixture : IDisposable
{
    private readonly JsonDocument _doc;
    private readonly Checkpoint _tensors;

    private ReferenceFixture(string casesPath)
    {
        CasesPath = Path.GetFullPath(casesPath);
        Directory = Path.GetDirectoryName(CasesPath)!;
        Name = Path.GetFileName(CasesPath).Replace(".cases.json", "", StringComparison.Ordinal);
        _doc = JsonDocument.Parse(File.ReadAllBytes(CasesPath));
        var root = _doc.RootElement;
        ModelPath = Path.Combine(Directory, root.GetProperty("model").GetString()!);
        RerankerPath = Path.Combine(Directory, root.GetProperty("reranker").GetString()!);
        _tensors = Checkpoint.Open(Path.Combine(Directory, root.GetProperty("tensors").GetString()!));
        var ids = new List<string>();
        foreach (var c in root.GetProperty("cases").EnumerateArray()) ids.Add(c.GetProperty("id").GetString()!);
        CaseIds = ids;
    }

    /// <summary>Opens <c>NAME.cases.json</c>.</summary>
    public static ReferenceFixture Open(string casesPath) => new(casesPath);

    /// <summary>Every <c>*.cases.json</c> in <paramref name="directory"/>, sorted by name.</summary>
    public static IReadOnlyList<string> Find(string directory) =>
        System.IO.Directory.GetFiles(directory, "*.cases.json").Order(StringComparer.Ordinal).ToArray();

    /// <summary>Fixture name.</summary>
    public string Name { get; }
    /// <summary>Path of the cases file.</summary>
    public string CasesPath { get; }
    /// <summary>Folder of the fixture.</summary>
    public string Directory { get; }
    /// <summary>Embedding checkpoint.</summary>
    public string ModelPath { get; }
    /// <summary>Reranker checkpoint.</summary>
    public string RerankerPath { get; }
    /// <summary>Case ids in file order.</summary>
    public IReadOnlyList<string> CaseIds { get; }

    /// <summary>The JSON of case <paramref name="id"/>.</summary>
    public JsonElement Case(string id)
    {
        foreach (var c in _doc.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("id").GetString() == id) return c;
        throw new KeyNotFoundException($"{Name}: no case '{id}'");
    }

    /// <summary>A stored reference tensor as float32.</summary>
    public float[] Tensor(string name) => _tensors.Get(name).ToFloat32();

    /// <summary>Token sequences of a JSON array of arrays.</summary>
    public static int[][] Sequences(JsonElement e)
    {
        var list = new List<int[]>();
        foreach (var s in e.EnumerateArray())
        {
            var seq = new int[s.GetArrayLength()];
            int i = 0;
            foreach (var t in s.EnumerateArray()) seq[i++] = t.GetInt32();
            list.Add(seq);
        }
        return list.ToArray();
    }

    /// <summary>Runs case <paramref name="id"/> on <paramref name="model"/> / <paramref name="reranker"/> and compares.</summary>
    public CaseResult Run(string id, EmbeddingModel model, Reranker reranker, Tolerance tolerance)
    {
        var c = Case(id);
        string kind = c.GetProperty("kind").GetString()!;
        var cmp = new Comparison(tolerance);
        try
        {
            switch (kind)
            {
                case "single":
                case "batch":
                {
                    var seqs = Sequences(c.GetProperty("tokens"));
                    var task = c.TryGetProperty("task", out var t) ? EmbeddingTasks.Parse(t.GetString()!) : EmbeddingTask.Retrieval;
                    ModelState? start = null;
                    if (c.TryGetProperty("state_in", out var si) && si.ValueKind == JsonValueKind.Array)
                    {
                        start = new ModelState(model.Config, seqs.Length);
                        Fill(Tensor(si[0].GetString()!), start.Shift, "state_in0");
                        Fill(Tensor(si[1].GetString()!), start.Wkv, "state_in1");
                    }
                    var r = model.Forward(seqs, start, task);
                    var emb = new float[seqs.Length * model.Config.Channels];
                    for (int b = 0; b < seqs.Length; b++) r.GetEmbedding(b).CopyTo(emb, b * model.Config.Channels);
                    cmp.Embeddings("embedding", emb, Tensor(c.GetProperty("embedding").GetString()!), model.Config.Channels);
                    cmp.State("state0", r.State.Shift, Tensor(c.GetProperty("state0").GetString()!));
                    cmp.State("state1", r.State.Wkv, Tensor(c.GetProperty("state1").GetString()!));
                    break;
                }
                case "rerank_online":
                {
                    var seqs = Sequences(c.GetProperty("tokens"));
                    var r = model.Forward(seqs);
                    cmp.State("state1", r.State.Wkv, Tensor(c.GetProperty("state1").GetString()!));
                    var logits = reranker.LogitsOf(r.State);
                    cmp.Values("logits", logits, Tensor(c.GetProperty("logits").GetString()!));
                    cmp.Ranking("logits", logits, Tensor(c.GetProperty("logits").GetString()!));
                    cmp.Values("scores", Array.ConvertAll(logits, EmbeddingMath.Sigmoid), Tensor(c.GetProperty("scores").GetString()!));
                    break;
                }
                case "rerank_states":
                {
                    var wkv = Tensor(c.GetProperty("state1").GetString()!);
                    int per = model.Config.Layers * model.Config.Channels * ModelConfig.HeadSize;
                    if (wkv.Length % per != 0) throw new InvalidDataException($"state1 of {wkv.Length} floats does not fit [L,B,H,64,64]");
                    var state = new ModelState(model.Config, wkv.Length / per);
                    wkv.CopyTo(state.Wkv, 0);
                    var stateLogits = reranker.LogitsOf(state);
                    cmp.Values("logits", stateLogits, Tensor(c.GetProperty("logits").GetString()!));
                    cmp.Ranking("logits", stateLogits, Tensor(c.GetProperty("logits").GetString()!));
                    break;
                }
                case "rerank_offline":
                {
                    var docs = Sequences(c.GetProperty("doc_tokens"));
                    var query = Sequences(JsonDocument.Parse("[" + c.GetProperty("query_tokens").GetRawText() + "]").RootElement)[0];
                    var docRun = model.Forward(docs);
                    var s0 = c.GetProperty("doc_state0");
                    var s1 = c.GetProperty("doc_state1");
                    for (int i = 0; i < docs.Length; i++)
                    {
                        var one = docRun.State.Slice(i);
                        cmp.State($"doc{i}_state0", one.Shift, Tensor(s0[i].GetString()!));
                        cmp.State($"doc{i}_state1", one.Wkv, Tensor(s1[i].GetString()!));
                    }
                    var queries = new int[docs.Length][];
                    Array.Fill(queries, query);
                    var q = model.Forward(queries, docRun.State);
                    cmp.State("state1", q.State.Wkv, Tensor(c.GetProperty("state1").GetString()!));
                    var logits = reranker.LogitsOf(q.State);
                    cmp.Values("logits", logits, Tensor(c.GetProperty("logits").GetString()!));
                    cmp.Ranking("logits", logits, Tensor(c.GetProperty("logits").GetString()!));
                    cmp.Values("scores", Array.ConvertAll(logits, EmbeddingMath.Sigmoid), Tensor(c.GetProperty("scores").GetString()!));
                    break;
                }
                default:
                    return new CaseResult(Name, id, kind, double.NaN, double.NaN, false, $"unknown case kind '{kind}'");
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or CheckpointException or KeyNotFoundException)
        {
            return new CaseResult(Name, id, kind, double.NaN, double.NaN, false, e.Message);
        }
        return new CaseResult(Name, id, kind, cmp.MaxError, cmp.MinCosine, cmp.Passed, cmp.Detail);
    }

    private static void Fill(float[] src, float[] dst, string what)
    {
        if (src.Length != dst.Length) throw new InvalidDataException($"{what}: {src.Length} floats, the model's state needs {dst.Length}");
        src.CopyTo(dst, 0);
    }

    /// <summary>Closes the reference tensors.</summary>
    public void Dispose()
    {
        _tensors.Dispose();
        _doc.Dispose();
    }
}
