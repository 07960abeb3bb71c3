using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Tests.Service;

/// <summary>Records that no longer match the world: a connection file deleted by hand, a pid reused by another
/// program. Neither may lose a live kernel, and a stranger's process must never be signalled.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class ServiceBadRecordTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_connection_file_deleted_by_hand_does_not_lose_the_kernel()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        File.Delete(kernel.ConnectionFile!);

        // A new process still reaches it: the store keeps the connection info.
        await using var other = _fixture.NewService();
        var execution = await other.ExecuteAsync(kernel.Id, "print('still here')", new ExecuteOptions(), Bound());
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(Bound())) if (o is KernelStreamOutput s) text.Append(s.Text);
        Assert.Equal("still here\n", text.ToString());
        var sync = new List<SyncResult>();
        await foreach (var r in other.SynchronizeAsync(new SyncOptions { RemoveDead = true }, null, null, Bound())) sync.Add(r);
        Assert.Contains(sync, r => r.KernelId == kernel.Id && r.Action is SyncAction.Kept or SyncAction.Updated);
    }

    [Fact]
    public async Task A_pid_reused_by_another_program_is_never_signalled_and_the_record_is_reported_gone()
    {
        // A stranger process, and a record that claims its pid but with our (dead) kernel's start time.
        using var stranger = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            await using var service = _fixture.NewService();
            var store = await KernelStore.OpenAsync(_fixture.DatabasePath);
            await using (store)
            {
                var info = ConnectionInfo.CreateLocal("python3");
                await store.AddKernelAsync(new KernelRecord
                {
                    Id = Guid.NewGuid().ToString(),
                    Provider = "local",
                    SpecName = "python3",
                    ProviderData = new LocalKernelData
                    {
                        ConnectionInfoJson = ConnectionFile.Serialize(info),
                        Pid = stranger.Id,
                        ProcessStartTime = DateTimeOffset.UtcNow.AddHours(-3),
                    }.ToJson(),
                    CreatedAt = DateTimeOffset.UtcNow.AddHours(-3),
                    State = KernelState.Idle,
                }, Bound());
            }
            var record = Assert.Single(await service.GetKernelsAsync(Bound()));

            var interrupt = await Assert.ThrowsAsync<KernelException>(() => service.InterruptKernelAsync(record.Id, Bound()));
            Assert.Equal(ErrorIds.KernelInterruptFailed, interrupt.ErrorId);
            await service.StopKernelAsync(record.Id, force: true, Bound());
            Assert.Empty(await service.GetKernelsAsync(Bound()));
            await Task.Delay(200);
            Assert.False(stranger.HasExited, "the stranger that reused the pid was signalled");

            await using var again = await KernelStore.OpenAsync(_fixture.DatabasePath);
            await again.AddKernelAsync(new KernelRecord
            {
                Id = "reused", Provider = "local", SpecName = "python3",
                ProviderData = new LocalKernelData
                {
                    ConnectionInfoJson = ConnectionFile.Serialize(ConnectionInfo.CreateLocal("python3")),
                    Pid = stranger.Id, ProcessStartTime = DateTimeOffset.UtcNow.AddHours(-3),
                }.ToJson(),
                CreatedAt = DateTimeOffset.UtcNow.AddHours(-3), State = KernelState.Idle,
            }, Bound());
            var sync = new List<SyncResult>();
            await foreach (var r in service.SynchronizeAsync(new SyncOptions(), null, null, Bound())) sync.Add(r);
            var result = Assert.Single(sync, r => r.KernelId == "reused");
            Assert.Equal(SyncAction.MarkedDead, result.Action);
            Assert.Contains("reused", result.Reason);
            Assert.False(stranger.HasExited);
        }
        finally
        {
            stranger.Kill();
        }
    }
}
