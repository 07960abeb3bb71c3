using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterKernels.Bench.Harness;

/// <summary>Writes the table to the console, bench/results/latest.md and bench/results/latest.json.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(double? v, string unit)
    {
        if (v is not { } x || double.IsNaN(x)) return "—";
        string num = Math.Abs(x) switch
        {
            >= 1000 => x.ToString("#,0", Inv),
            >= 100 => x.ToString("0.0", Inv),
            >= 10 => x.ToString("0.00", Inv),
            _ => x.ToString("0.###", Inv),
        };
        return $"{num} {unit}";
    }

    public static string MetText(bool? met) => met switch { true => "yes", false => "NO", null => "—" };

    public static string Markdown(IReadOnlyList<(string Name, BenchOutcome Outcome)> outcomes, Dictionary<string, object?> machine, bool underLoad)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# JupyterKernels benchmarks");
        sb.AppendLine();
        sb.AppendLine($"Measured {machine["date_utc"]} on {machine["cores"]} cores ({machine["cpu_model"]}), {machine["memory_total_mib"]} MiB, {machine["os"]}, {machine["dotnet"]}.");
        if (machine.TryGetValue("python_reference", out var py) && py is Dictionary<string, object?> p)
            sb.AppendLine($"Reference: Python {p.GetValueOrDefault("python")}, ipykernel {p.GetValueOrDefault("ipykernel")}, jupyter_client {p.GetValueOrDefault("jupyter_client")}, pyzmq {p.GetValueOrDefault("pyzmq")} (libzmq {p.GetValueOrDefault("libzmq")}).");
        sb.AppendLine($"Load average (1/5/15 min) at start {Load(machine.GetValueOrDefault("load_average_at_start"))}, at end {Load(machine.GetValueOrDefault("load_average_at_end"))}.");
        if (underLoad)
            sb.AppendLine("**Measured under load**: the machine was busy with other work (load average ≥ half the cores), so absolute numbers are noisy; ours and the reference were interleaved in the same run, so ratios are the meaningful part.");
        sb.AppendLine();
        sb.AppendLine("ratio = ours / reference. Times: lower is better; throughput: higher is better.");
        sb.AppendLine();
        sb.AppendLine("| benchmark | ours | reference | ratio | target | met? |");
        sb.AppendLine("|---|---|---|---|---|---|");
        var notes = new List<string>();
        foreach (var (name, outcome) in outcomes)
        {
            if (outcome.Error is { } err)
            {
                sb.AppendLine($"| {name} | FAILED | — | — | — | NO |");
                notes.Add($"{name}: {err.Split('\n')[0]}");
                continue;
            }
            foreach (var row in outcome.Rows)
            {
                var reference = row.Reference is null ? "—" : Format(row.Reference, row.Unit) + (row.ReferenceName is null ? "" : $" ({row.ReferenceName})");
                var ratio = row.Ratio is { } r ? r.ToString("0.00", Inv) + "x" : "—";
                sb.AppendLine($"| {row.Benchmark}: {row.Metric} | {Format(row.Ours, row.Unit)} | {reference} | {ratio} | {row.TargetText} | {MetText(row.Met)} |");
                if (row.Note is { } note) notes.Add($"{row.Benchmark} / {row.Metric}: {note}");
            }
        }
        if (notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Notes:");
            sb.AppendLine();
            foreach (var n in notes) sb.AppendLine($"- {n.ReplaceLineEndings(" ")}");
        }
        return sb.ToString();
    }

    private static string Load(object? v) => v is double[] a ? string.Join(" / ", a.Select(x => x.ToString("0.00", Inv))) : "?";

    public static void PrintConsole(IReadOnlyList<(string Name, BenchOutcome Outcome)> outcomes)
    {
        var rows = new List<string[]> { new[] { "benchmark", "ours", "reference", "ratio", "target", "met?" } };
        foreach (var (name, outcome) in outcomes)
        {
            if (outcome.Error is not null) { rows.Add(new[] { name, "FAILED", "—", "—", "—", "NO" }); continue; }
            foreach (var row in outcome.Rows)
                rows.Add(new[]
                {
                    $"{row.Benchmark}: {row.Metric}", Format(row.Ours, row.Unit), Format(row.Reference, row.Unit),
                    row.Ratio is { } r ? r.ToString("0.00", Inv) + "x" : "—", row.TargetText, MetText(row.Met),
                });
        }
        var widths = Enumerable.Range(0, 6).Select(i => rows.Max(r => r[i].Length)).ToArray();
        for (int j = 0; j < rows.Count; j++)
        {
            Console.WriteLine(string.Join("  ", rows[j].Select((c, i) => c.PadRight(widths[i]))));
            if (j == 0) Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
    }

    public static string Json(IReadOnlyList<(string Name, BenchOutcome Outcome)> outcomes, Dictionary<string, object?> machine, bool underLoad)
    {
        var doc = new Dictionary<string, object?>
        {
            ["machine"] = machine,
            ["measured_under_load"] = underLoad,
            ["benchmarks"] = outcomes.Select(o => new Dictionary<string, object?>
            {
                ["name"] = o.Name,
                ["wall_seconds"] = o.Outcome.WallSeconds,
                ["error"] = o.Outcome.Error,
                ["rows"] = o.Outcome.Rows.Select(r => new Dictionary<string, object?>
                {
                    ["benchmark"] = r.Benchmark, ["metric"] = r.Metric, ["unit"] = r.Unit,
                    ["ours"] = Clean(r.Ours), ["reference"] = Clean(r.Reference), ["reference_name"] = r.ReferenceName,
                    ["ratio"] = Clean(r.Ratio), ["target_kind"] = r.TargetKind.ToString(), ["target"] = r.Target,
                    ["target_text"] = r.TargetText, ["met"] = r.Met, ["note"] = r.Note,
                }).ToList(),
                ["raw"] = o.Outcome.Raw,
            }).ToList(),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });
    }

    private static double? Clean(double? v) => v is { } x && (double.IsNaN(x) || double.IsInfinity(x)) ? null : v;
}
