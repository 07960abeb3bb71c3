using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// An interrupt nobody in this process asked for may be the first step of a restart by another client.
internal sealed partial class KernelClient
{
    /// <summary>How long an execution that another client interrupted waits for the evidence that the interrupt was
    /// the first step of a restart: jupyter_client's shutdown (a Jupyter Server's REST restart) interrupts, asks for
    /// shutdown, waits up to its shutdown_wait_time (5 s) for the exit, and starts the new process.</summary>
    internal static readonly TimeSpan RestartAfterInterruptWindow = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan RestartProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// An execution the kernel ended as interrupted although this client did not interrupt it: before reporting the
    /// interrupt, look for evidence that the kernel was restarted (jupyter_client interrupts before every shutdown,
    /// so a restart through a server's REST API first ends the running cell with KeyboardInterrupt). Throws
    /// KernelRestarted on evidence the client sees itself (a new session from a kernel that owns its session, status
    /// starting or restarting), KernelDied marked <see cref="KernelException.ProcessGone"/> with the reply when the local
    /// process is gone (its owner tells a restart from a death); returns as soon as the kernel proves it is the same process, or when
    /// nothing can tell (a kernel that echoes sessions and answers nothing on control, with no process to check).
    /// </summary>
    private async Task ThrowIfRestartedAfterInterruptAsync(ExecuteRequest pending, KernelExecuteReply reply, CancellationToken cancellationToken)
    {
        var restartsBefore = _sessions.RestartsSeen;
        var began = pending.StartedUnderSession;
        bool sessionsTell = !_sessions.EchoesSession && !string.IsNullOrEmpty(began) && began != _factory.SessionId;
        bool canProbe = sessionsTell && ControlMayAnswer;
        if (!canProbe && _options.Process is null) return;
        var until = Environment.TickCount64 + (long)RestartAfterInterruptWindow.TotalMilliseconds;
        Task<JupyterMessage?>? probe = null;
        while (Environment.TickCount64 < until)
        {
            if (_sessions.RestartsSeen != restartsBefore)
                throw RestartedError("the kernel was restarted right after it interrupted this execution");
            if (_options.Process is { } process && process.GoneReason is { } gone)
            {
                // Interrupted, then gone: a restart's first steps, or a death. The client ends with the death it saw;
                // the execution carries its reply, which stands unless the record of restarts shows a restart.
                Terminate(ProcessGoneError(process, gone));
                throw ProcessGoneError(process, gone, reply);
            }
            else if (!canProbe) return; // a local process that is still ours: it was an interrupt, no restart
            if (canProbe)
            {
                // Asked again while unanswered: a request sent to a process that is shutting down is lost with it.
                probe ??= TryRequestAsync(KernelChannel.Control, MessageTypes.KernelInfoRequest, RequestContent.Empty, TimeSpan.FromSeconds(1), cancellationToken);
                await Task.WhenAny(probe, Task.Delay(RestartProbeInterval, cancellationToken)).ConfigureAwait(false);
                if (probe.IsCompleted)
                {
                    var answer = await probe.ConfigureAwait(false);
                    probe = null;
                    if (answer is not null)
                    {
                        if (_sessions.RestartsSeen != restartsBefore || answer.Header.Session != began)
                            throw RestartedError("the kernel was restarted right after it interrupted this execution (its process changed)");
                        return; // the same process answered: an interrupt, nothing more
                    }
                }
            }
            else
            {
                await Task.Delay(RestartProbeInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
