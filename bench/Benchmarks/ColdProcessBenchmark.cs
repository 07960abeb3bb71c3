using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// What a runbook or scheduled task pays: whole fresh processes of the real pwsh the project installs (the
/// `dotnet pwsh` local tool of .config/dotnet-tools.json, or JK_BENCH_PWSH), interleaved in rotating order in one run:
/// bare pwsh (`-c 1`), + Import-Module, + Invoke-KernelCode -Id (a kernel started beforehand and recorded in an
/// isolated store), Start-Kernel → Invoke-KernelCode → Stop-Kernel; and the jupyter_client scripts doing the same
/// (python/cold_start.py: attach + execute, KernelManager start + execute + shutdown), interpreter start included.
/// Wall time per process, and its CPU time (getrusage of reaped children) which a loaded machine disturbs less.
/// </summary>
internal sealed class ColdProcessBenchmark : IBenchmark
{
    public string Name => "cold";
    public string Description => "fresh pwsh processes: Import-Module and Invoke-KernelCode -Id over bare pwsh; Start|Invoke|Stop vs a jupyter_client script";

    /// <summary>A process of one kind; <paramref name="EnterKernel"/>: Enter-Kernel in a pseudo-terminal, timed to its first prompt.</summary>
    private sealed record Mode(string Name, string File, string[] Args, bool EnterKernel = false);

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 3 : 15;
        var repo = ImportBenchmark.FindRepoRoot();
        var dotnet = ImportBenchmark.DotnetHost();
        Console.WriteLine("  building the module folder (Release) and restoring the pwsh tool (untimed)...");
        await ImportBenchmark.BuildAsync(dotnet, Path.Combine(repo, "src", "JupyterKernels.Cmdlets", "JupyterKernels.Cmdlets.csproj"), ct);
        var pwsh = await FindPwshAsync(repo, dotnet, ct);
        var manifest = Path.Combine(repo, "out", "JupyterKernels", "JupyterKernels.psd1");
        var script = Path.Combine(repo, "bench", "python", "cold_start.py");

        var root = Path.Combine(ctx.Root, "cold");
        var env = new Dictionary<string, string>
        {
            ["JUPYTERKERNELS_DB"] = Path.Combine(root, "kernels.db"),
            ["JUPYTER_RUNTIME_DIR"] = Path.Combine(root, "runtime"),
            ["JUPYTER_DATA_DIR"] = Path.Combine(root, "data"),
            ["JUPYTER_CONFIG_DIR"] = Path.Combine(root, "config"),
            ["JUPYTER_PATH"] = "/usr/share/jupyter",
            ["JUPYTER_PLATFORM_DIRS"] = "0",
        };
        foreach (var dir in env.Values.Where(v => !v.EndsWith(".db") && v.StartsWith(root))) Directory.CreateDirectory(dir);

