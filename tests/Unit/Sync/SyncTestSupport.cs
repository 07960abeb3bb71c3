using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using Microsoft.Data.Sqlite;

using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

/// <summary>A scriptable provider for reconciliation tests.</summary>
internal sealed class FakeProvider : IKernelProvider
{
    public FakeProvider(string name, string kind = "gateway") { Name = name; Kind = kind; }
    public string Name { get; }
    public string Kind { get; }

    public List<ProviderKernel> Listed { get; } = new();
    public bool Complete { get; set; } = true;
    public Exception? ListError { get; set; }
    /// <summary>Listing never answers (a server that accepts and stays silent); it still honours cancellation.</summary>
    public bool ListHangs { get; set; }
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
        if (ListHangs) return Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<ProviderKernelListing>(
            _ => throw new OperationCanceledException(cancellationToken), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
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
