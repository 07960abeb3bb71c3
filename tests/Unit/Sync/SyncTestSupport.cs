using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using Microsoft.Data.Sqlite;

using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

/// <summary>A scriptable provider for reconciliation tests.</summary>
internal sealed class FakeProvider : IKernelProvider
{
    public FakeProvider(string name, string kind = "gateway", ProviderCapabilities capabilities = ProviderCapabilities.None)
    {
        Name = name; Kind = kind; Capabilities = capabilities;
    }

    /// <summary>What the local provider declares: its kernels are probed one by one, asked whether they run code, and
    /// found by their connection files.</summary>
    public const ProviderCapabilities LocalCapabilities =
        ProviderCapabilities.ProbesEachKernel | ProviderCapabilities.AsksKernelForActivity | ProviderCapabilities.AdoptsConnectionFiles;

    /// <summary>A provider that stands for the local one (kind "local", its capabilities).</summary>
    public static FakeProvider Local(string name = "local") => new(name, "local", LocalCapabilities);

    public string Name { get; }
    public string Kind { get; }
    public ProviderCapabilities Capabilities { get; }

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

    /// <summary>RecoverStartAsync's answer per record id, for a dry run and for the real one (default: the dry answer).</summary>
    public Dictionary<string, StartRecovery> Recoveries { get; } = new();
    public Dictionary<string, StartRecovery> RecoveriesApplied { get; } = new();
    public Exception? RecoverError { get; set; }
    public List<(string Id, bool DryRun)> RecoverCalls { get; } = new();
    /// <summary>ProbeActivityAsync's answer per record id; default Unknown.</summary>
    public Dictionary<string, KernelActivityProbe> Activity { get; } = new();
    public List<string> Forgotten { get; } = new();

    public Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken)
    {
        lock (RecoverCalls) RecoverCalls.Add((kernel.Id, dryRun));
        if (RecoverError is not null) return Task.FromException<StartRecovery?>(RecoverError);
        if (!dryRun && RecoveriesApplied.TryGetValue(kernel.Id, out var applied)) return Task.FromResult<StartRecovery?>(applied);
        return Task.FromResult(Recoveries.TryGetValue(kernel.Id, out var r) ? r : null);
    }

    public Task<KernelActivityProbe> ProbeActivityAsync(KernelRecord kernel, CancellationToken cancellationToken)
        => Task.FromResult(Activity.TryGetValue(kernel.Id, out var a) ? a : new KernelActivityProbe(KernelActivity.Unknown, "not scripted"));

    public Task ForgetAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        lock (Forgotten) Forgotten.Add(kernel.Id);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
