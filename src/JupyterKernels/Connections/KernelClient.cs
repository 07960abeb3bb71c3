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
internal sealed partial class KernelClient : IAsyncDisposable
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
    private readonly KernelSessionTracker _sessions;
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
        _sessions = new KernelSessionTracker(_factory.SessionId);
        _readLoop = Task.Run(ReadLoopAsync);
        _watchLoop = Task.Run(WatchLoopAsync);
    }

    public string KernelId { get; }

    /// <summary>The kernel's spec name as Get-Kernel shows it; stamped on every output of its executions.</summary>
    public string? KernelName { get; init; }

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
    /// thread pool (never on the transport's I/O thread), after every call in flight was ended with KernelRestarted.</summary>
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
        EnsureExecutable(code, KernelId);
        await WaitOutAbortWindowAsync(options.SubShellId, cancellationToken).ConfigureAwait(false);
        var content = RequestContent.Execute(code, options.Silent, options.StoreHistory, options.AllowStdin, options.StopOnError);
        var message = _factory.Create(MessageTypes.ExecuteRequest, content, subshellId: options.SubShellId);
        var pending = new ExecuteRequest(KernelId, message, options.Raw, options.WithMessages, _options.IdleGrace,
            _options.ReplyGrace, SendInputReplyAsync, options.InterruptOnCancel && _options.Interrupt is not null ? InterruptKernelAsync : null, KernelName);
        await SendTrackedAsync(KernelChannel.Shell, pending, cancellationToken).ConfigureAwait(false);
        // The request completes on the connection's I/O thread; callers resume from this task, asynchronously, so
        // that their code never runs on (and never blocks) that thread.
        var completion = new TaskCompletionSource<KernelExecuteReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = PublishAsync(SuperviseAsync(pending, options, cancellationToken), completion);
        return new KernelExecution(KernelId, pending.MsgId, pending.Outputs, completion.Task, () => NotRespondingSince);
    }

    /// <summary>
    /// Code with a NUL character is refused before it is sent: ipykernel drops such a request without a reply, so the
    /// caller would wait for one that never comes; no language takes NUL in its source.
    /// </summary>
    public static void EnsureExecutable(string code, string? target)
    {
        var nul = code.IndexOf('\0');
        if (nul < 0) return;
        var line = 1 + code.AsSpan(0, nul).Count('\n');
        throw new KernelException(ErrorIds.CodeInvalid, KernelErrorCategory.InvalidArgument,
            $"The code contains a NUL character (line {line}); kernels cannot run it (ipykernel drops the request without a reply). Remove it, or read the file as text of the right encoding.", target);
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
            if (pending.EndedByInterrupt && !pending.Abandoned) await ThrowIfRestartedAfterInterruptAsync(pending, reply, cancellationToken).ConfigureAwait(false);
            if (reply.ExecutionCount is { } count) LastExecutionCount = count;
            if (reply.Status == ReplyStatuses.Error && options.StopOnError) OpenAbortWindow(options.SubShellId);
            return reply;
        }
        catch (TimeoutException)
        {
            var plan = await PlanAbandonAsync(pending, options).ConfigureAwait(false);
            var waited = $"{options.Timeout!.Value.TotalSeconds:0.#} s";
            var error = NotRespondingSince is { } silentSince
                ? new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.OperationTimeout,
                    $"Execution on kernel {KernelId} did not finish within {waited}; the kernel has not " +
                    $"responded for {(DateTimeOffset.UtcNow - silentSince).TotalSeconds:0} s (frozen or unreachable, not known to be dead); {AbandonOutcome(plan)}.", KernelId)
                : new KernelException(ErrorIds.ExecutionTimeout, KernelErrorCategory.OperationTimeout, plan switch
                {
                    AbandonPlan.Interrupt => $"Execution on kernel {KernelId} did not finish within {waited}; the kernel was interrupted.",
                    AbandonPlan.LeaveSuspended => $"Execution on kernel {KernelId} did not finish within {waited}; {AbandonOutcome(plan)}.",
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
                AbandonPlan.LeaveSuspended => $"Execution on kernel {KernelId} was cancelled; {AbandonOutcome(plan)}.",
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
            if (message.MsgType == MessageTypes.Status)
            {
                ExecutionState = ExecutionStates.Parse(OutputConverter.ExecutionState(message)) ?? ExecutionState;
            }
        }
        if (_sessions.Observe(item.Channel, message) is { } evidence) OnRestarted(evidence, item);
        if (message.ParentMsgId is { } parent && _pending.TryGetValue(parent, out var pending))
            pending.OnMessage(item.Channel, message);
    }

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
