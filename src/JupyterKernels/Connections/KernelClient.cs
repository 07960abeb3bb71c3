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
    private KernelException? _terminalError;
    private int _disposed;

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

    /// <summary>When the kernel last published anything.</summary>
    public DateTimeOffset? LastActivity { get; private set; }

    /// <summary>Set once the client can no longer be used (kernel died, transport closed); further calls fail with it.</summary>
    public KernelException? TerminalError => _terminalError;

    /// <summary>Diagnostics (dropped messages, heartbeat misses). Never carries secrets.</summary>
    public event EventHandler<string>? Diagnostic;

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
                    // The busy/idle around kernel_info proves the SUB is connected; give it a moment to arrive
                    // (woken by the first IOPub message, not by polling: this wait is on every new connection's path).
                    try { await _iopubSeen.Task.WaitAsync(IOPubGrace, deadline.Token).ConfigureAwait(false); }
                    catch (TimeoutException) { }
                    for (int i = 0; i < 200 && !(_channels.IOPubReady && _channels.RequestChannelsConnected); i++)
                        await Task.Delay(1, deadline.Token).ConfigureAwait(false);
                    if (_channels.IOPubReady && _channels.RequestChannelsConnected) return Info;
                    // Answered before our subscription was live: ask again, its busy/idle will prove it.
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KernelException(ErrorIds.KernelStartTimeout, KernelErrorCategory.OperationTimeout,
                $"Kernel {KernelId} did not become ready within {timeout.TotalSeconds:0.#} s (no kernel_info_reply on control or shell with IOPub traffic).", KernelId);
        }
    }

    private static readonly TimeSpan ReadyAttempt = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IOPubGrace = TimeSpan.FromMilliseconds(200);
    private readonly TaskCompletionSource _iopubSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
        var pending = new ExecuteRequest(KernelId, message, options.Raw, _options.IdleGrace, SendInputReplyAsync);
        await SendTrackedAsync(KernelChannel.Shell, pending, cancellationToken).ConfigureAwait(false);
        // The request completes on the connection's I/O thread; callers resume from this task, asynchronously, so
        // that their code never runs on (and never blocks) that thread.
        var completion = new TaskCompletionSource<KernelExecuteReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = PublishAsync(SuperviseAsync(pending, options, cancellationToken), completion);
        return new KernelExecution(KernelId, pending.MsgId, pending.Outputs, completion.Task);
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
            if (reply.Status == "error" && options.StopOnError) OpenAbortWindow(options.SubShellId);
            return reply;
        }
        catch (TimeoutException)
        {
            var error = new KernelException(ErrorIds.ExecutionTimeout, KernelErrorCategory.OperationTimeout,
                $"Execution on kernel {KernelId} did not finish within {options.Timeout!.Value.TotalSeconds:0.#} s" +
                (WillInterrupt(pending, options) ? "; the kernel was interrupted." : "."), KernelId);
            await AbandonAsync(pending, options, error).ConfigureAwait(false);
            throw error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !pending.Completion.IsCompleted)
        {
            var error = new KernelException(ErrorIds.ExecutionCancelled, KernelErrorCategory.OperationStopped,
                $"Execution on kernel {KernelId} was cancelled" + (WillInterrupt(pending, options) ? "; the kernel was interrupted." : "."), KernelId);
            await AbandonAsync(pending, options, error).ConfigureAwait(false);
            throw error;
        }
        finally
        {
            _pending.TryRemove(pending.MsgId, out _);
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

    private async Task AbandonAsync(ExecuteRequest pending, ExecuteOptions options, KernelException error)
    {
        // An interrupt reaches only the main shell (kernels deliver SIGINT to their main thread), so abandoning a
        // subshell execution must not interrupt: it would kill unrelated main-shell work and not stop the subshell.
        if (WillInterrupt(pending, options))
        {
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
        if (item.Channel == KernelChannel.IOPub)
        {
            LastActivity = DateTimeOffset.UtcNow;
            _iopubSeen.TrySetResult();
            if (message.MsgType == "status")
            {
                ExecutionState = ExecutionStates.Parse(message.Content.GetStringOrNull("execution_state")) ?? ExecutionState;
            }
        }
        if (message.ParentMsgId is { } parent && _pending.TryGetValue(parent, out var pending))
            pending.OnMessage(item.Channel, message);
    }

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
                    continue;
                }
                await Task.Delay(_options.WatchInterval, token).ConfigureAwait(false);
                while (_wakeWatch.CurrentCount > 0) _wakeWatch.Wait(0);
                if (_pending.IsEmpty) continue;

                var now = DateTimeOffset.UtcNow;
                foreach (var pending in _pending.Values) pending.OnTick(now);

                if (_options.CheckDead is { } checkDead && await checkDead(token).ConfigureAwait(false) is { } why)
                {
                    Terminate(new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, $"Kernel {KernelId} died: {why}.", KernelId));
                    return;
                }
                if (await _channels.CheckHeartbeatAsync(_options.HeartbeatTimeout, token).ConfigureAwait(false))
                {
                    heartbeatMisses = 0;
                }
                else if (++heartbeatMisses >= _options.HeartbeatMissesAllowed)
                {
                    Terminate(new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable,
                        $"Kernel {KernelId} stopped answering its heartbeat ({heartbeatMisses} misses in a row); it is dead or hung.", KernelId));
                    return;
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
