using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// Liveness and restarts: the watch loop (process, heartbeat, silence is not death) and restart detection.
internal sealed partial class KernelClient
{
    /// <summary>
    /// The kernel was restarted under us: every call in flight is ended with KernelRestarted — the old process took
    /// their state and outputs with it, and a request that was still queued may have been run by the new process
    /// without our hearing its outputs, so none may end as a success. Two kinds survive, because everything they
    /// need comes from the new process: a request whose reply is the very message that revealed the restart (a
    /// kernel_info_reply), and an execution the new process began in our hearing (its first IOPub message is from the
    /// new session, so no output of it can have been missed).
    /// </summary>
    private void OnRestarted(string evidence, ChannelMessage trigger)
    {
        var error = RestartedError(evidence);
        foreach (var pending in _pending.Values)
        {
            if (pending.MsgId == trigger.Message.ParentMsgId && pending switch
                {
                    ReplyRequest => trigger.Channel is KernelChannel.Shell or KernelChannel.Control,
                    ExecuteRequest execute => trigger.Channel == KernelChannel.IOPub && !execute.Started,
                    _ => false,
                })
                continue;
            pending.Fail(error);
        }
        OnDiagnostic($"kernel restarted: {evidence}");
        // Handed off: this runs on the transport's I/O thread (every kernel's), and a handler may block (the service's
        // clears its subshell records in SQLite, which can wait on another process's lock).
        if (Restarted is { } handlers)
            ThreadPool.UnsafeQueueUserWorkItem(static s =>
            {
                try { s.handlers(s.client, s.evidence); } catch { /* a handler's fault is its own */ }
            }, (handlers: handlers, client: this, evidence), preferLocal: false);
    }

    private KernelException RestartedError(string evidence, string? who = null) => RestartedError(KernelId, evidence, who);

    /// <summary>KernelDied, as a client that saw its local process go can tell it (<see cref="KernelProcessGone"/>).</summary>
    private KernelException ProcessGoneError(KernelProcess process, string why, KernelExecuteReply? reply = null)
        => new(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, $"Kernel {KernelId} died: {why}.", KernelId)
        {
            ProcessGone = new KernelProcessGone(process.Pid, why, reply),
        };

    /// <summary>KernelRestarted for a call in flight: what this client says when it sees the restart itself, and what
    /// the Service says when the store shows that a process this client saw go was restarted.</summary>
    internal static KernelException RestartedError(string kernelId, string evidence, string? who = null)
        => new(ErrorIds.KernelRestarted, KernelErrorCategory.ResourceUnavailable,
            $"Kernel {kernelId} was restarted while this request was in flight ({evidence}). Its outputs are lost; " +
            "it may or may not have run on the new kernel, and nothing was interrupted. " +
            (who ?? "Another client of this kernel (another PowerShell process, or a Jupyter client of the same server) restarted it."), kernelId);

    /// <summary>
    /// The transport's own liveness signal (ZMTP heartbeat on control): reported at once, whether or not a request
    /// waits, as KernelNotResponding (never KernelDied: a frozen kernel answers again later). Runs on a transport
    /// thread: only an interlocked write and the diagnostic.
    /// </summary>
    private void OnChannelEvent(object? sender, ChannelEvent e)
    {
        if (e.Kind == ChannelEventKind.NotResponding)
        {
            if (Interlocked.CompareExchange(ref _notRespondingSinceTicks, DateTimeOffset.UtcNow.UtcTicks, 0) == 0)
                OnDiagnostic($"the kernel is not responding ({e.Detail}); still waiting");
        }
        else if (e.Kind == ChannelEventKind.Responding)
        {
            if (Interlocked.Exchange(ref _notRespondingSinceTicks, 0) != 0) OnDiagnostic("the kernel answers again");
        }
    }

