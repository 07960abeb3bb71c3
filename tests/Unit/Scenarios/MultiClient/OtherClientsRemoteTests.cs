using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.MultiClient.SharedKernelSupport;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>
/// Other clients and other machines on a real jupyter-server: JupyterLab's own client library (@jupyterlab/services in
/// Node, Scenarios/MultiClient/labclient) runs cells beside the module, and a second store (another machine) runs the same lines.
/// What the module says and does about a kernel follows what the server says.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes or servers
public sealed class OtherClientsRemoteTests : RemoteServiceTests
{
    private OtherClientPeer LabUser(params string[] args) => OtherClientPeer.StartLab(Server.Url, Server.Token, args);

    [Fact]
    public async Task Stop_and_restart_refuse_while_a_Lab_user_runs_a_cell_and_Force_goes_ahead()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        await using var lab = LabUser("exec", kernel.RemoteId!, "import time; time.sleep(10); print('lab-done')");
        await lab.WaitForAsync("event", "started");

        Assert.Equal(KernelState.Busy, (await Service.GetKernelAsync(kernel.Id, Bound())).State);
        Assert.Equal(KernelState.Busy, (await Service.GetKernelsAsync(Bound())).Single(k => k.Id == kernel.Id).State);
        var stop = await Assert.ThrowsAsync<KernelException>(() => Service.StopKernelAsync(kernel.Id, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelBusy, stop.ErrorId);
        Assert.Contains("execution_state busy", stop.Message);
        Assert.Contains("-Force", stop.Message);
        var restart = await Assert.ThrowsAsync<KernelException>(() => Service.RestartKernelAsync(kernel.Id, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelBusy, restart.ErrorId);

        // Lab's cell was not touched: it ends as it would have.
        var result = await lab.WaitForAsync("status");
        Assert.True(result.GetProperty("status").GetString() == "ok" && result.GetProperty("stdout").GetString()!.Contains("lab-done"), result.GetRawText());
        await Service.StopKernelAsync(kernel.Id, force: false, Bound());
    }

    [Fact]
    public async Task Force_stops_a_kernel_a_Lab_user_is_running_a_cell_on()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        await using var lab = LabUser("exec", kernel.RemoteId!, "import time; time.sleep(30)");
        await lab.WaitForAsync("event", "started");
        var stopped = await Service.StopKernelAsync(kernel.Id, force: true, Bound());
        Assert.Equal(KernelState.Stopped, stopped.State);
        Assert.Empty(await Service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task A_remote_kernels_id_is_the_servers_and_the_servers_id_is_accepted_for_older_records()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        Assert.Equal(kernel.RemoteId, kernel.Id);

        // A record made before ids were the server's: its own id, the server's in RemoteId. Both name it.
        var other = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        var oldId = Guid.NewGuid().ToString();
        await using (var store = await KernelStore.OpenAsync(Fixture.DatabasePath))
        {
            var record = await store.GetKernelAsync(other.Id) ?? throw new InvalidOperationException("record missing");
            await store.RemoveKernelAsync(other.Id);
            await store.AddKernelAsync(record with { Id = oldId });
        }
        Assert.Equal(oldId, (await Service.GetKernelAsync(other.RemoteId!, Bound())).Id);
        var run = await RunAsync(Service, other.RemoteId!, "print('by server id')");
        Assert.True(run.Status == "ok" && run.Stdout.Contains("by server id"), run.ToString());
        await Service.StopKernelAsync(other.RemoteId!, force: false, Bound());
        await Assert.ThrowsAsync<KernelException>(() => Service.GetKernelAsync(oldId, Bound()));
    }

    [Fact]
    public async Task The_same_New_KernelSession_line_on_two_machines_reaches_one_kernel()
    {
        await using var machineB = new ServiceFixture();
        await using var b = machineB.NewService();
        await b.RegisterProviderAsync(new ProviderRegistration { Name = "srv", Url = Server.Url, TokenEnvironmentVariable = TokenVariable }, Bound());

        var onA = await Service.NewSessionAsync("etl", "srv/python3", null, null, null, Bound());
        // JupyterLab sees the session A published: name and path "etl", A's kernel.
        await using (var lab = LabUser("sessions"))
        {
            var sessions = (await lab.WaitForAsync("sessions")).GetProperty("sessions").EnumerateArray().ToList();
            Assert.Contains(sessions, x => x.GetProperty("name").GetString() == "etl" && x.GetProperty("kernel").GetString() == onA.KernelId);
        }
        var onB = await b.NewSessionAsync("etl", "srv/python3", null, null, null, Bound());

        var kernelA = await Service.GetKernelAsync(onA.KernelId, Bound());
        var kernelB = await b.GetKernelAsync(onB.KernelId, Bound());
        Assert.Equal(kernelA.RemoteId, kernelB.RemoteId);
        Assert.Equal(kernelA.Id, kernelB.Id); // one id on every machine: the server's
        Assert.NotEqual(KernelState.Starting, kernelB.State);
        // What A defines, B sees: one kernel.
        Assert.Equal("ok", (await RunAsync(Service, kernelA.Id, "shared = 42")).Status);
        var seen = await RunAsync(b, kernelB.Id, "print(shared)");
        Assert.True(seen.Stdout.Contains("42"), seen.ToString());
    }

    [Fact]
    public async Task Sync_RemoveDead_removes_records_whose_provider_is_gone_and_WhatIf_only_says_so()
    {
        await using (var store = await KernelStore.OpenAsync(Fixture.DatabasePath))
            await store.AddKernelAsync(StoreTestUtil.Record("left-behind", provider: "gone", state: KernelState.Unknown));

        var kept = await Collect(Service.SynchronizeAsync(new SyncOptions(), null, null, Bound()));
        Assert.Contains(kept, r => r.KernelId == "left-behind" && r.Action == SyncAction.Kept && r.Reason.Contains("-RemoveDead"));
        var whatIf = await Collect(Service.SynchronizeAsync(new SyncOptions { RemoveDead = true, WhatIf = true }, null, null, Bound()));
        Assert.Contains(whatIf, r => r.KernelId == "left-behind" && r.Action == SyncAction.Removed && r.WhatIf);
        Assert.NotNull(await Service.GetKernelAsync("left-behind", Bound()));
        var removed = await Collect(Service.SynchronizeAsync(new SyncOptions { RemoveDead = true }, null, null, Bound()));
        Assert.Contains(removed, r => r.KernelId == "left-behind" && r.Action == SyncAction.Removed && !r.WhatIf && r.Reason.Contains("'gone' is not registered"));
        await Assert.ThrowsAsync<KernelException>(() => Service.GetKernelAsync("left-behind", Bound()));
    }

    private static async Task<List<SyncResult>> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list;
    }
}
