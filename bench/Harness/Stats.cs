namespace JupyterKernels.Bench.Harness;

/// <summary>Order statistics over samples (seconds or any unit).</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> xs) => Percentile(xs, 50);
    public static double P90(IReadOnlyList<double> xs) => Percentile(xs, 90);

    /// <summary>Linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> xs, double p)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(x => x).ToArray();
        double rank = p / 100.0 * (s.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return s[lo] + (s[hi] - s[lo]) * (rank - lo);
    }

    public static Dictionary<string, object> Summary(IReadOnlyList<double> xs, double scale = 1.0) => new()
    {
        ["n"] = xs.Count,
        ["median"] = Median(xs) * scale,
        ["p90"] = P90(xs) * scale,
        ["min"] = (xs.Count == 0 ? double.NaN : xs.Min()) * scale,
        ["max"] = (xs.Count == 0 ? double.NaN : xs.Max()) * scale,
        ["mean"] = (xs.Count == 0 ? double.NaN : xs.Average()) * scale,
    };
}
