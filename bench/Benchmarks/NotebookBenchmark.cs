using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Notebook runs. A notebook of 100 small cells (assignments, prints, a plot-free display every 10th cell):
/// (1) whole processes, interleaved three ways in rotating order: a fresh pwsh running Invoke-Notebook (module import,
/// kernel start, 100 cells, output notebook written after every cell, kernel shutdown) on the pwsh the project restores
/// (the PowerShell .NET tool, IL only) and on a ReadyToRun copy of it (PowerShell as its deb/rpm/tar.gz/msi packages
/// ship it; <see cref="PwshReadyToRunCopy"/>), vs Debian's `jupyter execute` (nbclient 0.7: start, run, shutdown; it
/// writes no output file); beside them bare `pwsh -Command exit` of both flavours, PowerShell's own start; (2) on a
/// warm kernel in one pwsh process (the tool), interleaved: Invoke-Notebook -Id per cell vs the same 100 cells as 100
/// `Invoke-KernelCode -Id` calls (the raw round trip a script would do).
/// </summary>
internal sealed class NotebookBenchmark : IBenchmark
{
    public string Name => "notebook";
    public string Description => "100-cell notebook: Invoke-Notebook in a fresh pwsh (.NET tool, and a ReadyToRun copy) vs jupyter execute (whole processes); per-cell overhead on a warm kernel vs Invoke-KernelCode";

    private const int CellCount = 100;

    /// <summary>One pwsh to measure: its binary, a label for rows and console, and its own trace file.</summary>
    private sealed record PwshFlavour(string Key, string Label, string Path, Dictionary<string, string> Env, string TraceFile);

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var repo = ImportBenchmark.FindRepoRoot();
        var manifest = Path.Combine(repo, "out", "JupyterKernels", "JupyterKernels.psd1");
        if (!File.Exists(manifest)) throw new InvalidOperationException($"{manifest} is missing: build the solution first");
        var dotnet = ImportBenchmark.DotnetHost();
        var toolPwsh = await ColdProcessBenchmark.FindPwshAsync(repo, dotnet, ct);
        var readyToRunPwsh = await PwshReadyToRunCopy.EnsureAsync(repo, dotnet, toolPwsh, ct);
        var dir = Path.Combine(ctx.Root, "notebook");
        Directory.CreateDirectory(dir);
        var sources = Enumerable.Range(0, CellCount).Select(CellSource).ToList();
        var notebook = Path.Combine(dir, "bench100.ipynb");
        File.WriteAllText(notebook, NotebookJson(sources));
        File.WriteAllText(Path.Combine(dir, "cells.json"), JsonSerializer.Serialize(sources));
        var env = new Dictionary<string, string>
        {
            ["JUPYTER_RUNTIME_DIR"] = Path.Combine(dir, "runtime"),
            ["JUPYTER_DATA_DIR"] = Path.Combine(dir, "data"),
            ["JUPYTER_CONFIG_DIR"] = Path.Combine(dir, "config"),
            ["JUPYTERKERNELS_DB"] = Path.Combine(dir, "kernels.db"),
            ["JUPYTER_PATH"] = "",
            ["POWERSHELL_TELEMETRY_OPTOUT"] = "1",
            ["POWERSHELL_UPDATECHECK"] = "Off",
        };
        // Where Invoke-Notebook's time goes, one line per run (Notebooks/NotebookRunTrace), one file per pwsh flavour.
        PwshFlavour Flavour(string key, string path)
        {
            var trace = Path.Combine(dir, $"trace.{key}.txt");
            File.Delete(trace);
            return new PwshFlavour(key, "", path, new Dictionary<string, string>(env) { ["JUPYTERKERNELS_NOTEBOOK_TRACE"] = trace }, trace);
        }
        var tool = Flavour("tool", toolPwsh);
        var r2r = Flavour("readytorun", readyToRunPwsh);

        // Both run, are the same PowerShell, and import the module (untimed).
        var probe = $"Import-Module '{manifest}' -ErrorAction Stop; '{{0}} {{1}}' -f $PSVersionTable.PSVersion, (Get-Module JupyterKernels).Version";
        var toolVersion = (await RunProcessAsync(tool.Path, new[] { "-NoProfile", "-NonInteractive", "-Command", probe }, tool.Env, ct)).Trim();
        var r2rVersion = (await RunProcessAsync(r2r.Path, new[] { "-NoProfile", "-NonInteractive", "-Command", probe }, r2r.Env, ct)).Trim();
        if (toolVersion != r2rVersion || toolVersion.Length == 0)
            throw new InvalidOperationException($"the ReadyToRun copy is not the same PowerShell + module: '{r2rVersion}' vs the tool's '{toolVersion}'");
        var psVersion = toolVersion.Split(' ')[0];
        tool = tool with { Label = $"pwsh {psVersion} .NET tool, IL only" };
        r2r = r2r with { Label = $"pwsh {psVersion} ReadyToRun" };
        Console.WriteLine($"  {tool.Label}: {tool.Path}\n  {r2r.Label}: {r2r.Path}\n  pwsh + module versions: {toolVersion}");

