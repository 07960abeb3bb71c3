using System.Diagnostics;
using System.Text.Json;
using JupyterKernels.Service;
using JupyterKernels.Providers;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.MultiClient.SharedKernelSupport;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>
/// A kernel shared on a real jupyter-server: the module beside a second user (peers/second_client.py: its own WebSocket for
/// execute, the REST API for restart), as JupyterLab would be.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes or servers
public sealed class SharedRemoteKernelTests : RemoteServiceTests
{
    private string _kernelId = null!;
    private string _remoteId = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        _kernelId = kernel.Id;
        _remoteId = kernel.RemoteId ?? kernel.Id;
        var first = await RunAsync(Service, _kernelId, "pass");
        Assert.True(first.Status == "ok", $"first execute: {first.Status} {first.Failure?.ErrorId} {first.Failure?.Message}");
    }

    /// <summary>The second user: runs one command of peers/second_client.py; <paramref name="started"/> completes
    /// when its execution is busy on the kernel.</summary>
    private async Task<JsonElement> SecondUserAsync(TaskCompletionSource? started, params string[] args)
    {
        var psi = new ProcessStartInfo(RealPython.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Scenarios", "MultiClient", "peers", "second_client.py"));
        foreach (var a in new[] { Server.Url, Server.Token, _remoteId }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PYTHONPATH");
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        JsonElement? last = null;
        while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(150)) is { } line)
        {
            var json = JsonDocument.Parse(line).RootElement.Clone();
            if (json.TryGetProperty("event", out var e) && e.GetString() == "started") started?.TrySetResult();
            else last = json;
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        started?.TrySetResult();
        Assert.True(last is not null, $"second client failed (exit {process.ExitCode}): {await stderr}");
        return last!.Value;
    }

    private static string Describe(JsonElement e) => e.GetRawText();

    [Fact]
    public async Task Our_timeout_while_queued_behind_the_other_users_cell_does_not_interrupt_it()
    {
        var started = new TaskCompletionSource();
        var theirs = SecondUserAsync(started, "exec", "import time; time.sleep(8); print('lab-done')");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var mine = await RunAsync(Service, _kernelId, "print('quick')", timeout: TimeSpan.FromSeconds(3));

        Assert.True(mine.Failure is { ErrorId: ErrorIds.ExecutionTimeout }, mine.ToString());
        Assert.Contains("queued behind other work", mine.Failure!.Message);
        var result = await theirs;
        Assert.True(result.GetProperty("status").GetString() == "ok" && result.GetProperty("stdout").GetString()!.Contains("lab-done"), Describe(result));
    }

    [Fact]
    public async Task A_REST_restart_by_the_other_user_ends_our_call_without_timeout_with_KernelRestarted()
    {
        // A cell that survives SIGINT: only the restart can end it.
        var mine = RunAsync(Service, _kernelId, "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60); print('never')");
        await Task.Delay(3000);
        Assert.Equal("ok", (await SecondUserAsync(null, "restart")).GetProperty("status").GetString());
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
        Assert.True(run.Took < TimeSpan.FromSeconds(50), run.ToString());
        var after = await RunAsync(Service, _kernelId, "print('after')", timeout: TimeSpan.FromSeconds(30));
        Assert.True(after.Status == "ok" && after.Stdout.Contains("after"), after.ToString());
    }

    [Fact]
    public async Task A_REST_restart_under_an_ordinary_cell_is_KernelRestarted_although_the_old_process_answered_KeyboardInterrupt_first()
    {
        // jupyter_client interrupts before it shuts the kernel down: the old process ends our cell with KeyboardInterrupt.
        var mine = RunAsync(Service, _kernelId, "import time; time.sleep(60); print('never')");
        await Task.Delay(3000);
        Assert.Equal("ok", (await SecondUserAsync(null, "restart")).GetProperty("status").GetString());
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
        var after = await RunAsync(Service, _kernelId, "print('after')", timeout: TimeSpan.FromSeconds(30));
        Assert.True(after.Status == "ok" && after.Stdout.Contains("after"), after.ToString());
    }

    [Fact]
    public async Task After_a_REST_restart_our_timeout_never_interrupts_the_other_users_new_cell()
    {
        var mine = RunAsync(Service, _kernelId, "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)", timeout: TimeSpan.FromSeconds(12));
        await Task.Delay(3000);
        Assert.Equal("ok", (await SecondUserAsync(null, "restart")).GetProperty("status").GetString());
        // The other user's cell on the new kernel spans the moment our timeout would have fired.
        var theirs = SecondUserAsync(null, "exec", "import time; time.sleep(14); print('lab-after-restart')");
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(40));
        var result = await theirs;

        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
        Assert.True(result.GetProperty("status").GetString() == "ok" && result.GetProperty("stdout").GetString()!.Contains("lab-after-restart"), Describe(result));
    }

    private async Task<int> ServerConnectionsAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", Server.Token);
        return JsonDocument.Parse(await http.GetStringAsync($"api/kernels/{_remoteId}")).RootElement.GetProperty("connections").GetInt32();
    }

    private static async Task<List<SyncResult>> SyncAsync(IKernelService service, SyncOptions options)
    {
        var list = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(options, null, null, Bound())) list.Add(r);
        return list;
    }

    [Fact]
    public async Task An_idle_cached_connection_is_closed_so_the_kernel_can_be_culled_and_the_reason_names_what_kept_it()
    {
        // This process (the fixture's service, default idle period of 10 minutes) is connected: the server counts it.
        Assert.Equal(1, await ServerConnectionsAsync());
        var kept = await SyncAsync(Service, new SyncOptions { Providers = new[] { "srv" }, CullIdle = TimeSpan.FromMilliseconds(1) });
        var reason = Assert.Single(kept, r => r.KernelId == _kernelId).Reason;
        Assert.Contains("not culled: 1 open connection", reason);
        var recent = await SyncAsync(Service, new SyncOptions { Providers = new[] { "srv" }, CullIdle = TimeSpan.FromHours(1), IncludeConnected = true });
        Assert.Contains("not culled: activity at", Assert.Single(recent, r => r.KernelId == _kernelId).Reason);

        await Service.DisposeAsync(); // that process ends; another one, long-running, with a short idle period
        Service = Fixture.NewService(configure: o => o with { IdleConnectionTimeout = TimeSpan.FromSeconds(2) });
        Assert.Equal("ok", (await RunAsync(Service, _kernelId, "pass")).Status);
        Assert.Equal(1, await ServerConnectionsAsync());
        var clock = Stopwatch.StartNew();
        while (await ServerConnectionsAsync() > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(250);
        Assert.Equal(0, await ServerConnectionsAsync());
        // It reconnects for the next call, and lets go again.
        var again = await RunAsync(Service, _kernelId, "print('again')");
        Assert.True(again.Status == "ok" && again.Stdout.Contains("again"), again.ToString());
        while (await ServerConnectionsAsync() > 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(250);
        var culled = await SyncAsync(Service, new SyncOptions { Providers = new[] { "srv" }, CullIdle = TimeSpan.FromMilliseconds(1) });
        Assert.Contains(culled, r => r.KernelId == _kernelId && r.Action == SyncAction.Culled);
    }

    /// <summary>The other user opens a notebook, as JupyterLab does: POST /api/sessions starts its kernel.</summary>
    private async Task<(string SessionId, string KernelId)> OtherUserOpensAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", Server.Token);
        var body = JsonSerializer.Serialize(new { path, name = Path.GetFileName(path), type = "notebook", kernel = new { name = "python3" } });
        var response = await http.PostAsync("api/sessions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var model = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (model.GetProperty("id").GetString()!, model.GetProperty("kernel").GetProperty("id").GetString()!);
    }

    private async Task<int> ServerKernelCountAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", Server.Token);
        return JsonDocument.Parse(await http.GetStringAsync("api/kernels")).RootElement.GetArrayLength();
    }

    [Fact]
    public async Task New_session_on_a_path_the_other_user_has_open_adopts_that_kernel_and_starts_no_second_one()
    {
        var (_, labKernel) = await OtherUserOpensAsync("work/a.ipynb");
        var before = await ServerKernelCountAsync();

        var session = await Service.NewSessionAsync("a.ipynb", "srv/python3", "work/a.ipynb", "notebook", null, Bound());
        var kernel = await Service.GetKernelAsync(session.KernelId, Bound());
        Assert.Equal(labKernel, kernel.RemoteId ?? kernel.Id);
        Assert.Equal(before, await ServerKernelCountAsync());
        Assert.Contains(await Service.GetSessionsAsync(Bound()), s => s.Name == "a.ipynb" && s.KernelId == kernel.Id);
        var run = await RunAsync(Service, kernel.Id, "print('in lab kernel')");
        Assert.True(run.Status == "ok" && run.Stdout.Contains("in lab kernel"), run.ToString());
        // Another name for the same path is the same kernel too: one session per path.
        var again = await Service.NewSessionAsync("other-name", "srv/python3", "/work/a.ipynb", "notebook", null, Bound());
        Assert.Equal(kernel.Id, again.KernelId);
        Assert.Equal(before, await ServerKernelCountAsync());
    }

    [Fact]
    public async Task Sync_Adopt_brings_in_the_other_users_sessions_with_their_kernels()
    {
        var (_, labKernel) = await OtherUserOpensAsync("work/b.ipynb");
        var results = await SyncAsync(Service, new SyncOptions { Providers = new[] { "srv" }, Adopt = true });
        var adopted = Assert.Single(results, r => r.Action == SyncAction.Adopted);
        var session = Assert.Single(await Service.GetSessionsAsync(Bound()), s => s.Name == "b.ipynb");
        Assert.Equal("work/b.ipynb", session.Path);
        Assert.Equal(adopted.KernelId, session.KernelId);
        Assert.Equal(labKernel, (await Service.GetKernelAsync(session.KernelId, Bound())).RemoteId ?? session.KernelId);
    }

    [Fact]
    public async Task A_kernel_deleted_by_the_other_user_is_reported_with_the_servers_404_by_a_long_running_process()
    {
        using (var http = new HttpClient { BaseAddress = new Uri(Server.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", Server.Token);
            Assert.True((await http.DeleteAsync($"api/kernels/{_remoteId}")).IsSuccessStatusCode);
        }
        // This process is still connected (its WebSocket stays open on jupyter-server 1.23).
        var run = await RunAsync(Service, _kernelId, "print('gone?')", timeout: TimeSpan.FromSeconds(30));
        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelDied or ErrorIds.KernelNotFound }, run.ToString());
        Assert.Contains("404", run.Failure!.Message);
        Assert.DoesNotContain("heartbeat", run.Failure.Message);
    }

    [Fact]
    public async Task A_request_queued_when_the_other_user_restarts_never_succeeds_without_its_output()
    {
        var started = new TaskCompletionSource();
        var theirs = SecondUserAsync(started, "exec", "import time; time.sleep(8)");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var mine = RunAsync(Service, _kernelId, "print('mine')");
        await Task.Delay(2000);
        Assert.Equal("ok", (await SecondUserAsync(null, "restart")).GetProperty("status").GetString());
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(40));
        await theirs;

        // Either it ran on the new kernel in our hearing (with its output), or the old kernel aborted it on shutdown
        // (an "aborted" reply, which Invoke-KernelCode reports as ExecutionAborted), or it ends with KernelRestarted.
        // Never "ok" without its output.
        if (run.Status == "ok") Assert.Contains("mine", run.Stdout);
        else Assert.True(run.Status == "aborted" || run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
    }
}