        string[] Pwsh(string command) => new[] { "-NoProfile", "-NonInteractive", "-Command", command };
        var import = $"Import-Module '{manifest}'";
        // The running kernel the Invoke mode attaches to, started and recorded like a user would (untimed).
        var started = await RunAsync(pwsh, Pwsh($"{import}; $k = Start-Kernel python3; $k.Id; $k.ConnectionFile"), env, ct, TimeSpan.FromMinutes(3));
        var lines = started.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2) throw new InvalidOperationException("Start-Kernel printed no id/connection file: " + started.Stdout);
        string kernelId = lines[^2], connectionFile = lines[^1];
        Console.WriteLine($"  pwsh {pwsh}; running kernel {kernelId}");
        var floorManifest = await BuildFloorModuleAsync(pwsh, Path.Combine(root, "floor"), env, ct);
        // Users run PowerShell from Microsoft's packages, which are ReadyToRun: the same modes on such a copy of the tool.
        string? r2r = null;
        try { r2r = await PwshReadyToRunCopy.EnsureAsync(repo, dotnet, pwsh, ct); }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException) { Console.WriteLine($"  no ReadyToRun pwsh rows: {e.Message}"); }
        bool pty = OperatingSystem.IsLinux() && File.Exists("/usr/bin/script");

        var modes = new[]
        {
            new Mode("bare", pwsh, Pwsh("1")),
            new Mode("import", pwsh, Pwsh($"{import}; 1")),
            new Mode("import-floor", pwsh, Pwsh($"Import-Module '{floorManifest}'; 1")),
            new Mode("invoke", pwsh, Pwsh($"{import}; Invoke-KernelCode -Id {kernelId} 1")),
            new Mode("py-attach", BenchContext.Python, new[] { script, "attach", connectionFile }),
            new Mode("start", pwsh, Pwsh($"{import}; $k = Start-Kernel python3; $k | Invoke-KernelCode 1; $k | Stop-Kernel")),
            new Mode("py-start", BenchContext.Python, new[] { script, "start" }),
        }.ToList();
        if (pty) modes.Add(new Mode("enter", pwsh, Array.Empty<string>(), EnterKernel: true));
        if (r2r is not null)
        {
            modes.Add(new Mode("bare-r2r", r2r, Pwsh("1")));
            modes.Add(new Mode("import-r2r", r2r, Pwsh($"{import}; 1")));
            modes.Add(new Mode("import-floor-r2r", r2r, Pwsh($"Import-Module '{floorManifest}'; 1")));
            modes.Add(new Mode("invoke-r2r", r2r, Pwsh($"{import}; Invoke-KernelCode -Id {kernelId} 1")));
            // Before/after in one run: JK_BENCH_BASELINE_MODULE names the manifest of another build of the module (say
            // main's out/JupyterKernels, copied aside), run the same way beside this one.
            if (Environment.GetEnvironmentVariable("JK_BENCH_BASELINE_MODULE") is { Length: > 0 } baseline)
            {
                modes.Add(new Mode("import-r2r-baseline", r2r, Pwsh($"Import-Module '{baseline}'; 1")));
                modes.Add(new Mode("invoke-r2r-baseline", r2r, Pwsh($"Import-Module '{baseline}'; Invoke-KernelCode -Id {kernelId} 1")));
            }
            if (pty) modes.Add(new Mode("enter-r2r", r2r, Array.Empty<string>(), EnterKernel: true));
        }
        (double FirstMs, List<double> Warm)? tab = null;
        List<double>? tabReference = null;
        var wall = modes.ToDictionary(m => m.Name, _ => new List<double>());
        var cpu = modes.ToDictionary(m => m.Name, _ => new List<double>());
        try
        {
            // pwsh replays and rewrites a multicore-JIT startup profile in its cache folder (XDG_CACHE_HOME/powershell):
            // every process pre-compiles, on a background thread, what the previous process of that folder compiled, and
            // writes its own list at exit. Modes sharing one folder would each replay another mode's list; a folder per
            // mode measures each the way a runbook run again and again meets it.
            var modeEnv = modes.ToDictionary(m => m.Name, m => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(env)
            {
                ["XDG_CACHE_HOME"] = Directory.CreateDirectory(Path.Combine(root, "cache", m.Name)).FullName,
            });
            async Task<ProcessResult> RunModeAsync(Mode m)
            {
                if (!m.EnterKernel) return await RunAsync(m.File, m.Args, modeEnv[m.Name], ct);
                var (firstPrompt, cpuMs) = await ColdEnterKernel.FirstPromptAsync(m.File, import, kernelId, modeEnv[m.Name], ChildrenCpuMs, ct);
                return new ProcessResult(firstPrompt, cpuMs, "1");
            }
            for (int i = 0; i < 2; i++) foreach (var m in modes) await RunModeAsync(m); // warm-up: page cache, module analysis cache, startup profile
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < modes.Count; k++)
                {
                    var m = modes[(round + k) % modes.Count];
                    var r = await RunModeAsync(m);
                    if (!r.Stdout.Contains('1')) throw new InvalidOperationException($"{m.Name} printed no result: {r.Stdout}");
                    wall[m.Name].Add(r.WallMs);
                    cpu[m.Name].Add(r.CpuMs);
                }
                if ((round + 1) % 5 == 0 || round + 1 == rounds)
                    Console.WriteLine("  round " + (round + 1) + "/" + rounds + ": median wall " +
                        string.Join(", ", modes.Select(m => $"{m.Name} {Stats.Median(wall[m.Name]):0} ms")));
            }
            if (pty)
            {
                int tabs = ctx.Quick ? 5 : 40;
                tab = await ColdEnterKernel.TabCompletionAsync(r2r ?? pwsh, import, kernelId, env, tabs, ct);
                // The kernel's own share: the same request from jupyter_client, right after, on the same kernel.
                var reference = await RunAsync(BenchContext.Python, new[] { script, "complete", connectionFile, tabs.ToString(System.Globalization.CultureInfo.InvariantCulture) }, env, ct);
                tabReference = reference.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            }
        }
        finally
        {
            try { await RunAsync(pwsh, Pwsh($"{import}; Stop-Kernel -Id {kernelId}"), env, CancellationToken.None, TimeSpan.FromMinutes(1)); }
            catch (Exception e) { Console.Error.WriteLine($"  warning: stopping the running kernel failed: {e.Message}"); }
        }

        List<double> Share(Dictionary<string, List<double>> d, string mode) => d[mode].Zip(d["bare"], (a, b) => a - b).ToList();
        var importShare = Share(wall, "import");
        var floorShare = Share(wall, "import-floor");
        var invokeShare = Share(wall, "invoke");
        var importShareCpu = Share(cpu, "import");
        var invokeShareCpu = Share(cpu, "invoke");
        double invokeMedian = Stats.Median(invokeShare);
        int slow = invokeShare.Count(x => x > invokeMedian + 100);

        var outcome = new BenchOutcome();
        outcome.Raw["rounds"] = rounds;
        outcome.Raw["pwsh"] = pwsh;
        foreach (var m in modes)
        {
            outcome.Raw[$"wall_{m.Name}_ms"] = Stats.Summary(wall[m.Name]);
            outcome.Raw[$"cpu_{m.Name}_ms"] = Stats.Summary(cpu[m.Name]);
        }
        outcome.Raw["wall_import_share_ms"] = Stats.Summary(importShare);
        outcome.Raw["wall_import_floor_share_ms"] = Stats.Summary(floorShare);
        outcome.Raw["cpu_import_floor_share_ms"] = Stats.Summary(Share(cpu, "import-floor"));
        outcome.Raw["wall_invoke_share_ms"] = Stats.Summary(invokeShare);
        outcome.Raw["cpu_import_share_ms"] = Stats.Summary(importShareCpu);
        outcome.Raw["cpu_invoke_share_ms"] = Stats.Summary(invokeShareCpu);
        string Med(string mode) => $"{Stats.Median(wall[mode]):0} ms wall / {Stats.Median(cpu[mode]):0} ms CPU";
        string how = $"{rounds} rounds, every mode once per round in rotating order; share = mode − bare pwsh of the same round";
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Import-Module", Metric = "median module share over bare pwsh (wall)", Unit = "ms",
            Ours = Stats.Median(importShare), TargetKind = TargetKind.ValueAtMost, Target = 25,
            Note = $"{how}; bare {Med("bare")}, import {Med("import")}; CPU share median {Stats.Median(importShareCpu):0} ms, p90 wall share {Stats.P90(importShare):0} ms",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Import-Module of a one-cmdlet binary module (pwsh's own floor)", Metric = "median share over bare pwsh (wall)", Unit = "ms",
            Ours = Stats.Median(importShare), Reference = Stats.Median(floorShare), ReferenceName = "Import-Module of a manifest + one-cmdlet binary module",
            TargetKind = TargetKind.None,
            Note = $"informational: what pwsh spends importing any binary module (manifest processing, cmdlet discovery, its ModuleLoad telemetry unless POWERSHELL_TELEMETRY_OPTOUT=1), " +
                   $"against ours; CPU share median floor {Stats.Median(Share(cpu, "import-floor")):0} ms vs ours {Stats.Median(importShareCpu):0} ms; p90 wall floor {Stats.P90(floorShare):0} ms",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Import-Module + Invoke-KernelCode -Id <running> 1", Metric = "median module share over bare pwsh (wall)", Unit = "ms",
            Ours = invokeMedian, TargetKind = TargetKind.ValueAtMost, Target = 100,
            Note = $"{how}; invoke {Med("invoke")}; CPU share median {Stats.Median(invokeShareCpu):0} ms, p90 {Stats.P90(invokeShareCpu):0} ms; " +
                   $"{slow} of {invokeShare.Count} samples more than 100 ms above the median (bimodality check)",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Import-Module + Invoke-KernelCode -Id <running> 1", Metric = "p90 module share over bare pwsh (wall)", Unit = "ms",
            Ours = Stats.P90(invokeShare), TargetKind = TargetKind.ValueAtMost, Target = 150,
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Import-Module + Invoke-KernelCode -Id <running> 1", Metric = "median whole process vs jupyter_client attach script", Unit = "ms",
            Ours = Stats.Median(wall["invoke"]), Reference = Stats.Median(wall["py-attach"]), ReferenceName = "python3 cold_start.py attach (interpreter start included)",
            TargetKind = TargetKind.None,
            Note = $"informational: pwsh's own start is most of ours; py-attach {Med("py-attach")}",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "cold pwsh: Start-Kernel | Invoke-KernelCode 1 | Stop-Kernel", Metric = "median whole process vs jupyter_client script", Unit = "ms",
            Ours = Stats.Median(wall["start"]), Reference = Stats.Median(wall["py-start"]), ReferenceName = "python3 cold_start.py start: KernelManager start, execute, shutdown",
            TargetKind = TargetKind.RatioAtMost, Target = 1.0,
            Note = $"{how}; start {Med("start")}, py-start {Med("py-start")}; p90 wall {Stats.P90(wall["start"]):0} vs {Stats.P90(wall["py-start"]):0} ms; " +
                   "ours as `$k = Start-Kernel python3; $k | Invoke-KernelCode 1; $k | Stop-Kernel` (both graceful shutdowns)",
        });
        AddInteractiveAndReadyToRunRows(outcome, wall, cpu, rounds, tab, tabReference, r2r is not null);
        return outcome;
    }

    /// <summary>The rows on the ReadyToRun pwsh (share = mode − bare of the same pwsh and round), Enter-Kernel's first
    /// prompt on both pwsh, and Tab completion on the warm kernel.</summary>
    private static void AddInteractiveAndReadyToRunRows(BenchOutcome outcome, Dictionary<string, List<double>> wall, Dictionary<string, List<double>> cpu,
        int rounds, (double FirstMs, List<double> Warm)? tab, List<double>? tabReference, bool readyToRun)
    {
        List<double> Share(string mode, string bare) => wall[mode].Zip(wall[bare], (a, b) => a - b).ToList();
        string how = $"{rounds} rounds, every mode once per round in rotating order; share = mode − bare pwsh (same pwsh) of the same round";
        string Med(string mode) => $"{Stats.Median(wall[mode]):0} ms wall / {Stats.Median(cpu[mode]):0} ms CPU";
        if (readyToRun)
        {
            outcome.Raw["wall_import_r2r_share_ms"] = Stats.Summary(Share("import-r2r", "bare-r2r"));
            outcome.Raw["wall_invoke_r2r_share_ms"] = Stats.Summary(Share("invoke-r2r", "bare-r2r"));
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "cold ReadyToRun pwsh: Import-Module", Metric = "median module share over bare pwsh (wall)", Unit = "ms",
                Ours = Stats.Median(Share("import-r2r", "bare-r2r")), TargetKind = TargetKind.None,
                Note = $"informational; {how}; bare {Med("bare-r2r")}, import {Med("import-r2r")}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "cold ReadyToRun pwsh: Import-Module of a one-cmdlet binary module (pwsh's own floor)", Metric = "median share over bare pwsh (wall)", Unit = "ms",
                Ours = Stats.Median(Share("import-r2r", "bare-r2r")), Reference = Stats.Median(Share("import-floor-r2r", "bare-r2r")),
                ReferenceName = "Import-Module of a manifest + one-cmdlet binary module, same pwsh", TargetKind = TargetKind.None,
                Note = $"informational; {how}; floor {Med("import-floor-r2r")}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "cold ReadyToRun pwsh: Import-Module + Invoke-KernelCode -Id <running> 1", Metric = "median module share over bare pwsh (wall)", Unit = "ms",
                Ours = Stats.Median(Share("invoke-r2r", "bare-r2r")), TargetKind = TargetKind.ValueAtMost, Target = 100,
                Note = $"{how}; invoke {Med("invoke-r2r")}; p90 share {Stats.P90(Share("invoke-r2r", "bare-r2r")):0} ms",
            });
            if (wall.ContainsKey("invoke-r2r-baseline"))
            {
                outcome.Raw["wall_invoke_r2r_baseline_share_ms"] = Stats.Summary(Share("invoke-r2r-baseline", "bare-r2r"));
                var cpuShare = cpu["invoke-r2r"].Zip(cpu["bare-r2r"], (a, b) => a - b).ToList();
                var cpuBaseline = cpu["invoke-r2r-baseline"].Zip(cpu["bare-r2r"], (a, b) => a - b).ToList();
                outcome.Rows.Add(new ResultRow
                {
                    Benchmark = "cold ReadyToRun pwsh: Import-Module + Invoke-KernelCode -Id <running> 1", Metric = "median module share over bare pwsh (wall), this build vs a baseline build", Unit = "ms",
                    Ours = Stats.Median(Share("invoke-r2r", "bare-r2r")), Reference = Stats.Median(Share("invoke-r2r-baseline", "bare-r2r")),
                    ReferenceName = "the same with JK_BENCH_BASELINE_MODULE (same run, interleaved)", TargetKind = TargetKind.None,
                    Note = $"informational; CPU share median {Stats.Median(cpuShare):0} ms vs baseline {Stats.Median(cpuBaseline):0} ms; baseline {Med("invoke-r2r-baseline")}",
                });
                var cpuImport = cpu["import-r2r"].Zip(cpu["bare-r2r"], (a, b) => a - b).ToList();
                var cpuImportBaseline = cpu["import-r2r-baseline"].Zip(cpu["bare-r2r"], (a, b) => a - b).ToList();
                outcome.Raw["wall_import_r2r_baseline_share_ms"] = Stats.Summary(Share("import-r2r-baseline", "bare-r2r"));
                outcome.Rows.Add(new ResultRow
                {
                    Benchmark = "cold ReadyToRun pwsh: Import-Module", Metric = "median module share over bare pwsh (wall), this build vs a baseline build", Unit = "ms",
                    Ours = Stats.Median(Share("import-r2r", "bare-r2r")), Reference = Stats.Median(Share("import-r2r-baseline", "bare-r2r")),
                    ReferenceName = "the same with JK_BENCH_BASELINE_MODULE (same run, interleaved)", TargetKind = TargetKind.None,
                    Note = $"informational; CPU share median {Stats.Median(cpuImport):0} ms vs baseline {Stats.Median(cpuImportBaseline):0} ms; baseline {Med("import-r2r-baseline")}",
                });
            }
        }
        foreach (var (mode, bare, label) in new[] { ("enter", "bare", "cold pwsh"), ("enter-r2r", "bare-r2r", "cold ReadyToRun pwsh") })
        {
            if (!wall.ContainsKey(mode) || !wall.ContainsKey(bare)) continue;
            outcome.Raw[$"wall_{mode}_first_prompt_share_ms"] = Stats.Summary(Share(mode, bare));
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = $"{label}: Import-Module + Enter-Kernel -Id <running>, to the first prompt", Metric = "median share over bare pwsh (wall)", Unit = "ms",
                Ours = Stats.Median(Share(mode, bare)), TargetKind = TargetKind.None,
                Note = $"informational; in a pseudo-terminal (script(1)), from the process start to '[python3] In [n]:' on the screen, against bare `pwsh -c 1` to its exit; " +
                       $"first prompt median {Stats.Median(wall[mode]):0} ms, bare {Stats.Median(wall[bare]):0} ms",
            });
        }
        if (tab is { } t)
        {
            outcome.Raw["tab_completion_ms"] = Stats.Summary(t.Warm);
            outcome.Raw["tab_completion_first_ms"] = t.FirstMs;
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "Enter-Kernel: Tab completion of `import o` on a warm kernel", Metric = "median from the key to the listing on the screen", Unit = "ms",
                Ours = Stats.Median(t.Warm), TargetKind = TargetKind.ValueAtMost, Target = 50,
                Reference = tabReference is { Count: > 0 } r ? Stats.Median(r) : null,
                ReferenceName = "jupyter_client complete_request round trip on the same kernel (the kernel's own share)",
                Note = $"{t.Warm.Count} Tabs in one session on {(readyToRun ? "the ReadyToRun" : "the tool")} pwsh after an untimed first one ({t.FirstMs:0} ms); " +
                       $"p90 {Stats.P90(t.Warm):0} ms; includes the kernel's own completion (IPython + jedi) and our redraw",
            });
        }
    }

    /// <summary>
    /// The floor of any binary module's import: a manifest (RootModule, version, GUID, explicit exports) and a dll with
    /// one trivial cmdlet, compiled once with Add-Type by the same pwsh (untimed). Returns the manifest's path.
    /// </summary>
    private static async Task<string> BuildFloorModuleAsync(string pwsh, string dir, IReadOnlyDictionary<string, string> env, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var dll = Path.Combine(dir, "Floor.dll");
        var manifest = Path.Combine(dir, "Floor.psd1");
        const string source = "using System.Management.Automation; namespace Floor { [Cmdlet(VerbsCommon.Get, \"FloorThing\")] public sealed class GetFloorThing : PSCmdlet " +
                              "{ [Parameter(Position = 0)] public string Id { get; set; } protected override void ProcessRecord() => WriteObject(Id); } }";
        if (!File.Exists(dll))
            await RunAsync(pwsh, new[] { "-NoProfile", "-NonInteractive", "-Command",
                $"Add-Type -OutputAssembly '{dll}' -OutputType Library -TypeDefinition '{source}'" }, env, ct, TimeSpan.FromMinutes(2));
        File.WriteAllText(manifest, "@{ RootModule = 'Floor.dll'; ModuleVersion = '0.1.0'; GUID = '1f3c2a8e-4b1d-4e7a-9c55-2d8f0b7a91c4'; " +
                                    "CmdletsToExport = @('Get-FloorThing'); FunctionsToExport = @(); AliasesToExport = @(); VariablesToExport = @() }");
        return manifest;
    }

    /// <summary>The pwsh the project installs: JK_BENCH_PWSH, else the local tool's binary (after `dotnet tool restore`).</summary>
    internal static async Task<string> FindPwshAsync(string repo, string dotnet, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("JK_BENCH_PWSH") is { Length: > 0 } explicitPath) return explicitPath;
        await RunAsync(dotnet, new[] { "tool", "restore" }, new Dictionary<string, string>(), ct, TimeSpan.FromMinutes(5), workingDirectory: repo);
        var tools = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".config", "dotnet-tools.json")))!;
        var version = tools["tools"]!["powershell"]!["version"]!.GetValue<string>();
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "powershell", version, "tools", "net10.0", "any", OperatingSystem.IsWindows() ? "win" : "unix",
            OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh");
        if (!File.Exists(path)) throw new InvalidOperationException($"pwsh {version} not found at {path} after `dotnet tool restore`");
        return path;
    }

    private readonly record struct ProcessResult(double WallMs, double CpuMs, string Stdout);

    private static async Task<ProcessResult> RunAsync(string file, string[] args, IReadOnlyDictionary<string, string> env, CancellationToken ct,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        double cpu0 = ChildrenCpuMs();
        long t0 = Stopwatch.GetTimestamp();
        var (output, error, exitCode) = await ChildProcess.RunAsync(psi, timeout ?? TimeSpan.FromSeconds(120), ct);
        double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        double cpu = ChildrenCpuMs() - cpu0;
        if (exitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {exitCode}: {error}{output}");
        return new ProcessResult(wall, cpu, output);
    }

    // getrusage(RUSAGE_CHILDREN): user + system time of every reaped child (Process reaps with waitpid), so the delta
    // around one awaited process is that process's CPU time. Linux x64 layout: two timevals, then 14 longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec, UserMicro, SysSec, SysMicro;
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    private static double ChildrenCpuMs()
    {
        if (!OperatingSystem.IsLinux() || getrusage(-1, out var u) != 0) return double.NaN;
        return (u.UserSec + u.SysSec) * 1e3 + (u.UserMicro + u.SysMicro) / 1e3;
    }
}
