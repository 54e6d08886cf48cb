namespace RwkvNative.Retrieval;

/// <summary>One nearest neighbour of a query.</summary>
/// <param name="Id">The document id.</param>
/// <param name="ContentHash">Hash of the text its embedding came from.</param>
/// <param name="Similarity">Cosine similarity to the query (dot product of unit vectors, summed in double).</param>
public readonly record struct VectorMatch(string Id, string ContentHash, double Similarity);
