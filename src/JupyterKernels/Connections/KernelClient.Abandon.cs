using System.Collections.Concurrent;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// Giving up on an execution (timeout, Ctrl+C): interrupt only our own running request, never another client's.
internal sealed partial class KernelClient
{
    /// <summary>
    /// After an error with stop_on_error, ipykernel aborts every request that reaches it before its event loop clears
    /// the abort flag — which happens just after it publishes idle. A client as fast as ours would see its next,
    /// unrelated cell aborted; so the next request on that (sub)shell waits out a short window. Requests that were
    /// already queued when the error happened are still aborted, as the protocol intends.
    /// </summary>
    private static readonly TimeSpan AbortWindow = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, long> _abortWindowEnds = new(StringComparer.Ordinal);

    private void OpenAbortWindow(string? subshellId)
        => _abortWindowEnds[subshellId ?? ""] = Environment.TickCount64 + (long)AbortWindow.TotalMilliseconds;

    private async ValueTask WaitOutAbortWindowAsync(string? subshellId, CancellationToken cancellationToken)
    {
        if (!_abortWindowEnds.TryGetValue(subshellId ?? "", out var ends)) return;
        var remaining = ends - Environment.TickCount64;
        if (remaining > 0) await Task.Delay(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
    }

    private bool WillInterrupt(ExecuteRequest pending, ExecuteOptions options)
        => options.InterruptOnCancel && _options.Interrupt is not null && pending.Request.Header.SubshellId is null;

    private enum AbandonPlan { Interrupt, Queued, LeaveRunning, LeaveSuspended }

    /// <summary>
    /// Whether giving up on an execution may interrupt the kernel. An interrupt stops whatever the kernel is running
    /// now, so it is sent only when that is provably our request: the kernel began it (IOPub busy/execute_input for our
    /// msg_id) and the kernel process that began it is still the one we talk to (a control kernel_info_reply with the
    /// same header.session — a kernel restarted by someone else must not be interrupted for a request it never saw).
    /// An interrupt reaches only the main shell (kernels deliver SIGINT to their main thread), so abandoning a
    /// subshell execution never interrupts either. When the kernel turns out to have been restarted, the request has
    /// already been ended with KernelRestarted and that error is thrown from here.
    /// </summary>
    private async Task<AbandonPlan> PlanAbandonAsync(ExecuteRequest pending, ExecuteOptions options)
    {
        if (!pending.Started) return AbandonPlan.Queued;
        if (!WillInterrupt(pending, options)) return AbandonPlan.LeaveRunning;
        if (IsSuspended()) return AbandonPlan.LeaveSuspended;
        // A kernel that answers nothing on control would only make the caller wait out the probe: the watch loop's
        // process check and the IOPub evidence decide for it.
        if (ControlMayAnswer) try
        {
            using var cts = new CancellationTokenSource(SessionProbeTimeout);
            await TryRequestAsync(KernelChannel.Control, "kernel_info_request", RequestContent.Empty, SessionProbeTimeout, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            // No proof either way (a kernel without a control thread may stay silent): the session we know decides.
        }
        if (pending.Completion.IsFaulted && pending.Completion.Exception!.InnerException is KernelException { ErrorId: ErrorIds.KernelRestarted } restarted)
            throw restarted;
        if (pending.StartedUnderSession is { Length: > 0 } began && _sessions.Current is { } now && now != began)
        {
            var error = RestartedError("the kernel process that began this request is gone (header.session changed)");
            pending.Fail(error);
            throw error;
        }
        return AbandonPlan.Interrupt;
    }

    private static readonly TimeSpan SessionProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The evidence that the kernel's process is stopped (<see cref="KernelClientOptions.Process"/>).
    /// A frozen kernel is left alone: after it continues it finishes the request, and the next call works.</summary>
    private bool IsSuspended() => _options.Process?.StoppedReason is not null;

    /// <summary>Interrupts the kernel the way its provider described (<see cref="KernelClientOptions.Interrupt"/>); an
    /// interrupt_request goes on this client's own control channel.</summary>
    private Task InterruptKernelAsync(CancellationToken cancellationToken)
        => KernelInterrupt.SendAsync(_options.Interrupt!, KernelId, _options.Process, this, cancellationToken);

    /// <summary>What giving up did to the kernel, in words the caller's error carries.</summary>
    private static string AbandonOutcome(AbandonPlan plan) => plan switch
    {
        AbandonPlan.Interrupt => "an interrupt was sent to it",
        AbandonPlan.LeaveSuspended => "its process is stopped (SIGSTOP or a debugger), so it was not interrupted: when it continues it " +
            "finishes this cell, then runs what is queued behind it",
        AbandonPlan.Queued => "the request was still queued and was not interrupted; it may still run later",
        _ => "it was not interrupted and may still be running",
    };

    private async Task AbandonAsync(ExecuteRequest pending, AbandonPlan plan, KernelException error)
    {
        if (plan == AbandonPlan.Interrupt && _options.Interrupt is not null)
        {
            pending.Abandon();
            try
            {
                using var cts = new CancellationTokenSource(AbandonGrace);
                await InterruptKernelAsync(cts.Token).ConfigureAwait(false);
                // Let the interrupted request finish (its error reply and idle) before the caller goes on: a request
                // sent while the kernel is still unwinding would be aborted by stop_on_error.
                await pending.Completion.WaitAsync(cts.Token).ConfigureAwait(false);
                OpenAbortWindow(pending.Request.Header.SubshellId);
            }
            catch (Exception e) when (e is KernelException or OperationCanceledException or TimeoutException)
            {
                OnDiagnostic($"interrupt after cancel did not complete: {e.Message}");
            }
        }
        pending.Fail(error);
    }

    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(3);
}
