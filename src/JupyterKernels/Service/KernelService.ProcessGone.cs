using JupyterKernels.Connections;

namespace JupyterKernels.Service;

// A client whose local kernel process is gone ends its calls with KernelDied marked ProcessGone: all it can see. The
// store holds the record of every restart, so the Service tells a death from a restart by another client on the way
// up, wherever it hands a client's result to its caller (calls go down, results come back up: nothing waits on it).
public sealed partial class KernelService
{
    /// <summary>How long the store may take to tell; past it, or when it cannot answer, the death stands.</summary>
    private static readonly TimeSpan RestartEvidenceBudget = TimeSpan.FromSeconds(10);

    /// <summary>A client's call, with a process-gone death that the store shows to be a restart ended as KernelRestarted.</summary>
    private async Task<T> SeenByStoreAsync<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (KernelException died) when (died.ProcessGone is not null)
        {
            if (await RestartEvidenceAsync(died).ConfigureAwait(false) is { } restarted) throw restarted;
            throw;
        }
    }

    /// <summary>An execution's completion as its caller sees it: a process-gone death the store shows to be a restart
    /// ends as KernelRestarted; else an execution the kernel had already answered keeps its reply.</summary>
    private async Task<KernelExecuteReply> CompletionSeenByStoreAsync(Task<KernelExecuteReply> completion)
    {
        try
        {
            return await completion.ConfigureAwait(false);
        }
        catch (KernelException died) when (died.ProcessGone is { } gone)
        {
            if (await RestartEvidenceAsync(died).ConfigureAwait(false) is { } restarted) throw restarted;
            if (gone.Reply is { } reply) return reply;
            throw;
        }
    }

    /// <summary>The execution as this service hands it to its caller (see <see cref="CompletionSeenByStoreAsync"/>).</summary>
    private KernelExecution SeenByStore(KernelExecution execution) => execution.WithCompletion(CompletionSeenByStoreAsync(execution.Completion));

    /// <summary>KernelRestarted when the store shows that the process <paramref name="died"/> saw go was restarted;
    /// null for a death, or when the store cannot tell.</summary>
    private async ValueTask<KernelException?> RestartEvidenceAsync(KernelException died)
    {
        if (died is not { ProcessGone: { } gone, Target: string kernelId }) return null;
        using var budget = new CancellationTokenSource(RestartEvidenceBudget);
        try
        {
            var store = await StoreAsync(budget.Token).ConfigureAwait(false);
            var now = await store.GetKernelAsync(kernelId, budget.Token).ConfigureAwait(false);
            return now is not null && RestartEvidence.Of(now.State, Describe(now).Pid, gone.Pid) is { } evidence
                ? KernelClient.RestartedError(kernelId, evidence)
                : null;
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            return null; // the store cannot tell: the death stands as the client saw it
        }
    }
}

/// <summary>What the store's record of a kernel says about a local process that is gone.</summary>
internal static class RestartEvidence
{
    /// <summary>
    /// Evidence of a restart, or null: the record shows another client restarting the kernel (state Restarting), or
    /// a new process (only a start, a restart or a start's recovery writes a pid). A pid the record does not know is
    /// no new process: only two known pids that differ are.
    /// </summary>
    public static string? Of(KernelState stateNow, int? pidNow, int pidGone)
    {
        if (stateNow == KernelState.Restarting) return "the store shows another client restarting it";
        if (pidNow is { } pid && pid != pidGone) return $"another client restarted it: its process is now {pid}, was {pidGone}";
        return null;
    }
}
