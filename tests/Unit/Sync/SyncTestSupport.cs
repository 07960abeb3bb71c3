using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using Microsoft.Data.Sqlite;

using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

/// <summary>A scriptable provider for reconciliation tests. It recovers starts and forgets kernels only as scripted (an
/// unscripted record gets no recovery, as from a provider without the role); asking the kernel for its activity is
/// opt-in (<see cref="Local"/>, <see cref="AskingActivity"/>) because it changes what a cull decides.</summary>
internal class FakeProvider : IKernelProvider, IRecoversStarts, IKeepsKernelFiles
{
    public FakeProvider(string name, string kind = "gateway", ProviderCapabilities capabilities = ProviderCapabilities.None)
    {
        Name = name; Kind = kind; Capabilities = capabilities;
    }

    /// <summary>What the local provider declares: its kernels are probed one by one.</summary>
    public const ProviderCapabilities LocalCapabilities = ProviderCapabilities.ProbesEachKernel;

    /// <summary>A provider that stands for the local one (kind "local", its capabilities, and it asks kernels whether
    /// they run code).</summary>
    public static FakeProvider Local(string name = "local") => new ActivityProbing(name, "local", LocalCapabilities);

    /// <summary>A provider of another kind that asks its kernels whether they run code (<see cref="IProbesActivity"/>).</summary>
    public static FakeProvider AskingActivity(string name, string kind = "gateway", ProviderCapabilities capabilities = ProviderCapabilities.None)
        => new ActivityProbing(name, kind, capabilities);

    private sealed class ActivityProbing(string name, string kind, ProviderCapabilities capabilities) : FakeProvider(name, kind, capabilities), IProbesActivity
    {
        public Task<KernelActivityProbe> ProbeActivityAsync(KernelRecord kernel, CancellationToken cancellationToken)
            => Task.FromResult(Activity.TryGetValue(kernel.Id, out var a) ? a : new KernelActivityProbe(KernelActivity.Unknown, "not scripted"));

        public IReadOnlyList<string>? FindOtherClients(KernelRecord kernel)
            => OtherClients.TryGetValue(kernel.Id, out var c) ? c : Array.Empty<string>();
    }

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
    /// <summary>The other clients an activity-probing provider sees connected, per record id; default none.</summary>
    public Dictionary<string, IReadOnlyList<string>> OtherClients { get; } = new();
    public List<string> Forgotten { get; } = new();

    public Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken)
    {
        lock (RecoverCalls) RecoverCalls.Add((kernel.Id, dryRun));
        if (RecoverError is not null) return Task.FromException<StartRecovery?>(RecoverError);
        if (!dryRun && RecoveriesApplied.TryGetValue(kernel.Id, out var applied)) return Task.FromResult<StartRecovery?>(applied);
        return Task.FromResult(Recoveries.TryGetValue(kernel.Id, out var r) ? r : null);
    }

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
    public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ProviderKernelView Describe(KernelRecord kernel) => default;
    public KernelClientOptions GetClientOptions(KernelRecord kernel) => new();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>What a sync told its observer: progress lines, warnings, and each failed provider (name → reason).</summary>
internal sealed class SyncRecorder : ISyncObserver
{
    public List<string> ProgressLines { get; } = new();
    public List<KernelWarning> Warnings { get; } = new();
    public Dictionary<string, string> FailedProviders { get; } = new(StringComparer.Ordinal);
    public List<KernelException> Failures { get; } = new();

    public void Progress(string activity) { lock (ProgressLines) ProgressLines.Add(activity); }
    public void Warning(KernelWarning warning) { lock (Warnings) Warnings.Add(warning); }
    public void ProviderFailed(KernelException failure)
    {
        lock (Failures)
        {
            Failures.Add(failure);
            FailedProviders[failure.Target as string ?? ""] = failure.InnerException is { } inner ? SyncObserver.Reason(inner) : failure.Message;
        }
    }
}
