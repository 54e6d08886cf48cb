namespace RwkvNative.Model;

/// <summary>
/// Tensors of a <see cref="ModelSchema"/> listing loaded into one backend's representations: vectors as
/// <typeparamref name="TVector"/>, matrices (linear, LoRA, table) as <typeparamref name="TMatrix"/>. The schema decides
/// each tensor's kind; the backend only says how to store each kind and then picks tensors by key.
/// </summary>
public sealed class SchemaTensors<TVector, TMatrix>
    where TVector : class
    where TMatrix : class
{
    private readonly Dictionary<string, TVector> _vectors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TMatrix> _matrices = new(StringComparer.Ordinal);

    /// <summary>Loads every tensor of <paramref name="specs"/> with the loader for its kind.</summary>
    public static SchemaTensors<TVector, TMatrix> Load(IEnumerable<TensorSpec> specs, Func<TensorSpec, TVector> vector, Func<TensorSpec, TMatrix> matrix)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var loaded = new SchemaTensors<TVector, TMatrix>();
        foreach (var spec in specs)
        {
            if (spec.Kind == TensorKind.Vector) loaded._vectors.Add(spec.Key, vector(spec));
            else loaded._matrices.Add(spec.Key, matrix(spec));
        }
        return loaded;
    }

    /// <summary>The vector <paramref name="key"/>.</summary>
    public TVector Vector(string key) =>
        _vectors.GetValueOrDefault(key) ?? throw new KeyNotFoundException($"the model schema lists no vector '{key}' here");

    /// <summary>The vector <paramref name="key"/>, or null where the schema leaves it out (e.g. v0 of layer 0).</summary>
    public TVector? OptionalVector(string key) => _vectors.GetValueOrDefault(key);

    /// <summary>The matrix <paramref name="key"/>.</summary>
    public TMatrix Matrix(string key) =>
        _matrices.GetValueOrDefault(key) ?? throw new KeyNotFoundException($"the model schema lists no matrix '{key}' here");

    /// <summary>The matrix <paramref name="key"/>, or null where the schema leaves it out (e.g. v1 of layer 0).</summary>
    public TMatrix? OptionalMatrix(string key) => _matrices.GetValueOrDefault(key);
}