    private async Task WatchLoopAsync()
    {
        var token = _lifetime.Token;
        int heartbeatMisses = 0;
        _channels.Event += OnChannelEvent;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (_pending.IsEmpty)
                {
                    // Nothing to supervise: sleep until a request is registered (no idle polling).
                    await _wakeWatch.WaitAsync(token).ConfigureAwait(false);
                    heartbeatMisses = 0;
                    _lastProbe = Environment.TickCount64;
                    continue;
                }
                await Task.Delay(_options.WatchInterval, token).ConfigureAwait(false);
                while (_wakeWatch.CurrentCount > 0) _wakeWatch.Wait(0);
                if (_pending.IsEmpty) continue;

                var now = DateTimeOffset.UtcNow;
                foreach (var pending in _pending.Values) pending.OnTick(now);
                MaybeProbeSession();

                if (_options.Process is { } process && process.GoneReason is { } why)
                {
                    // All this client can see: its process is gone. Whether someone restarted the kernel is told by
                    // the record of restarts, which its owner reads on the way up (KernelException.ProcessGone).
                    Terminate(ProcessGoneError(process, why));
                    return;
                }
                if (await _channels.CheckHeartbeatAsync(_options.HeartbeatTimeout, token).ConfigureAwait(false))
                {
                    heartbeatMisses = 0;
                    if (Interlocked.Exchange(ref _notRespondingSinceTicks, 0) != 0) OnDiagnostic("the kernel answers again");
                }
                else if (_channels.DeathEvidence is { } seen)
                {
                    // Definite evidence (a reachable server's 404) needs no second miss, and the error says what was seen.
                    Terminate(new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, $"Kernel {KernelId} died: {seen}.", KernelId));
                    return;
                }
                else if (++heartbeatMisses >= _options.HeartbeatMissesAllowed && HeartbeatWaitsForShell)
                {
                    OnDiagnostic("heartbeat silent while the kernel runs code (this kernel answers heartbeats only between requests)");
                }
                else if (heartbeatMisses >= _options.HeartbeatMissesAllowed)
                {
                    // Silence is not death: a frozen kernel or server (SIGSTOP, a long GC, a suspended VM) answers
                    // again later and finishes the work. Only definite evidence (CheckDead) ends the client; silence
                    // is reported and waited out (callers time out per their own -Timeout).
                    if (Interlocked.CompareExchange(ref _notRespondingSinceTicks, DateTimeOffset.UtcNow.UtcTicks, 0) == 0)
                        OnDiagnostic($"the kernel is not responding ({heartbeatMisses} heartbeat misses in a row); still waiting");
                }
                else
                {
                    OnDiagnostic($"heartbeat missed ({heartbeatMisses}/{_options.HeartbeatMissesAllowed})");
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            _channels.Event -= OnChannelEvent;
        }
    }

    /// <summary>
    /// A restart done through a Jupyter Server's REST API announces nothing on the WebSocket, and the new process's
    /// first IOPub messages may be published before the server's subscription reconnects: an execution waiting for a
    /// reply the old process took with it would wait for ever. So while an execution has been silent for a probe
    /// interval, a kernel_info_request on control (answered even while the shell is busy) lets the reply's
    /// header.session tell. Only silent executions are probed, at most once per interval: the kernel publishes a
    /// busy/idle pair for each control request, which every client of the kernel sees.
    /// </summary>
    private void MaybeProbeSession()
    {
        var interval = _options.SessionProbeInterval;
        if (interval <= TimeSpan.Zero || !ControlMayAnswer) return;
        if (Environment.TickCount64 - Volatile.Read(ref _lastProbe) < (long)interval.TotalMilliseconds) return;
        var silentSince = DateTimeOffset.UtcNow - interval;
        if (!_pending.Values.Any(p => p is ExecuteRequest e && e.LastIOPub <= silentSince)) return;
        if (Interlocked.CompareExchange(ref _probing, 1, 0) != 0) return;
        Volatile.Write(ref _lastProbe, Environment.TickCount64);
        _ = Task.Run(async () =>
        {
            try
            {
                await TryRequestAsync(KernelChannel.Control, "kernel_info_request", RequestContent.Empty, SessionProbeTimeout, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KernelException or OperationCanceledException or ObjectDisposedException) { }
            finally
            {
                Volatile.Write(ref _probing, 0);
            }
        });
    }

    /// <summary>A kernel that answers nothing on control serves its heartbeat from the loop that runs its code
    /// (IRkernel): while one of our executions runs there, a silent heartbeat is expected, not a sign of a frozen kernel.</summary>
    private bool HeartbeatWaitsForShell => !ControlMayAnswer && _pending.Values.Any(p => p is ExecuteRequest { Started: true, IsCompleted: false });

    /// <summary>This process is restarting the kernel itself: the calls in flight end with KernelRestarted (not with
    /// "client closed"), and the client can no longer be used.</summary>
    public void EndForRestart(string evidence) => Terminate(RestartedError(evidence, "This PowerShell process restarted it."));
}
