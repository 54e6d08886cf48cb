using System.Globalization;
using System.Text;

namespace RwkvNative.Server;

/// <summary>A cumulative histogram with fixed bucket upper bounds.</summary>
internal sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private readonly object _lock = new();
    private double _sum;
    private long _count;

    public void Observe(double value)
    {
        int i = 0;
        while (i < bounds.Length && value > bounds[i]) i++;
        lock (_lock)
        {
            _counts[i]++;
            _sum += value;
            _count++;
        }
    }

    public void Write(StringBuilder sb, string name, string labels)
    {
        long[] counts;
        double sum;
        long count;
        lock (_lock)
        {
            counts = (long[])_counts.Clone();
            sum = _sum;
            count = _count;
        }
        string sep = labels.Length > 0 ? labels + "," : "";
        long cumulative = 0;
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"").Append(Num(bounds[i])).Append("\"} ").Append(cumulative).Append('\n');
        }
        sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"+Inf\"} ").Append(count).Append('\n');
        string braces = labels.Length > 0 ? "{" + labels + "}" : "";
        sb.Append(name).Append("_sum").Append(braces).Append(' ').Append(Num(sum)).Append('\n');
        sb.Append(name).Append("_count").Append(braces).Append(' ').Append(count).Append('\n');
    }

    internal static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
