using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Tests.Sync;

/// <summary>A temp directory removed at the end of a test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "jk-store-" + Guid.NewGuid().ToString("N")));
    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class StoreTestUtil
{
    public static KernelRecord Record(string id, string provider = "local", KernelState state = KernelState.Idle, string? remoteId = null,
        DateTimeOffset? lastActivity = null, int? connections = null, DateTimeOffset? created = null) => new()
    {
        Id = id,
        Provider = provider,
        RemoteId = remoteId,
        SpecName = provider == "local" ? "python3" : provider + "/python3",
        DisplayName = "Python 3",
        CreatedAt = created ?? DateTimeOffset.UtcNow.AddHours(-1),
        LastSeenAt = DateTimeOffset.UtcNow.AddMinutes(-5),
        LastActivityAt = lastActivity,
        State = state,
        Connections = connections,
        Owner = "me@host",
    };

    /// <summary>A raw connection that bypasses KernelStore (no pooling, so the file is released on dispose).</summary>
    public static SqliteConnection Raw(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        SQLitePCL.Batteries_V2.Init();
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    public static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A scriptable provider for reconciliation tests.</summary>
internal sealed class FakeProvider : IKernelProvider
{
    public FakeProvider(string name, string kind = "gateway") { Name = name; Kind = kind; }
    public string Name { get; }
    public string Kind { get; }

    public List<ProviderKernel> Listed { get; } = new();
    public bool Complete { get; set; } = true;
    public Exception? ListError { get; set; }
    /// <summary>Probe answer per record id; default Unknown.</summary>
    public Dictionary<string, KernelProbe> Probes { get; } = new();
    public Exception? ShutdownError { get; set; }
    public int ListCalls;
    public int ProbeCalls;
    public List<string> ShutdownCalls { get; } = new();

    public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref ListCalls);
        if (ListError is not null) throw ListError;
        return Task.FromResult(new ProviderKernelListing(Listed.ToList(), Complete));
    }

    public Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref ProbeCalls);
        return Task.FromResult(Probes.TryGetValue(kernel.Id, out var p) ? p : new KernelProbe(KernelLiveness.Unknown, "no answer"));
    }

    public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken)
    {
        lock (ShutdownCalls) ShutdownCalls.Add(kernel.Id);
        return ShutdownError is null ? Task.CompletedTask : Task.FromException(ShutdownError);
    }

    public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
