using System.Collections.Concurrent;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// A client of one kernel over any <see cref="IKernelChannels"/>: correlates replies, IOPub and stdin messages
/// with their requests by parent msg_id (so concurrent executions in several subshells never cross), runs
/// executions, and ends every wait with a result or a <see cref="KernelException"/> — never a hang: a watch loop
/// checks liveness (process, heartbeat) while anything is pending. Safe for concurrent callers.
/// </summary>
public sealed partial class KernelClient : IAsyncDisposable
{
    private readonly IKernelChannels _channels;
    private readonly KernelClientOptions _options;
    private readonly MessageFactory _factory;
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _wakeWatch = new(0);
    private readonly Task _readLoop;
    private readonly Task _watchLoop;
    private readonly TaskCompletionSource _iopubSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly KernelSessionTracker _sessions = new();
    private KernelException? _terminalError;
    private long _notRespondingSinceTicks;
    private int _disposed;
    private int _probing;
    private long _lastProbe;
    private long _lastUsed = Environment.TickCount64;

    public KernelClient(string kernelId, IKernelChannels channels, KernelClientOptions? options = null, MessageFactory? factory = null)
    {
        KernelId = kernelId;
        _channels = channels;
        _options = options ?? new KernelClientOptions();
        _factory = factory ?? new MessageFactory();
        _readLoop = Task.Run(ReadLoopAsync);
        _watchLoop = Task.Run(WatchLoopAsync);
    }

    public string KernelId { get; }

    /// <summary>The last kernel_info_reply seen (after <see cref="WaitForReadyAsync"/> or <see cref="GetKernelInfoAsync"/>).</summary>
    public KernelInfo? Info { get; private set; }

    /// <summary>The kernel's state from the latest IOPub status message (any parent).</summary>
    public KernelState ExecutionState { get; private set; } = KernelState.Unknown;

    /// <summary>The execution_count of the latest execute_reply this client received (null before any).</summary>
    public int? LastExecutionCount { get; private set; }

    /// <summary>When the kernel last published anything.</summary>
    public DateTimeOffset? LastActivity { get; private set; }

    /// <summary>Set once the client can no longer be used (kernel died, transport closed); further calls fail with it.</summary>
    public KernelException? TerminalError => _terminalError;

    /// <summary>Since when the kernel has been silent (heartbeat misses in a row past the allowance, while a request
    /// waits); null while it answers. Silence is KernelNotResponding, never KernelDied: it clears when the kernel answers.</summary>
    public DateTimeOffset? NotRespondingSince
        => Interlocked.Read(ref _notRespondingSinceTicks) is var t && t != 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Diagnostics (dropped messages, heartbeat misses). Never carries secrets.</summary>
    public event EventHandler<string>? Diagnostic;

    /// <summary>The kernel was restarted under this client (by anyone); the argument is the evidence. Raised on the
    /// connection's reader, after every call in flight was ended with KernelRestarted.</summary>
    public event EventHandler<string>? Restarted;

    /// <summary>The header.session of the kernel process this client last heard from.</summary>
    public string? KernelSession => _sessions.Current;

    /// <summary>Calls waiting on this client right now (executions, replies).</summary>
    public int PendingCount => _pending.Count;

    /// <summary>When this client last sent a request or finished one (Environment.TickCount64 milliseconds); what an
    /// idle-connection reaper measures.</summary>
    public long LastUsedTicks => Volatile.Read(ref _lastUsed);

    /// <summary>Restarts seen since this client connected.</summary>
    public int RestartsSeen => _sessions.RestartsSeen;

