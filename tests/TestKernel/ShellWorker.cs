using System.Collections.Concurrent;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.TestKernel;

/// <summary>
/// One shell: the main (parent) shell or a subshell. Its own queue and thread; requests are handled one at a time in
/// arrival order. Every request gets busy → … → idle with itself as parent (ipykernel's dispatch_shell).
/// </summary>
internal sealed class ShellWorker
{
    private readonly KernelServer _kernel;
    private readonly BlockingCollection<JupyterMessage> _queue = new(new ConcurrentQueue<JupyterMessage>());
    private readonly object _interruptLock = new();
    private CancellationTokenSource? _current;
    private Thread? _thread;
    private volatile bool _stopping;
    private int _abortRemaining;

    public ShellWorker(KernelServer kernel, string? subshellId)
    {
        _kernel = kernel;
        SubshellId = subshellId;
    }

    /// <summary>Null for the main shell.</summary>
    public string? SubshellId { get; }

    public void Enqueue(JupyterMessage request)
    {
        try { _queue.Add(request); }
        catch (InvalidOperationException) { KernelServer.Log($"subshell {SubshellId} is being deleted; {request.MsgType} dropped"); }
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"subshell-{SubshellId}" };
        _thread.Start();
    }

    /// <summary>delete_subshell: let the running request finish, drop the queued ones, join the thread.</summary>
    public async Task StopAndJoinAsync()
    {
        _stopping = true;
        _queue.CompleteAdding();
        if (_thread is { } thread) await Task.Run(thread.Join);
    }

    /// <summary>Interrupts the command running now (main shell only: subshells never see interrupts).</summary>
    public void Interrupt()
    {
        lock (_interruptLock) _current?.Cancel();
    }

    public void Run()
    {
        foreach (var request in _queue.GetConsumingEnumerable())
        {
            if (_stopping)
            {
                KernelServer.Log($"subshell {SubshellId} deleted; queued {request.MsgType} dropped without reply");
                continue;
            }
            try
            {
                Handle(request);
            }
            catch (Exception e)
            {
                KernelServer.Log($"shell {SubshellId ?? "main"}: {request.MsgType} failed: {e}");
            }
        }
    }

    private void Handle(JupyterMessage request)
    {
        bool aborting = _abortRemaining > 0;
        if (aborting) _abortRemaining--;
        if (request.MsgType != "execute_request")
        {
            _kernel.Publish("status", KernelServer.Status("busy"), request.Header);
            switch (request.MsgType)
            {
                case "kernel_info_request":
                    _kernel.ReplyOnShell(request, "kernel_info_reply", _kernel.KernelInfoContent());
                    break;
                case "is_complete_request":
                    _kernel.ReplyOnShell(request, "is_complete_reply", KernelServer.Content(w => w.WriteString("status", "complete")));
                    break;
                default:
                    KernelServer.Log($"unknown shell message type {request.MsgType}; no reply");
                    break;
            }
            _kernel.Publish("status", KernelServer.Status("idle"), request.Header);
            return;
        }
        if (aborting)
        {
            // stop_on_error: requests that were already queued when an execution failed are aborted (this shell only).
            _kernel.Publish("status", KernelServer.Status("busy"), request.Header);
            var aborted = KernelServer.Content(w => w.WriteString("status", "aborted"));
            _kernel.ReplyOnShell(request, "execute_reply", aborted, metadata: aborted);
            _kernel.Publish("status", KernelServer.Status("idle"), request.Header);
            return;
        }
        Execute(request);
    }

    private void Execute(JupyterMessage request)
    {
        var content = request.Content;
        var code = content.GetStringOrNull("code") ?? "";
        bool silent = content.GetBooleanOrNull("silent") ?? false;
        bool storeHistory = (content.GetBooleanOrNull("store_history") ?? true) && !silent;
        bool allowStdin = content.GetBooleanOrNull("allow_stdin") ?? true;
        bool stopOnError = content.GetBooleanOrNull("stop_on_error") ?? true;

        var program = Interpreter.Parse(code);
        var faults = program.Faults;
        bool mute = faults.Contains(Fault.Silent);

        using var interrupt = new CancellationTokenSource();
        if (SubshellId is null) lock (_interruptLock) _current = interrupt;
        var context = new ExecutionContext(_kernel, this, request, allowStdin, mute,
            SubshellId is null ? interrupt.Token : CancellationToken.None) { IgnoreAllowStdin = faults.Contains(Fault.IgnoreStdin) };
        try
        {
            context.Publish("status", KernelServer.Status("busy"));
            int count = storeHistory ? _kernel.NextExecutionCount() : _kernel.ExecutionCount;
            context.ExecutionCount = count;
            if (!silent) context.Publish("execute_input", KernelServer.Content(w => { w.WriteString("code", code); w.WriteNumber("execution_count", count); }));

            CommandError? error = null;
            try
            {
                Interpreter.Run(program, context);
            }
            catch (CommandError e)
            {
                error = e;
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                error = new CommandError("KeyboardInterrupt", "");
            }

            JsonElement reply;
            bool abortReply = error is not null && faults.Contains(Fault.Abort);
            if (abortReply)
            {
                // Fault abort: some kernels end a failed (interrupted) request with status "abort", no error output.
                reply = KernelServer.Content(w => w.WriteString("status", "abort"));
            }
            else if (error is null)
            {
                reply = KernelServer.Content(w =>
                {
                    w.WriteString("status", "ok");
                    w.WriteNumber("execution_count", count);
                    w.WriteStartObject("user_expressions"); w.WriteEndObject();
                    w.WriteStartArray("payload"); w.WriteEndArray();
                });
            }
            else
            {
                var traceback = error.Traceback;
                context.Publish("error", KernelServer.Content(w =>
                {
                    w.WriteString("ename", error.Ename);
                    w.WriteString("evalue", error.Evalue);
                    w.WriteStartArray("traceback");
                    foreach (var line in traceback) w.WriteStringValue(line);
                    w.WriteEndArray();
                }));
                reply = KernelServer.Content(w =>
                {
                    w.WriteString("status", "error");
                    w.WriteNumber("execution_count", count);
                    w.WriteString("ename", error.Ename);
                    w.WriteString("evalue", error.Evalue);
                    w.WriteStartArray("traceback");
                    foreach (var line in traceback) w.WriteStringValue(line);
                    w.WriteEndArray();
                });
            }

            if (!mute && !faults.Contains(Fault.NoReply))
            {
                var replyFault = faults.Contains(Fault.BadSig) ? ReplyFault.BadSignature
                    : faults.Contains(Fault.Malformed) ? ReplyFault.Malformed : ReplyFault.None;
                var metadata = KernelServer.Content(w => w.WriteString("status", abortReply ? "abort" : error is null ? "ok" : "error"));
                _kernel.ReplyOnShell(request, "execute_reply", reply, replyFault, metadata);
                if (faults.Contains(Fault.DupReply)) _kernel.ReplyOnShell(request, "execute_reply", reply, ReplyFault.None, metadata);
            }

            // Abort what is already queued in THIS shell (ipykernel: per subshell, stop_on_error_timeout 0).
            if (error is not null && stopOnError) _abortRemaining = _queue.Count;

            if (!faults.Contains(Fault.NoIdle)) context.Publish("status", KernelServer.Status("idle"));
        }
        finally
        {
            if (SubshellId is null) lock (_interruptLock) _current = null;
        }
    }
}
