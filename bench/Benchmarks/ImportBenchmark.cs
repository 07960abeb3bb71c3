using System.Diagnostics;
using System.Text.Json.Nodes;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Module import cost in FRESH processes, without pwsh (none is installed, and PowerShellStandard is reference-only):
/// builds the module folder (src/JupyterKernels.Cmdlets, Release → out/JupyterKernels/) and bench/ImportProbe (no
/// reference to our assemblies), then spawns the probe alternately in "none" mode (baseline: runtime start, Main,
/// exit) and "load" mode (load both assemblies from out/JupyterKernels/ into the default ALC, install the module's
/// DependencyResolver by reflection as ModuleInitializer.OnImport does, discover the [Cmdlet] classes from
/// metadata, resolve JupyterKernels.dll's types and the members of KernelSpec / KernelService / KernelProviders).
/// What PowerShell itself adds (SMA, cmdlet binding, format/help files) is NOT measured.
/// Reported: wall time per process (median, load vs baseline and the paired difference) and the in-process time.
/// </summary>
internal sealed class ImportBenchmark : IBenchmark
{
    public string Name => "import";
    public string Description => "module import cost in fresh processes: load out/JupyterKernels assemblies + resolver + cmdlet discovery + type resolution, minus a do-nothing baseline (no pwsh)";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int reps = ctx.Quick ? 3 : 11;
        var repo = FindRepoRoot();
        var moduleDir = Path.Combine(repo, "out", "JupyterKernels");
        var probeProject = Path.Combine(repo, "bench", "ImportProbe", "ImportProbe.csproj");
        var probeDll = Path.Combine(repo, "bench", "ImportProbe", "bin", "Release", "net10.0", "ImportProbe.dll");
        var dotnet = DotnetHost();
        Console.WriteLine("  building the module folder (Release) and the probe (untimed)...");
        await BuildAsync(dotnet, Path.Combine(repo, "src", "JupyterKernels.Cmdlets", "JupyterKernels.Cmdlets.csproj"), ct);
        await BuildAsync(dotnet, probeProject, ct);
        foreach (var f in new[] { "JupyterKernels.Cmdlets.dll", "JupyterKernels.dll", "JupyterKernels.psd1" })
            if (!File.Exists(Path.Combine(moduleDir, f))) throw new InvalidOperationException($"{moduleDir} lacks {f} after the build");

        // Warm-up (untimed): page cache for the runtime, the probe and our assemblies.
        await RunProbeAsync(dotnet, probeDll, "none", moduleDir, ct);
        var warm = await RunProbeAsync(dotnet, probeDll, "load", moduleDir, ct);

        var baseWall = new List<double>();
        var loadWall = new List<double>();
        var diffs = new List<double>();
        var inProc = new List<double>();
        var phases = new Dictionary<string, List<double>>();
        for (int i = 0; i < reps; i++)
        {
            // Alternate the order so drift in machine load hits both modes alike.
            double b, l;
            JsonObject r;
            if (i % 2 == 0)
            {
                (b, _) = await RunProbeAsync(dotnet, probeDll, "none", moduleDir, ct);
                (l, r) = await RunProbeAsync(dotnet, probeDll, "load", moduleDir, ct);
            }
            else
            {
                (l, r) = await RunProbeAsync(dotnet, probeDll, "load", moduleDir, ct);
                (b, _) = await RunProbeAsync(dotnet, probeDll, "none", moduleDir, ct);
            }
            baseWall.Add(b);
            loadWall.Add(l);
            diffs.Add(l - b);
            inProc.Add(r["total_ms"]!.GetValue<double>());
            foreach (var key in new[] { "load_ms", "resolver_ms", "discover_ms", "types_ms", "cmdlets_assembly_gettypes_ms" })
            {
                if (!phases.TryGetValue(key, out var list)) phases[key] = list = new List<double>();
                list.Add(r[key]!.GetValue<double>());
            }
        }
        var info = warm.Result;
        int cmdlets = info["cmdlets"]!.GetValue<int>();
        // That every exported cmdlet is a [Cmdlet] class is the module tests' business (Module/*); here the probe must
        // only prove it really did the discovery it is timed for.
        if (cmdlets == 0) throw new InvalidOperationException("the probe discovered no cmdlets");
        Console.WriteLine($"  {reps} fresh processes per mode: wall load {Stats.Median(loadWall):0.0} ms, baseline {Stats.Median(baseWall):0.0} ms, in-process {Stats.Median(inProc):0.0} ms");

