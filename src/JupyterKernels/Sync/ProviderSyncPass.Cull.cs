using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

// The cull's evidence: running work is never culled without IncludeBusy, nor a kernel whose activity is unknown.
internal sealed partial class ProviderSyncPass
{
    /// <summary>Why a cull kept a live kernel, naming each piece of evidence (several may hold at once), or null
    /// when nothing kept it (it is culled, unless the user declined).</summary>
    private string? CullEvidence(TimeSpan idle, DateTimeOffset now, DateTimeOffset since, DateTimeOffset? activity, KernelState state, int? connections)
    {
        var evidence = new List<string>(3);
        if (now - since <= idle)
            evidence.Add(activity is null ? $"started at {since:u}, within {idle}" : $"activity at {since:u}, within {idle}");
        if (state == KernelState.Busy && !_options.IncludeBusy) evidence.Add("busy (-IncludeBusy culls it)");
        if ((connections ?? 0) > 0 && !_options.IncludeConnected)
            evidence.Add($"{connections} open connection{(connections == 1 ? "" : "s")} (-IncludeConnected culls it)");
        return evidence.Count == 0 ? null : string.Join("; ", evidence);
    }

    private enum CullVerdict { Cull, KeepBusy, KeepUnknown, KeepConnected }

    private List<ExecutionInFlight> LiveExecutions(string kernelId)
        => _executions.TryGetValue(kernelId, out var rows) ? rows.Where(e => !ExecutionOwners.IsStale(e)).ToList() : new List<ExecutionInFlight>();

    /// <summary>
    /// Whether an idle-looking kernel may be culled, and the evidence. Running work is never culled without
    /// IncludeBusy: an execution recorded by a live process of ours, a busy state reported by the provider, or (a provider
    /// that asks the kernel itself: local kernels, which other Jupyter clients may drive) the kernel's own answer to the
    /// activity probe. A kernel whose
    /// activity cannot be established is kept.
    /// </summary>
    private async Task<(CullVerdict, string)> CullEvidenceAsync(KernelRecord r, KernelState state, Observation o, List<ExecutionInFlight> running, CancellationToken ct)
    {
        var includeBusy = _options.IncludeBusy;
        if (running.Count > 0)
        {
            var what = $"busy: {ExecutionOwners.Describe(running[0])} is running" + (running.Count > 1 ? $" (and {running.Count - 1} more)" : "");
            return includeBusy ? (CullVerdict.Cull, what + "; culled because -IncludeBusy") : (CullVerdict.KeepBusy, what + " (-IncludeBusy culls running work)");
        }
        if (state == KernelState.Busy)
        {
            var what = $"busy per the provider ({o.Reason})";
            return includeBusy ? (CullVerdict.Cull, what + "; culled because -IncludeBusy") : (CullVerdict.KeepBusy, what + " (-IncludeBusy culls running work)");
        }
        if (includeBusy) return (CullVerdict.Cull, "no execution recorded; -IncludeBusy: not asked whether it runs code");
        if (_provider is not IProbesActivity asking) return (CullVerdict.Cull, $"no execution recorded; the provider reports it {state.ToString().ToLowerInvariant()}");
        // A local kernel's "connections": other processes (jupyter console, a notebook server, another PowerShell) holding
        // a connection to its ports use it in ways the store never hears of; as for a server's count, they keep it.
        if (!_options.IncludeConnected && asking.FindOtherClients(r) is { Count: > 0 } clients)
            return (CullVerdict.KeepConnected, $"{clients.Count} other client{(clients.Count == 1 ? "" : "s")} connected to its ports " +
                $"({string.Join(", ", clients.Take(3))}{(clients.Count > 3 ? ", ..." : "")}) (-IncludeConnected culls it)");
        KernelActivityProbe probe;
        try { probe = await asking.ProbeActivityAsync(r, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            probe = new KernelActivityProbe(KernelActivity.Unknown, $"activity probe failed: {e.Message}");
        }
        return probe.Activity switch
        {
            KernelActivity.Idle => (CullVerdict.Cull, $"no execution recorded; {probe.Evidence}"),
            KernelActivity.Busy => (CullVerdict.KeepBusy, $"busy: {probe.Evidence} (-IncludeBusy culls running work)"),
            _ => (CullVerdict.KeepUnknown, $"its activity cannot be established: {probe.Evidence}"),
        };
    }
}
