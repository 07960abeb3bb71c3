namespace JupyterKernels.Bench.Harness;

/// <summary>How a row's target is judged.</summary>
internal enum TargetKind
{
    /// <summary>No target (informational row).</summary>
    None,
    /// <summary>ours/reference must be ≤ Target (times, memory).</summary>
    RatioAtMost,
    /// <summary>ours/reference must be ≥ Target (throughput).</summary>
    RatioAtLeast,
    /// <summary>ours must be ≤ Target in the row's unit (absolute budget).</summary>
    ValueAtMost,
}

/// <summary>One line of the table: ours vs the reference for one metric.</summary>
internal sealed record ResultRow
{
    public required string Benchmark { get; init; }
    public required string Metric { get; init; }
    public required string Unit { get; init; }
    public double? Ours { get; init; }
    public double? Reference { get; init; }
    /// <summary>What the reference is ("jupyter_client 7.4.9 execute_interactive", "bare pyzmq loop"...).</summary>
    public string? ReferenceName { get; init; }
    public TargetKind TargetKind { get; init; }
    public double? Target { get; init; }
    public string? Note { get; init; }

    public double? Ratio => Ours is { } o && Reference is { } r && r != 0 ? o / r : null;

    /// <summary>Set when the benchmark judges the target itself (e.g. "all lines received on both sides").</summary>
    public bool? MetOverride { get; init; }
    public string? TargetTextOverride { get; init; }

    public bool? Met => MetOverride ?? TargetKind switch
    {
        TargetKind.RatioAtMost => Ratio is { } x ? x <= Target : null,
        TargetKind.RatioAtLeast => Ratio is { } x ? x >= Target : null,
        TargetKind.ValueAtMost => Ours is { } o ? o <= Target : null,
        _ => null,
    };

    public string TargetText => TargetTextOverride ?? TargetKind switch
    {
        TargetKind.RatioAtMost => $"≤ {Target:0.##}x",
        TargetKind.RatioAtLeast => $"≥ {Target:0.##}x",
        TargetKind.ValueAtMost => $"≤ {Target:G4} {Unit}",
        _ => "—",
    };
}

/// <summary>What one benchmark returns: its table rows and its raw numbers (for the JSON).</summary>
internal sealed class BenchOutcome
{
    public List<ResultRow> Rows { get; } = new();
    public Dictionary<string, object?> Raw { get; } = new();
    public string? Error { get; set; }
    public double WallSeconds { get; set; }
}