        var outcome = new BenchOutcome();
        outcome.Raw["processes_per_mode"] = reps;
        outcome.Raw["wall_load_ms"] = Stats.Summary(loadWall);
        outcome.Raw["wall_baseline_ms"] = Stats.Summary(baseWall);
        outcome.Raw["wall_paired_difference_ms"] = Stats.Summary(diffs);
        outcome.Raw["in_process_total_ms"] = Stats.Summary(inProc);
        foreach (var (k, v) in phases) outcome.Raw["phase_" + k] = Stats.Summary(v);
        outcome.Raw["probe_sample"] = info.ToJsonString();
        string phaseText = string.Join(", ", phases.Where(p => p.Key != "cmdlets_assembly_gettypes_ms").Select(p => $"{p.Key[..^3]} {Stats.Median(p.Value):0.0}"));
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "module import (fresh process, no pwsh)", Metric = "median wall, load − baseline (paired)", Unit = "ms",
            Ours = Stats.Median(diffs), TargetKind = TargetKind.ValueAtMost, Target = 150,
            Note = $"{reps} fresh `dotnet ImportProbe.dll` processes per mode, alternating; load = both assemblies from out/JupyterKernels/ + DependencyResolver.Install (by reflection) + " +
                   $"discovery of {cmdlets} [Cmdlet] classes from metadata + GetTypes of JupyterKernels.dll ({info["core_types"]} types) + members of KernelSpec/KernelService/KernelProviders; " +
                   "PowerShell's own part (System.Management.Automation, cmdlet binding, format and help files) is not measured: no pwsh here, PowerShellStandard is reference-only",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "module import (fresh process, no pwsh)", Metric = "median wall per process, load vs baseline", Unit = "ms",
            Ours = Stats.Median(loadWall), Reference = Stats.Median(baseWall), ReferenceName = "same probe doing nothing",
            TargetKind = TargetKind.None,
            Note = $"p90 load {Stats.P90(loadWall):0.0} ms, baseline {Stats.P90(baseWall):0.0} ms (runtime start included in both)",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "module import (fresh process, no pwsh)", Metric = "median in-process load+resolve", Unit = "ms",
            Ours = Stats.Median(inProc), TargetKind = TargetKind.ValueAtMost, Target = 150,
            Note = $"Stopwatch inside the probe from Main to the end of type resolution; phases (median ms): {phaseText}; " +
                   $"not included: GetTypes of the Cmdlets assembly {Stats.Median(phases["cmdlets_assembly_gettypes_ms"]):0.0} ms ({info["cmdlets_assembly_types_needing_sma"]} types need SMA and fail without PowerShell)",
        });
        return outcome;
    }

    private static async Task<(double WallMs, JsonObject Result)> RunProbeAsync(string dotnet, string dll, string mode, string moduleDir, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(moduleDir);
        long t0 = Stopwatch.GetTimestamp();
        var (text, stderr, exitCode) = await ChildProcess.RunAsync(psi, TimeSpan.FromSeconds(60), ct);
        double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (exitCode != 0) throw new InvalidOperationException($"import probe ({mode}) exited {exitCode}: {stderr}");
        return (wall, JsonNode.Parse(text.Trim().Split('\n')[^1])!.AsObject());
    }

    internal static async Task BuildAsync(string dotnet, string project, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", project, "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly" }) psi.ArgumentList.Add(a);
        var (output, error, exitCode) = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(5), ct);
        if (exitCode != 0) throw new InvalidOperationException($"dotnet build {Path.GetFileName(project)} failed: {output}{error}");
    }

    internal static string DotnetHost()
    {
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") return Environment.ProcessPath!;
        return TestKernel.TestKernelLocator.DotnetHost;
    }

    /// <summary>The repository root (the folder holding src/JupyterKernels.Cmdlets), found upward from the binary.</summary>
    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "src", "JupyterKernels.Cmdlets", "JupyterKernels.Cmdlets.csproj"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