        // (1) whole processes, interleaved in rotating order, after one untimed run of each (page cache, first-run work).
        int reps = ctx.Quick ? 2 : 7;
        var oursScript = $"Import-Module '{manifest}'; Invoke-Notebook -Path '{notebook}' -OutputPath '{Path.Combine(dir, "cold.out.ipynb")}' -Force -ErrorAction Stop | Out-Null";
        Task<double> Ours(PwshFlavour f) => TimeProcessAsync(f.Path, new[] { "-NoProfile", "-NonInteractive", "-Command", oursScript }, f.Env, ct);
        Task<double> Reference() => TimeProcessAsync("/usr/bin/jupyter-execute", new[] { notebook }, env, ct);
        var samples = new Dictionary<string, List<double>> { ["tool"] = new(), ["readytorun"] = new(), ["reference"] = new() };
        var contenders = new (string Key, Func<Task<double>> Run)[]
        {
            ("tool", () => Ours(tool)), ("readytorun", () => Ours(r2r)), ("reference", Reference),
        };
        // The untimed warm-up of each pwsh also counts the methods its process JIT-compiles (the runtime's JIT summary):
        // a count, steady on a shared machine, where wall times are not.
        Console.WriteLine("  whole processes: warm-up (untimed, counting JIT-compiled methods)...");
        var jitted = new Dictionary<string, Dictionary<string, int>> { ["tool"] = new(), ["readytorun"] = new() };
        foreach (var f in new[] { tool, r2r })
            jitted[f.Key]["invoke_notebook"] = await CountJittedAsync(f, "invoke-notebook", env =>
                TimeProcessAsync(f.Path, new[] { "-NoProfile", "-NonInteractive", "-Command", oursScript }, env, ct));
        await Reference();
        foreach (var f in new[] { tool, r2r }) File.Delete(f.TraceFile); // the phases are those of the timed runs
        for (int i = 0; i < reps; i++)
            for (int k = 0; k < contenders.Length; k++)
            {
                var (key, run) = contenders[(i + k) % contenders.Length];
                samples[key].Add(await run());
            }
        var ours = samples["tool"];
        var oursR2R = samples["readytorun"];
        var reference = samples["reference"];
        Console.WriteLine($"  whole processes ({reps} each): Invoke-Notebook {Stats.Median(ours):0} ms ({tool.Label}), {Stats.Median(oursR2R):0} ms ({r2r.Label}), " +
                          $"jupyter execute {Stats.Median(reference):0} ms");
        Validate(Path.Combine(dir, "cold.out.ipynb"));

        // PowerShell's own start, both flavours, interleaved: how much of the difference is pwsh before our module.
        int bareReps = 5;
        var bare = new Dictionary<string, List<double>> { ["tool"] = new(), ["readytorun"] = new() };
        string[] exit = { "-NoProfile", "-NonInteractive", "-Command", "exit" };
        foreach (var f in new[] { tool, r2r })
            jitted[f.Key]["bare_exit"] = await CountJittedAsync(f, "bare-exit", env => TimeProcessAsync(f.Path, exit, env, ct));
        for (int i = 0; i < bareReps; i++)
            foreach (var f in i % 2 == 0 ? new[] { tool, r2r } : new[] { r2r, tool })
                bare[f.Key].Add(await TimeProcessAsync(f.Path, exit, f.Env, ct));
        Console.WriteLine($"  bare `pwsh -NoProfile -NonInteractive -Command exit` ({bareReps} each): {Stats.Median(bare["tool"]):0} ms ({tool.Label}), " +
                          $"{Stats.Median(bare["readytorun"]):0} ms ({r2r.Label})");
        Console.WriteLine($"  JIT-compiled methods per process (bare exit / Invoke-Notebook): {jitted["tool"]["bare_exit"]} / {jitted["tool"]["invoke_notebook"]} ({tool.Label}), " +
                          $"{jitted["readytorun"]["bare_exit"]} / {jitted["readytorun"]["invoke_notebook"]} ({r2r.Label})");

