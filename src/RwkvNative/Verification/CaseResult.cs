namespace RwkvNative.Verification;

/// <summary>The outcome of one reference case.</summary>
/// <param name="Fixture">Fixture name (e.g. <c>tiny-bf16</c>).</param>
/// <param name="Case">Case id.</param>
/// <param name="Kind">single, batch, rerank_online, rerank_states or rerank_offline.</param>
/// <param name="MaxError">Largest absolute difference over every compared tensor.</param>
/// <param name="MinCosine">Smallest embedding cosine similarity (1 when the case has no embedding).</param>
/// <param name="Passed">Within tolerance.</param>
/// <param name="Detail">Which tensor had the largest error, or what failed.</param>
public sealed record CaseResult(string Fixture, string Case, string Kind, double MaxError, double MinCosine, bool Passed, string Detail);
