namespace RwkvNative.Model;

/// <summary>One tensor the model reads: its checkpoint key, how it is used and its shape.</summary>
/// <param name="Key">Checkpoint key, e.g. <c>rwkv.blocks.3.att.w1</c> (block keys relative to the block prefix in <see cref="ModelSchema.Block"/>).</param>
/// <param name="Kind">How backends store it.</param>
/// <param name="Shape">The shape the checkpoint must hold.</param>
public sealed record TensorSpec(string Key, TensorKind Kind, int[] Shape)
{
    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int Count
    {
        get
        {
            int n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }
}