        // (2) a warm kernel, one pwsh process (the tool), interleaved runs.
        int warmReps = ctx.Quick ? 2 : 10;
        var warmScript = Path.Combine(dir, "warm.ps1");
        File.WriteAllText(warmScript, WarmScript);
        var psi = new ProcessStartInfo(tool.Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-File", warmScript, manifest, notebook, Path.Combine(dir, "cells.json"), warmReps.ToString(), dir }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in tool.Env) psi.Environment[k] = v;
        var (stdout, stderr, code) = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(10), ct);
        if (code != 0) throw new InvalidOperationException($"warm-kernel pwsh script failed ({code}): {stderr}\n{stdout}");
        var warm = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
        var perCellNotebook = warm["notebook_ms"]!.AsArray().Select(x => x!.GetValue<double>() / CellCount).ToList();
        var perCellRaw = warm["raw_ms"]!.AsArray().Select(x => x!.GetValue<double>() / CellCount).ToList();
        Console.WriteLine($"  warm kernel ({warmReps} runs each): Invoke-Notebook {Stats.Median(perCellNotebook):0.000} ms/cell, Invoke-KernelCode {Stats.Median(perCellRaw):0.000} ms/cell");
        Validate(Path.Combine(dir, "warm.out.ipynb"));

        var outcome = new BenchOutcome();
        outcome.Raw["cells"] = CellCount;
        outcome.Raw["pwsh_tool"] = new Dictionary<string, object> { ["path"] = tool.Path, ["label"] = tool.Label, ["pwsh_and_module_version"] = toolVersion };
        outcome.Raw["pwsh_readytorun"] = new Dictionary<string, object> { ["path"] = r2r.Path, ["label"] = r2r.Label, ["made_by"] = "build/PwshReadyToRun/PwshReadyToRun.csproj" };
        outcome.Raw["whole_process_invoke_notebook_ms"] = Stats.Summary(ours);
        outcome.Raw["whole_process_invoke_notebook_readytorun_pwsh_ms"] = Stats.Summary(oursR2R);
        outcome.Raw["whole_process_jupyter_execute_ms"] = Stats.Summary(reference);
        outcome.Raw["bare_pwsh_exit_ms"] = new Dictionary<string, object> { ["tool"] = Stats.Summary(bare["tool"]), ["readytorun"] = Stats.Summary(bare["readytorun"]) };
        outcome.Raw["jit_compiled_methods_per_process"] = jitted;
        outcome.Raw["warm_invoke_notebook_ms_per_cell"] = Stats.Summary(perCellNotebook);
        outcome.Raw["warm_invoke_kernelcode_ms_per_cell"] = Stats.Summary(perCellRaw);
        var (freshPhases, warmPhases) = TracePhases(tool.TraceFile);
        var (freshPhasesR2R, _) = TracePhases(r2r.TraceFile);
        outcome.Raw["fresh_process_phases_median_ms"] = freshPhases;
        outcome.Raw["fresh_process_phases_median_ms_readytorun_pwsh"] = freshPhasesR2R;
        outcome.Raw["warm_phases_median_ms_per_cell"] = warmPhases;
        Console.WriteLine($"  fresh process, {tool.Label}, median ms per run: " + string.Join(", ", freshPhases.Select(p => $"{p.Key} {p.Value:0.0}")));
        Console.WriteLine($"  fresh process, {r2r.Label}, median ms per run: " + string.Join(", ", freshPhasesR2R.Select(p => $"{p.Key} {p.Value:0.0}")));
        Console.WriteLine("  warm kernel, median ms per cell: " + string.Join(", ", warmPhases.Select(p => $"{p.Key} {p.Value:0.000}")));
        var how = $"{reps} runs per side, the three sides interleaved in rotating order after an untimed run of each; ours: `pwsh -NoProfile -NonInteractive -Command` importing the module, " +
                  "Invoke-Notebook writing the output notebook after every cell; jupyter execute (nbclient 0.7.2) writes no output file";
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "notebook, 100 cells", Metric = $"median wall, fresh process (start kernel, run, write, stop), {tool.Label}", Unit = "ms",
            Ours = Stats.Median(ours), Reference = Stats.Median(reference), ReferenceName = "jupyter execute (nbclient 0.7)",
            TargetKind = TargetKind.RatioAtMost, Target = 0.8,
            Note = $"{how}; pwsh is the PowerShell .NET global tool the project restores ({tool.Path}): framework dependent, its assemblies IL only, " +
                   "so every fresh process JIT-compiles PowerShell's own start before the module loads",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "notebook, 100 cells", Metric = "median wall, fresh process, pwsh ReadyToRun (as the deb/rpm/tar.gz/msi packages ship it)", Unit = "ms",
            Ours = Stats.Median(oursR2R), Reference = Stats.Median(reference), ReferenceName = "jupyter execute (nbclient 0.7)",
            TargetKind = TargetKind.RatioAtMost, Target = 0.8,
            Note = $"{how}; pwsh is a copy of the same {psVersion} tool in which every assembly such a run loads from its folder (pwsh, System.Management.Automation, " +
                   "ConsoleHost, Commands.Utility, Commands.Management, Security, SDK, MarkdownRender, Newtonsoft.Json, ApplicationInsights; the list is in " +
                   "build/PwshReadyToRun/PwshReadyToRun.csproj) was compiled ReadyToRun by the SDK's crossgen2 (IL kept). " +
                   "That is how users get PowerShell: packaging.psm1's Start-PSPackage requires a `Start-PSBuild -Crossgen` build for every package type " +
                   "(deb, rpm, tar.gz, msi, zip) except the framework-dependent one, which the .NET tool is. " +
                   $"Bare `pwsh -NoProfile -NonInteractive -Command exit`, {bareReps} each interleaved: {Stats.Median(bare["tool"]):0} ms IL only, {Stats.Median(bare["readytorun"]):0} ms ReadyToRun; " +
                   $"JIT-compiled methods per process (bare exit / Invoke-Notebook): {jitted["tool"]["bare_exit"]} / {jitted["tool"]["invoke_notebook"]} IL only, " +
                   $"{jitted["readytorun"]["bare_exit"]} / {jitted["readytorun"]["invoke_notebook"]} ReadyToRun",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "notebook, 100 cells", Metric = "median per cell on a warm kernel (-Id)", Unit = "ms",
            Ours = Stats.Median(perCellNotebook), Reference = Stats.Median(perCellRaw), ReferenceName = "Invoke-KernelCode -Id, same cells",
            TargetKind = TargetKind.RatioAtMost, Target = 1.1,
            Note = $"one pwsh process, one kernel, {warmReps} interleaved runs per side after a warm-up; Invoke-Notebook includes planning, the nbformat record and {CellCount} atomic writes",
        });
        return outcome;
    }

    /// <summary>
    /// The trace lines, split into runs that started and stopped their kernel (fresh processes: phases in ms per run)
    /// and runs on the warm kernel (phases in ms per cell); medians per phase.
    /// </summary>
    private static (SortedDictionary<string, double> Fresh, SortedDictionary<string, double> Warm) TracePhases(string file)
    {
        var fresh = new Dictionary<string, List<double>>();
        var warm = new Dictionary<string, List<double>>();
        foreach (var line in File.Exists(file) ? File.ReadAllLines(file) : Array.Empty<string>())
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => kv[1]);
            if (!fields.TryGetValue("cells", out var c) || !int.TryParse(c, out var cells) || cells == 0) continue;
            var isFresh = fields.TryGetValue("StopKernel", out var stop) && stop.EndsWith("/1", StringComparison.Ordinal);
            var target = isFresh ? fresh : warm;
            foreach (var (key, value) in fields)
            {
                var ms = value.Split("ms", 2)[0];
                if (!double.TryParse(ms, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)) continue;
                if (key == "cells") continue;
                if (!target.TryGetValue(key, out var list)) target[key] = list = new();
                list.Add(isFresh ? v : v / cells);
            }
        }
        static SortedDictionary<string, double> Medians(Dictionary<string, List<double>> d) =>
            new(d.ToDictionary(p => p.Key, p => Stats.Median(p.Value)), StringComparer.Ordinal);
        return (Medians(fresh), Medians(warm));
    }

    private static string CellSource(int i) => (i % 10) switch
    {
        9 => $"from IPython.display import display\ndisplay({{'text/plain': 'row {i}'}}, raw=True)",
        _ when i % 2 == 0 => $"x{i} = {i} * 2",
        _ => $"print('cell', {i})",
    };

    private static string NotebookJson(IReadOnlyList<string> sources) => new JsonObject
    {
        ["cells"] = new JsonArray(sources.Select((s, i) => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code", ["execution_count"] = null, ["id"] = $"cell{i}", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = s,
        }).ToArray()),
        ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = "python3", ["display_name"] = "Python 3", ["language"] = "python" } },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    }.ToJsonString();

    private const string WarmScript = """
        param($Manifest, $Notebook, $CellsFile, [int] $Reps, $Dir)
        $ErrorActionPreference = 'Stop'
        Import-Module $Manifest
        $k = Start-Kernel python3
        try {
            $sources = Get-Content -Raw $CellsFile | ConvertFrom-Json
            $out = Join-Path $Dir 'warm.out.ipynb'
            Invoke-Notebook -Path $Notebook -OutputPath $out -Id $k.Id -Force | Out-Null
            foreach ($s in $sources) { Invoke-KernelCode -Id $k.Id -Code $s | Out-Null }
            $nb = [System.Collections.Generic.List[double]]::new()
            $raw = [System.Collections.Generic.List[double]]::new()
            $sw = [System.Diagnostics.Stopwatch]::new()
            for ($i = 0; $i -lt $Reps; $i++) {
                foreach ($side in $(if ($i % 2 -eq 0) { 'nb', 'raw' } else { 'raw', 'nb' })) {
                    $sw.Restart()
                    if ($side -eq 'nb') {
                        Invoke-Notebook -Path $Notebook -OutputPath $out -Id $k.Id -Force | Out-Null
                        $nb.Add($sw.Elapsed.TotalMilliseconds)
                    } else {
                        foreach ($s in $sources) { Invoke-KernelCode -Id $k.Id -Code $s | Out-Null }
                        $raw.Add($sw.Elapsed.TotalMilliseconds)
                    }
                }
            }
        }
        finally { $k | Stop-Kernel -Confirm:$false }
        @{ notebook_ms = $nb; raw_ms = $raw } | ConvertTo-Json -Compress
        """;

    private static void Validate(string path)
    {
        var psi = new ProcessStartInfo(BenchContext.Python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); assert sum(1 for c in nb.cells if c.outputs) == 50, 'outputs missing'", path })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit(60_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"output notebook {path} is not what it should be: {p.StandardError.ReadToEnd()}");
    }

    private static async Task<double> TimeProcessAsync(string file, string[] args, IReadOnlyDictionary<string, string> env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        var (stdout, stderr, code) = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(5), ct);
        var ms = sw.Elapsed.TotalMilliseconds;
        if (code != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} exited {code}: {stderr}\n{stdout}");
        return ms;
    }

    /// <summary>
    /// Runs <paramref name="run"/> once with the runtime's JIT summary on (DOTNET_JitStdOutFile + DOTNET_JitDisasmSummary:
    /// one line per compilation) and returns how many methods the pwsh process compiled without precompiled code: first
    /// compilations (Tier0, FullOpts, dynamic methods), not the tier-1 recompilations of hot code, whose number depends on
    /// timing. Still ±10% run to run (background work at start), against a 5-20x difference between the flavours.
    /// </summary>
    private static async Task<int> CountJittedAsync(PwshFlavour f, string what, Func<Dictionary<string, string>, Task<double>> run)
    {
        var file = Path.Combine(Path.GetDirectoryName(f.TraceFile)!, $"jit.{f.Key}.{what}.txt");
        File.Delete(file);
        var env = new Dictionary<string, string>(f.Env) { ["DOTNET_JitStdOutFile"] = file, ["DOTNET_JitDisasmSummary"] = "1" };
        // .NET 10.0.12 aborts at exit now and then while it writes this log (free(): invalid pointer, or SIGSEGV: 14 of 80
        // bare `pwsh -Command exit` runs here, no module loaded): such a run is made again, and never timed.
        for (int attempt = 1; ; attempt++)
        {
            File.Delete(file);
            try
            {
                await run(env);
                break;
            }
            catch (InvalidOperationException e) when (attempt < 4 && (e.Message.Contains(" exited 134:", StringComparison.Ordinal) || e.Message.Contains(" exited 139:", StringComparison.Ordinal)))
            {
                Console.WriteLine($"  (the JIT-log run of {f.Label} aborted at exit, a .NET runtime fault under DOTNET_JitStdOutFile; again)");
            }
        }
        return File.Exists(file) ? File.ReadLines(file).Count(l => l.Contains("JIT compiled", StringComparison.Ordinal) && !l.Contains("Tier1", StringComparison.Ordinal)) : -1;
    }

    private static async Task<string> RunProcessAsync(string file, string[] args, IReadOnlyDictionary<string, string> env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var (stdout, stderr, code) = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(2), ct);
        if (code != 0) throw new InvalidOperationException($"{file} exited {code}: {stderr}\n{stdout}");
        return stdout;
    }

}
