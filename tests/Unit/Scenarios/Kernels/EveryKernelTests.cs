using JupyterKernels.Connections;
using JupyterKernels.Providers.Local;
using JupyterKernels.Service;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.MultiClient.SharedKernelSupport;

namespace JupyterKernels.Tests.Kernels;

/// <summary>
/// The same scenarios on ipykernel (python3), IRkernel (ir) and xeus-python (xpython), as Debian installs them: two
/// service instances (two PowerShell processes) over one store share the kernel, restart it and time out on it.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts kernels
public sealed class EveryKernelTests : TwoServiceTests
{
    public static TheoryData<string> Kernels => new() { "python3", "ir", "xpython" };

    /// <summary>Code that prints a marker, in the kernel's language.</summary>
    private static string Print(string spec, string text) => spec == "ir" ? $"cat(\"{text}\\n\")" : $"print(\"{text}\")";
    private static string Sleep(string spec, double seconds) => spec == "ir" ? $"Sys.sleep({seconds})" : $"import time; time.sleep({seconds})";

    private async Task<string> StartAsync(string spec, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
        => (await A.StartKernelAsync(new StartKernelOptions
        {
            SpecName = spec,
            WorkingDirectory = workingDirectory,
            Environment = environment ?? new Dictionary<string, string>(),
        }, null, Bound())).Id;

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task Two_processes_share_the_kernel_without_seeing_a_restart(string spec)
    {
        var id = await StartAsync(spec);
        Assert.Equal("ok", (await RunAsync(A, id, Print(spec, "a-ready"))).Status);
        // Each asks while the other's cell runs: IRkernel copies each requester's session into its replies.
        var first = RunAsync(A, id, Print(spec, "from-a") + (spec == "ir" ? "; " : "\n") + Sleep(spec, 2));
        var second = RunAsync(B, id, Print(spec, "from-b"));
        var (a, b) = (await first, await second);
        Assert.True(a.Status == "ok" && a.Stdout.Contains("from-a"), a.ToString());
        Assert.True(b.Status == "ok" && b.Stdout.Contains("from-b"), b.ToString());
        var again = await RunAsync(A, id, Print(spec, "a-again"));
        Assert.True(again.Status == "ok" && again.Stdout.Contains("a-again"), again.ToString());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task Another_jupyter_client_beside_us_is_no_restart(string spec)
    {
        var id = await StartAsync(spec);
        Assert.Equal("ok", (await RunAsync(A, id, Print(spec, "ready"))).Status);
        var file = (await A.GetKernelAsync(id, Bound())).ConnectionFile!;
        // jupyter_client's blocking client, as jupyter console --existing uses it, runs a cell while ours runs.
        var code = spec == "ir" ? "cat('console\\n'); Sys.sleep(1)" : "print('console'); import time; time.sleep(1)";
        var script = "import sys, jupyter_client\n" +
                     "c = jupyter_client.BlockingKernelClient(); c.load_connection_file(sys.argv[1]); c.start_channels()\n" +
                     $"r = c.execute_interactive({System.Text.Json.JsonSerializer.Serialize(code)}, timeout=60)\n" +
                     "print('console-status', r['content']['status'])\n";
        var console = RunPythonAsync(script, file);
        var ours = await RunAsync(A, id, Print(spec, "ours") + (spec == "ir" ? "; " : "\n") + Sleep(spec, 2));
        var theirs = await console;
        Assert.True(ours.Status == "ok" && ours.Stdout.Contains("ours"), ours.ToString());
        Assert.Contains("console-status ok", theirs);
        // The console's traffic (its session on IRkernel) came between our calls: the next one is no restart either.
        var next = await RunAsync(A, id, Print(spec, "next"));
        Assert.True(next.Status == "ok" && next.Stdout.Contains("next"), next.ToString());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task A_restart_from_another_process_keeps_the_environment_and_working_directory(string spec)
    {
        using var work = new TempDirectory("jk-wd");
        var id = await StartAsync(spec, work.Path, new Dictionary<string, string> { ["JK_FOO"] = "bar" });
        var show = spec == "ir" ? "cat(Sys.getenv('JK_FOO'), getwd(), '\\n')" : "import os; print(os.environ.get('JK_FOO'), os.getcwd())";
        Assert.Contains($"bar {work.Path}", (await RunAsync(A, id, show)).Stdout);
        var before = (await A.GetKernelAsync(id, Bound())).Pid;

        var restarted = await B.RestartKernelAsync(id, force: false, Bound());
        Assert.NotEqual(before, restarted.Pid);
        Assert.Equal(KernelState.Idle, restarted.State);
        var after = await RunAsync(A, id, show);
        Assert.True(after.Stdout.Contains($"bar {work.Path}"), after.ToString());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task A_timeout_ends_within_a_few_hundred_ms_and_the_kernel_is_free_after(string spec)
    {
        var id = await StartAsync(spec);
        var first = await RunAsync(B, id, Print(spec, "fresh"));
        Assert.Equal("ok", first.Status);
        var timed = await RunAsync(B, id, Sleep(spec, 30), timeout: TimeSpan.FromSeconds(1.5));
        Assert.True(timed.Failure is { ErrorId: ErrorIds.ExecutionTimeout }, timed.ToString());
        // The bound is generous for loaded machines; before, IRkernel took 3.5-6.6 s (a control probe it never answers).
        Assert.True(timed.Took < TimeSpan.FromSeconds(3), timed.ToString());
        var next = await RunAsync(B, id, Print(spec, "free"), timeout: TimeSpan.FromSeconds(20));
        if (spec == "xpython")
        {
            // xeus-python 0.14 (Debian) exits on SIGINT, under jupyter_client too (its interrupt_request is acknowledged
            // and does nothing): the module says so instead of hanging or pretending.
            Assert.True(next.Failure is { ErrorId: ErrorIds.KernelDied }, next.ToString());
            return;
        }
        Assert.True(next.Status == "ok" && next.Stdout.Contains("free"), next.ToString());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task What_the_kernel_answers_on_control_is_learned_once_and_kept_in_its_record(string spec)
    {
        var id = await StartAsync(spec);
        var store = await A.StoreAsync(Bound());
        var record = (await store.GetKernelAsync(id))!;
        Assert.Equal(spec != "ir", LocalKernelData.Of(record).Channels?.ControlAnswers);
        // A restart keeps it (same kernelspec, same kernel).
        await A.RestartKernelAsync(id, force: false, Bound());
        Assert.Equal(spec != "ir", LocalKernelData.Of((await store.GetKernelAsync(id))!).Channels?.ControlAnswers);
    }

    [Fact]
    public async Task IRkernel_reports_an_interrupt_as_interrupted_not_as_a_stop_on_error_abort()
    {
        var id = await StartAsync("ir");
        var execution = await A.ExecuteAsync(id, "Sys.sleep(20)", new ExecuteOptions(), Bound());
        await Task.Delay(1500);
        await B.InterruptKernelAsync(id, Bound());
        var reply = await execution.Completion.WaitAsync(Bound(30));
        Assert.True(reply.Interrupted, $"status {reply.Status}");
        Assert.Equal(ErrorIds.ExecutionInterrupted, execution.AbortedError(reply)!.ErrorId);
    }

    [Fact]
    public async Task An_execution_is_recorded_before_a_new_process_has_connected()
    {
        var id = await StartAsync("ir");
        // Forget what IRkernel answers, so B's first connection must find out (3 s of asking control first).
        var store = await A.StoreAsync(Bound());
        var record = (await store.GetKernelAsync(id))!;
        await store.UpdateKernelAsync((LocalKernelData.Of(record) with { Channels = null }).ApplyTo(record));

        var started = B.ExecuteAsync(id, "Sys.sleep(3)", new ExecuteOptions(), Bound());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await store.ListExecutionsAsync(id)).Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        Assert.False(started.IsCompleted, "the connection was made before anything was recorded");
        // That row is what another process's Stop-Kernel and Sync see (KernelBusy: tested across real processes).
        Assert.Equal(Environment.ProcessId, Assert.Single(await store.ListExecutionsAsync(id)).OwnerPid);
        var execution = await started;
        Assert.Equal("ok", (await execution.Completion.WaitAsync(Bound(30))).Status);
    }

    [Fact]
    public async Task A_refused_restart_leaves_no_Restarting_and_sync_repairs_a_stale_one()
    {
        var id = await StartAsync("python3");
        var store = await A.StoreAsync(Bound());
        var file = (await A.GetKernelAsync(id, Bound())).ConnectionFile!;
        // An adopted kernel cannot be restarted by us: the refusal leaves the record as it was.
        var adopted = await B.ConnectKernelAsync(file, Bound());
        Assert.Equal(id, adopted.Id); // known already: same record
        var record = (await store.GetKernelAsync(id))!;
        await store.UpdateKernelAsync((LocalKernelData.Of(record) with { Adopted = true }).ApplyTo(record));
        var refused = await Assert.ThrowsAsync<KernelException>(() => B.RestartKernelAsync(id, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelRestartNotSupported, refused.ErrorId);
        Assert.Equal(KernelState.Idle, (await A.GetKernelAsync(id, Bound())).State);
        Assert.Equal(KernelState.Idle, (await B.GetKernelAsync(id, Bound())).State);

        // A Restarting left behind by a process that died mid-restart: Sync sees the kernel alive and repairs it.
        await store.UpdateKernelAsync((await store.GetKernelAsync(id))! with { State = KernelState.Restarting });
        await foreach (var _ in B.SynchronizeAsync(new SyncOptions(), null, null, Bound())) { }
        Assert.Equal(KernelState.Idle, (await A.GetKernelAsync(id, Bound())).State);
        await store.UpdateKernelAsync((LocalKernelData.Of(record) with { Adopted = false }).ApplyTo((await store.GetKernelAsync(id))!));
    }

    [Fact]
    public async Task A_bare_python_argv0_runs_the_python_of_the_installation_holding_the_spec()
    {
        // As Debian's metakernel packages place it: <prefix>/share/jupyter/kernels/<name>/kernel.json saying "python -m ...",
        // with <prefix>/bin/python3 beside it and, first on PATH, another "python" that lacks the kernel's module.
        var prefix = Fixture.Root.Combine("prefix");
        var spec = Path.Combine(prefix, "share", "jupyter", "kernels", "metapy");
        Directory.CreateDirectory(spec);
        Directory.CreateDirectory(Path.Combine(prefix, "bin"));
        File.CreateSymbolicLink(Path.Combine(prefix, "bin", "python3"), "/usr/bin/python3");
        File.WriteAllText(Path.Combine(spec, "kernel.json"),
            """{"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Meta", "language": "python"}""");
        var other = Fixture.Root.Combine("otherpython");
        Directory.CreateDirectory(other);
        var fake = Path.Combine(other, "python");
        File.WriteAllText(fake, "#!/bin/sh\necho 'No module named ipykernel_launcher' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Fixture.Environment["JUPYTER_PATH"] = Fixture.Environment["JUPYTER_PATH"] + Path.PathSeparator + Path.Combine(prefix, "share", "jupyter");
        Fixture.Environment["PATH"] = other + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        await using var service = Fixture.NewService();

        var id = (await service.StartKernelAsync(new StartKernelOptions { SpecName = "metapy" }, null, Bound())).Id;
        var run = await RunAsync(service, id, "import sys; print(sys.executable)");
        Assert.True(run.Status == "ok" && run.Stdout.Contains(Path.Combine(prefix, "bin", "python3")), run.ToString());
        await service.StopKernelAsync(id, force: true, Bound());
    }

    /// <summary>Runs a Python script with Debian's python3 and returns what it printed (stdout and stderr).</summary>
    private static async Task<string> RunPythonAsync(string script, string argument)
    {
        var start = new System.Diagnostics.ProcessStartInfo(RealPython.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(Bound(120));
        return await stdout + await stderr;
    }
}
