namespace RwkvNative.Tests;

/// <summary>The one tolerance assertion of the numeric tests.</summary>
internal static class Approx
{
    /// <summary>
    /// max |expected - actual| ≤ tol, or with <paramref name="scaled"/> ≤ tol · max(1, max |expected|) (absolute for O(1)
    /// tensors, relative for larger ones such as wkv states). The message names <paramref name="what"/>, the worst
    /// difference and where it is.
    /// </summary>
    public static void AssertClose(float[] expected, float[] actual, double tol, string what = "values", bool scaled = false)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1, worst = 0;
        int at = -1;
        if (scaled) foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - (double)actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        Assert.True(worst <= tol * scale, $"{what}: max difference {worst:E3} at {at} exceeds {tol:E1}" + (scaled ? $" x {scale:G4}" : ""));
    }
}