    /// <summary>
    /// Readiness that never waits on a busy shell: kernel_info_request on the <b>control</b> channel (a kernel busy
    /// with a long cell still answers there, and publishes busy/idle for it, which proves the IOPub subscription),
    /// until a reply arrives AND IOPub traffic was seen. Kernels that do not answer kernel_info on control are asked
    /// on shell too after <see cref="ShellFallbackAfter"/> (jupyter_client's wait_for_ready asks only there).
    /// Fails at once if the kernel dies; a timeout is KernelStartTimeout.
    /// </summary>
    public async Task<KernelInfo> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = Environment.TickCount64;
        try
        {
            // One control request stays outstanding until it is answered: re-sending it every second would put more
            // control requests in front of the kernel while it may already run our next cell, and ipykernel 6 points
            // its stdout at the parent of the last control request it handled (outputs would be mis-attributed).
            Task<JupyterMessage?>? control = null;
            Task<JupyterMessage?>? shell = null;
            while (true)
            {
                ThrowIfTerminal();
                control ??= TryRequestAsync(KernelChannel.Control, MessageTypes.KernelInfoRequest, RequestContent.Empty, timeout, deadline.Token);
                if (shell is null && Environment.TickCount64 - started >= ShellFallbackAfter.TotalMilliseconds)
                    shell = TryRequestAsync(KernelChannel.Shell, MessageTypes.KernelInfoRequest, RequestContent.Empty, ReadyAttempt, deadline.Token);
                var waits = new List<Task> { control, Task.Delay(ReadyAttempt, deadline.Token) };
                if (shell is not null) waits.Add(shell);
                await Task.WhenAny(waits).ConfigureAwait(false);
                deadline.Token.ThrowIfCancellationRequested();
                JupyterMessage? reply = null;
                if (control.IsCompleted) { reply = await control.ConfigureAwait(false); control = null; }
                if (reply is null && shell is { IsCompleted: true }) { reply = await shell.ConfigureAwait(false); shell = null; }
                if (reply is not null)
                {
                    Info = KernelInfo.FromContent(reply.Content);
                    if (await IOPubProvenAsync(deadline.Token).ConfigureAwait(false)) return Info;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KernelException(ErrorIds.KernelStartTimeout, KernelErrorCategory.OperationTimeout,
                $"Kernel {KernelId} did not become ready within {timeout.TotalSeconds:0.#} s (no kernel_info_reply on control or shell with IOPub traffic).", KernelId);
        }
    }

    /// <summary>How long after a kernel_info_reply its busy/idle may still be on the way.</summary>
    private static readonly TimeSpan IOPubGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// After a kernel_info_reply: true once IOPub traffic proved the subscription (and every request channel has
    /// connected). The kernel publishes busy before the reply and idle right after it, so they arrive with the reply
    /// or, if the subscription was not active yet when the kernel published them, never: this waits for them on a
    /// signal for a short grace only, and the caller asks again at once instead of sleeping on a timer.
    /// </summary>
    private async Task<bool> IOPubProvenAsync(CancellationToken cancellationToken)
    {
        if (!_channels.IOPubReady)
        {
            try { await _iopubSeen.Task.WaitAsync(IOPubGrace, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) { return false; }
        }
        if (_channels.RequestChannelsConnected) return true;
        // Rare: IOPub is proven but stdin (say) has not finished its handshake; the transport raises no signal for
        // that, so look again shortly (bounded by the caller's deadline).
        await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        return _channels.RequestChannelsConnected;
    }

    private static readonly TimeSpan ReadyAttempt = TimeSpan.FromSeconds(1);

    /// <summary>How long readiness asks control alone before asking shell too (kernels that ignore kernel_info on
    /// control). Long enough for a starting kernel to bind control; a busy kernel has answered on control by then.</summary>
    public static readonly TimeSpan ShellFallbackAfter = TimeSpan.FromSeconds(3);

    public async Task<KernelInfo> GetKernelInfoAsync(TimeSpan timeout, CancellationToken cancellationToken, KernelChannel channel = KernelChannel.Control)
    {
        var reply = await RequestAsync(channel, MessageTypes.KernelInfoRequest, RequestContent.Empty, timeout, cancellationToken).ConfigureAwait(false);
        return Info = KernelInfo.FromContent(reply.Content);
    }

    /// <summary>Sends a request and waits for its reply. Times out with KernelNotResponding (kernels may ignore
    /// requests they don't handle: the spec lets them stay silent).</summary>
    public async Task<JupyterMessage> RequestAsync(KernelChannel channel, string msgType, JsonElement content, TimeSpan timeout, CancellationToken cancellationToken, string? subshellId = null)
    {
        return await TryRequestAsync(channel, msgType, content, timeout, cancellationToken, subshellId).ConfigureAwait(false)
            ?? throw new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.OperationTimeout,
                $"Kernel {KernelId} sent no reply to {msgType} within {timeout.TotalSeconds:0.#} s.", KernelId);
    }

    /// <summary>Like <see cref="RequestAsync"/> but returns null on timeout.</summary>
    public async Task<JupyterMessage?> TryRequestAsync(KernelChannel channel, string msgType, JsonElement content, TimeSpan timeout, CancellationToken cancellationToken, string? subshellId = null)
    {
        var message = _factory.Create(msgType, content, subshellId: subshellId);
        var pending = new ReplyRequest(message);
        await SendTrackedAsync(channel, pending, cancellationToken).ConfigureAwait(false);
        try
        {
            return await pending.Reply.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(pending.MsgId, out _);
            Volatile.Write(ref _lastUsed, Environment.TickCount64);
        }
    }

    /// <summary>
    /// Starts an execution. Outputs stream on the result's <see cref="KernelExecution.Outputs"/>; its Completion
    /// ends with the reply, or with ExecutionTimeout / ExecutionCancelled / KernelDied. On timeout or cancel the
    /// kernel is interrupted when <see cref="ExecuteOptions.InterruptOnCancel"/> is set, so it does not keep
    /// running work nobody waits for.
    /// </summary>
    public async Task<KernelExecution> ExecuteAsync(string code, ExecuteOptions options, CancellationToken cancellationToken)
    {
        await WaitOutAbortWindowAsync(options.SubShellId, cancellationToken).ConfigureAwait(false);
        var content = RequestContent.Execute(code, options.Silent, options.StoreHistory, options.AllowStdin, options.StopOnError);
        var message = _factory.Create(MessageTypes.ExecuteRequest, content, subshellId: options.SubShellId);
        var pending = new ExecuteRequest(KernelId, message, options.Raw, options.Raw || options.WithRawMessages, _options.IdleGrace,
            _options.ReplyGrace, SendInputReplyAsync, options.InterruptOnCancel ? _options.Interrupt : null);
        await SendTrackedAsync(KernelChannel.Shell, pending, cancellationToken).ConfigureAwait(false);
        // The request completes on the connection's I/O thread; callers resume from this task, asynchronously, so
        // that their code never runs on (and never blocks) that thread.
        var completion = new TaskCompletionSource<KernelExecuteReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = PublishAsync(SuperviseAsync(pending, options, cancellationToken), completion);
        return new KernelExecution(KernelId, pending.MsgId, pending.Outputs, completion.Task, () => NotRespondingSince);
    }

    private static async Task PublishAsync(Task<KernelExecuteReply> supervision, TaskCompletionSource<KernelExecuteReply> completion)
    {
        try
        {
            completion.TrySetResult(await supervision.ConfigureAwait(false));
        }
        catch (OperationCanceledException e)
        {
            completion.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            completion.TrySetException(e);
        }
    }

    private async Task<KernelExecuteReply> SuperviseAsync(ExecuteRequest pending, ExecuteOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var wait = options.Timeout is { } t ? pending.Completion.WaitAsync(t, cancellationToken) : pending.Completion.WaitAsync(cancellationToken);
            var reply = await wait.ConfigureAwait(false);
            if (reply.ExecutionCount is { } count) LastExecutionCount = count;
            if (reply.Status == "error" && options.StopOnError) OpenAbortWindow(options.SubShellId);
            return reply;
        }
        catch (TimeoutException)
        {
            var plan = await PlanAbandonAsync(pending, options).ConfigureAwait(false);
            var waited = $"{options.Timeout!.Value.TotalSeconds:0.#} s";
            var error = NotRespondingSince is { } silentSince
                ? new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.OperationTimeout,
                    $"Execution on kernel {KernelId} did not finish within {waited}; the kernel has not " +
                    $"responded for {(DateTimeOffset.UtcNow - silentSince).TotalSeconds:0} s (frozen or unreachable, not known to be dead).", KernelId)
                : new KernelException(ErrorIds.ExecutionTimeout, KernelErrorCategory.OperationTimeout, plan switch
                {
                    AbandonPlan.Interrupt => $"Execution on kernel {KernelId} did not finish within {waited}; the kernel was interrupted.",
                    AbandonPlan.Queued => $"Execution on kernel {KernelId} did not start within {waited}: it is queued behind other work on the kernel " +
                        "(another client's, or an earlier request). It was not interrupted and may still run later; its output will not be collected.",
                    _ => $"Execution on kernel {KernelId} did not finish within {waited}; it was not interrupted and may still be running.",
                }, KernelId);
            await AbandonAsync(pending, plan, error).ConfigureAwait(false);
            throw error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !pending.Completion.IsCompleted)
        {
            var plan = await PlanAbandonAsync(pending, options).ConfigureAwait(false);
            var error = new KernelException(ErrorIds.ExecutionCancelled, KernelErrorCategory.OperationStopped, plan switch
            {
                AbandonPlan.Interrupt => $"Execution on kernel {KernelId} was cancelled; the kernel was interrupted.",
                AbandonPlan.Queued => $"Execution on kernel {KernelId} was cancelled while still queued behind other work on the kernel; " +
                    "it was not interrupted and may still run later.",
                _ => $"Execution on kernel {KernelId} was cancelled; it was not interrupted and may still be running.",
            }, KernelId);
            await AbandonAsync(pending, plan, error).ConfigureAwait(false);
            throw error;
        }
        finally
        {
            _pending.TryRemove(pending.MsgId, out _);
            Volatile.Write(ref _lastUsed, Environment.TickCount64);
        }
    }

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

    private enum AbandonPlan { Interrupt, Queued, LeaveRunning }

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
        try
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

    private async Task AbandonAsync(ExecuteRequest pending, AbandonPlan plan, KernelException error)
    {
        if (plan == AbandonPlan.Interrupt && _options.Interrupt is not null)
        {
            pending.Abandon();
            try
            {
                using var cts = new CancellationTokenSource(AbandonGrace);
                await _options.Interrupt(cts.Token).ConfigureAwait(false);
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

    private async ValueTask SendInputReplyAsync(JupyterMessage inputRequest, string value, CancellationToken cancellationToken)
    {
        var reply = _factory.Create(MessageTypes.InputReply, RequestContent.InputReply(value), parent: inputRequest.Header);
        await _channels.SendAsync(KernelChannel.Stdin, reply, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendTrackedAsync(KernelChannel channel, PendingRequest pending, CancellationToken cancellationToken)
    {
        ThrowIfTerminal();
        Volatile.Write(ref _lastUsed, Environment.TickCount64);
        // Register before sending: a fast kernel's reply may arrive before SendAsync returns.
        _pending[pending.MsgId] = pending;
        _wakeWatch.Release();
        try
        {
            await _channels.SendAsync(channel, pending.Request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(pending.MsgId, out _);
            throw;
        }
    }

    private async Task ReadLoopAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (await _channels.Incoming.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (_channels.Incoming.TryRead(out var item)) Dispatch(item);
            }
            await _channels.Incoming.Completion.ConfigureAwait(false);
            FailAll(new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError, $"The connection to kernel {KernelId} was closed.", KernelId));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (KernelException e)
        {
            FailAll(e);
        }
        catch (Exception e)
        {
            FailAll(new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError, $"The connection to kernel {KernelId} failed: {e.Message}", KernelId, e));
        }
    }

    private void Dispatch(ChannelMessage item)
    {
        var message = item.Message;
        // Anything the kernel sends proves it answers again.
        if (Interlocked.Read(ref _notRespondingSinceTicks) != 0 && Interlocked.Exchange(ref _notRespondingSinceTicks, 0) != 0)
            OnDiagnostic("the kernel answers again");
        if (item.Channel == KernelChannel.IOPub)
        {
            _iopubSeen.TrySetResult();
            LastActivity = DateTimeOffset.UtcNow;
            if (message.MsgType == "status")
            {
                ExecutionState = ExecutionStates.Parse(message.Content.GetStringOrNull("execution_state")) ?? ExecutionState;
            }
        }
        if (_sessions.Observe(item.Channel, message) is { } evidence) OnRestarted(evidence, item);
        if (message.ParentMsgId is { } parent && _pending.TryGetValue(parent, out var pending))
            pending.OnMessage(item.Channel, message);
    }

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
        try { Restarted?.Invoke(this, evidence); } catch { /* a handler's fault must not kill the reader */ }
    }

    private KernelException RestartedError(string evidence, string? who = null)
        => new(ErrorIds.KernelRestarted, KernelErrorCategory.ResourceUnavailable,
            $"Kernel {KernelId} was restarted while this request was in flight ({evidence}). Its outputs are lost; " +
            "it may or may not have run on the new kernel, and nothing was interrupted. " +
            (who ?? "Another client of this kernel (another PowerShell process, or a Jupyter client of the same server) restarted it."), KernelId);

    private async Task WatchLoopAsync()
    {
        var token = _lifetime.Token;
        int heartbeatMisses = 0;
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

                if (_options.CheckDead is { } checkDead && await checkDead(token).ConfigureAwait(false) is { } why)
                {
                    // A process that is gone because someone restarted the kernel is not a death.
                    if (_options.CheckRestarted is { } checkRestarted && await checkRestarted(token).ConfigureAwait(false) is { } restart)
                        Terminate(RestartedError(restart));
                    else
                        Terminate(new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, $"Kernel {KernelId} died: {why}.", KernelId));
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
                else if (++heartbeatMisses >= _options.HeartbeatMissesAllowed)
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
        if (interval <= TimeSpan.Zero) return;
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

    /// <summary>This process is restarting the kernel itself: the calls in flight end with KernelRestarted (not with
    /// "client closed"), and the client can no longer be used.</summary>
    public void EndForRestart(string evidence) => Terminate(RestartedError(evidence, "This PowerShell process restarted it."));

    private void Terminate(KernelException error)
    {
        Interlocked.CompareExchange(ref _terminalError, error, null);
        FailAll(error);
    }

    private void FailAll(KernelException error)
    {
        Interlocked.CompareExchange(ref _terminalError, error, null);
        foreach (var pending in _pending.Values) pending.Fail(error);
    }

    private void ThrowIfTerminal()
    {
        if (_terminalError is { } error) throw error;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
    }

    private void OnDiagnostic(string text) => Diagnostic?.Invoke(this, text);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        FailAll(new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError, $"The client of kernel {KernelId} was closed.", KernelId));
        _lifetime.Cancel();
        // Stop our loops before the channels go: a heartbeat check in flight must not touch disposed sockets.
        try { await Task.WhenAll(_readLoop, _watchLoop).ConfigureAwait(false); } catch (OperationCanceledException) { }
        await _channels.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        _wakeWatch.Dispose();
    }
}
