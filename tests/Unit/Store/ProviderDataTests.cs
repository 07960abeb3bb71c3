using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Providers.Local;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Support.StoreTestUtil;

namespace JupyterKernels.Tests.Store;

/// <summary>Each provider owns what it persists: the record keeps what every kernel has, the provider's own
/// fields travel as its JSON in provider_data. Migration 5 moved the old columns of existing stores there.</summary>
public class ProviderDataTests
{
    private static readonly DateTimeOffset Started = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2)).AddTicks(4567);

    [Fact]
    public async Task A_schema_4_store_opens_and_keeps_its_kernels_with_what_each_provider_recorded()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await using (await KernelStore.OpenAsync(path, new KernelStoreOptions { TargetSchemaVersion = 4 })) { }
        using (var c = Raw(path))
        {
            Assert.Equal(4L, Scalar(c, "PRAGMA user_version"));
            // Rows as schema 4 wrote them: the local and remote fields in columns of their own.
            Exec(c, """
                INSERT INTO kernels (id, provider, spec_name, connection_info_json, connection_file, pid, process_start_time,
                                     interrupt_mode, created_at, state, owner, adopted)
                VALUES ('loc', 'local', 'python3', '{"ip":"127.0.0.1","key":"s3cret","shell_port":5555}', '/run/jupyter/kernel-loc.json',
                        4242, '2024-05-06T05:08:09.1234567Z', 'signal', '2025-01-01T00:00:00.0000000Z', 'idle', 'me@box', 0);
                INSERT INTO kernels (id, provider, spec_name, connection_info_json, connection_file, created_at, state, adopted)
                VALUES ('adopted', 'local', 'python3', '{"key":"k2"}', '/run/jupyter/kernel-other.json', '2025-01-01T00:00:01.0000000Z', 'idle', 1);
                INSERT INTO kernels (id, provider, spec_name, created_at, state)
                VALUES ('bare', 'local', 'python3', '2025-01-01T00:00:02.0000000Z', 'starting');
                INSERT INTO kernels (id, provider, remote_id, spec_name, created_at, state, connections, url)
                VALUES ('rem', 'srv', 'r-1', 'srv/python3', '2025-01-01T00:00:03.0000000Z', 'busy', 2, 'http://127.0.0.1:8888/api/kernels/r-1');
                INSERT INTO sessions (id, name, kernel_id, created_at) VALUES ('s1', 'work', 'loc', '2025-01-01T00:00:00.0000000Z');
                """);
        }

        await using var store = await KernelStore.OpenAsync(path);
        Assert.Equal(4, await store.CountKernelsAsync());

        var loc = (await store.GetKernelAsync("loc"))!;
        var local = LocalKernelData.Of(loc);
        Assert.Equal("""{"ip":"127.0.0.1","key":"s3cret","shell_port":5555}""", local.ConnectionInfoJson);
        Assert.Equal("/run/jupyter/kernel-loc.json", local.ConnectionFile);
        Assert.Equal(4242, local.Pid);
        Assert.Equal(Started, local.ProcessStartTime);
        Assert.False(local.Adopted);
        Assert.Equal("work", loc.SessionName);
        Assert.Equal("me@box", loc.Owner);
        Assert.Equal(KernelState.Idle, loc.State);

        var adopted = LocalKernelData.Of((await store.GetKernelAsync("adopted"))!);
        Assert.True(adopted.Adopted);
        Assert.Null(adopted.Pid);
        Assert.Equal("/run/jupyter/kernel-other.json", adopted.ConnectionFile);

        Assert.Equal(new LocalKernelData(), LocalKernelData.Of((await store.GetKernelAsync("bare"))!));

        var rem = (await store.GetKernelAsync("rem"))!;
        Assert.Equal("http://127.0.0.1:8888/api/kernels/r-1", RemoteKernelData.Of(rem).Url);
        Assert.Equal("r-1", rem.RemoteId);
        Assert.Equal(2, rem.Connections);
        Assert.Equal(rem, await store.FindKernelByRemoteIdAsync("srv", "r-1"));
        Assert.Null(LocalKernelData.Of(rem).ConnectionInfoJson);

        // What users see of them, as each provider shows its data.
        var shown = loc.ToKernel(local.View);
        Assert.Equal(4242, shown.Pid);
        Assert.Equal("/run/jupyter/kernel-loc.json", shown.ConnectionFile);
        Assert.Equal("http://127.0.0.1:8888/api/kernels/r-1", rem.ToKernel(RemoteKernelData.Of(rem).View).Url);

        // The provider-specific columns are gone; the remote id keeps its unique index.
        using var c2 = Raw(path);
        Assert.Equal(5L, Scalar(c2, "PRAGMA user_version"));
        foreach (var column in new[] { "connection_info_json", "connection_file", "pid", "process_start_time", "adopted", "url" })
            Assert.Equal(0L, Scalar(c2, $"SELECT count(*) FROM pragma_table_info('kernels') WHERE name = '{column}'"));
        Assert.Equal(1L, Scalar(c2, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='ux_kernels_provider_remote_id'"));
        await Assert.ThrowsAsync<KernelException>(() => store.AddKernelAsync(Record("dup", "srv", remoteId: "r-1")));
    }

    [Fact]
    public void Local_data_round_trips_through_its_json_and_reads_nothing_from_other_shapes()
    {
        var data = new LocalKernelData
        {
            ConnectionInfoJson = """{"key":"s3cret"}""", ConnectionFile = "/tmp/kernel-x.json", Pid = 17, ProcessStartTime = Started, Adopted = true,
        };
        var record = data.ApplyTo(Record("k"));
        Assert.Equal(data, LocalKernelData.Of(record));
        Assert.Equal(new LocalKernelData(), LocalKernelData.Of(Record("k") with { ProviderData = "not json" }));
        Assert.Equal(new LocalKernelData(), LocalKernelData.Of(Record("k") with { ProviderData = "[1]" }));
        Assert.Equal(new LocalKernelData(), LocalKernelData.Of(Record("k") with { ProviderData = new RemoteKernelData { Url = "http://h/" }.ToJson() }));
        Assert.Equal("http://h/", RemoteKernelData.Of(Record("k") with { ProviderData = new RemoteKernelData { Url = "http://h/" }.ToJson() }).Url);
    }

    [Fact]
    public async Task A_sync_batch_keeps_the_provider_data_another_writer_changed_meanwhile()
    {
        using var dir = new TempDirectory("jk-store");
        await using var store = await KernelStore.OpenAsync(dir.File("jk.db"));
        var before = new LocalKernelData { ConnectionInfoJson = """{"key":"old"}""", Pid = 100 };
        await store.AddKernelAsync(before.ApplyTo(Record("k1", state: KernelState.Idle)));
        // Another process restarts the kernel while a sync pass holds the old record: new process, new connection.
        var restarted = new LocalKernelData { ConnectionInfoJson = """{"key":"new"}""", Pid = 200 };
        var current = (await store.GetKernelAsync("k1"))!;
        Assert.True(await store.UpdateKernelAsync(restarted.ApplyTo(current)));

        var seen = DateTimeOffset.UtcNow;
        var (updated, _, _) = await store.ApplySyncBatchAsync(
            new[] { new KernelStore.KernelObservation("k1", KernelState.Busy, seen, seen, 1) }, Array.Empty<KernelRecord>(), Array.Empty<string>(), CancellationToken.None);

        Assert.Contains("k1", updated);
        var after = (await store.GetKernelAsync("k1"))!;
        Assert.Equal(KernelState.Busy, after.State);
        Assert.Equal(1, after.Connections);
        Assert.Equal(restarted, LocalKernelData.Of(after));
    }
}
