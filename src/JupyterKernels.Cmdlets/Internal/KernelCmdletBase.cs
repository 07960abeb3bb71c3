using System.Collections.Concurrent;
using System.Management.Automation;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Base of every cmdlet: a CancellationTokenSource cancelled by Ctrl+C (StopProcessing) and disposed by the engine
/// (IDisposable: EndProcessing is not always called), a helper that waits for a core Task on the pipeline thread
/// while draining what background work queued (progress, warnings, ShouldProcess questions), and the mapping
/// KernelException → ErrorRecord. Output is written from the pipeline thread only.
/// </summary>
public abstract class KernelCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentQueue<Action> _pipelineWork = new();
    private readonly AutoResetEvent _wake = new(false);
    private int _pipelineThreadId;
    private bool _disposed;

    protected static IKernelService Service => KernelServiceAccessor.Service;

    protected CancellationToken CancellationToken => _cts.Token;

    protected override void BeginProcessing()
    {
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        if (StartupTrace.Enabled) StartupTrace.Mark(MyInvocation.MyCommand.Name + " begin");
    }

    protected override void StopProcessing()
    {
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        _wake.Set();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (StartupTrace.Enabled) StartupTrace.Mark(MyInvocation.MyCommand.Name + " disposed");
        _cts.Dispose();
        _wake.Dispose();
        GC.SuppressFinalize(this);
    }

    private bool OnPipelineThread => _pipelineThreadId == 0 || Environment.CurrentManagedThreadId == _pipelineThreadId;

    // ---------------------------------------------------------------- running core tasks

    /// <summary>
    /// Runs a core operation and waits for it on the pipeline thread, pumping queued work meanwhile.
    /// KernelException and other failures propagate; Ctrl+C becomes PipelineStoppedException.
    /// </summary>
    protected T Run<T>(Func<CancellationToken, Task<T>> operation)
    {
        Task<T> task;
        try
        {
            task = operation(_cts.Token);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        Pump(task);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (KernelException ke) when (ke.ErrorId == ErrorIds.ExecutionCancelled && _cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>
    /// Writes every item of a core async stream, in order, from the pipeline thread (each MoveNext is waited for
    /// like <see cref="Run{T}"/>). The enumerator is disposed however the loop ends, waiting at most
    /// <see cref="StreamDisposeTimeout"/>: an async iterator's cleanup may still be talking to a server, and a
    /// cmdlet must not hang on it. A cleanup failure is reported as verbose output; the items already written stand.
    /// </summary>
    protected void WriteEach<T>(Func<CancellationToken, IAsyncEnumerable<T>> source)
    {
        IAsyncEnumerator<T>? enumerator = null;
        try
        {
            enumerator = source(_cts.Token).GetAsyncEnumerator(_cts.Token);
            var current = enumerator;
            while (Run(_ => current.MoveNextAsync().AsTask())) WriteObject(current.Current);
        }
        finally
        {
            if (enumerator is not null) DisposeBounded(enumerator);
        }
    }

    protected static readonly TimeSpan StreamDisposeTimeout = TimeSpan.FromSeconds(5);

    private void DisposeBounded(IAsyncDisposable disposable)
    {
        try
        {
            if (!disposable.DisposeAsync().AsTask().Wait(StreamDisposeTimeout))
                WriteVerbose($"The result stream did not finish closing within {StreamDisposeTimeout.TotalSeconds:0} s; left to finish in the background.");
        }
        catch (Exception e)
        {
            WriteVerbose($"Closing the result stream failed: {(e as AggregateException)?.InnerException?.Message ?? e.Message}");
        }
    }

    protected void Run(Func<CancellationToken, Task> operation) =>
        Run<bool>(async ct => { await operation(ct).ConfigureAwait(false); return true; });

    /// <summary>
    /// Like <see cref="Run{T}"/> but a failure becomes a non-terminating error about <paramref name="target"/>;
    /// returns false then.
    /// </summary>
    protected bool TryRun<T>(Func<CancellationToken, Task<T>> operation, object? target, out T result)
    {
        try
        {
            result = Run(operation);
            return true;
        }
        catch (PipelineStoppedException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteFailure(ex, target);
            result = default!;
            return false;
        }
    }

    /// <summary>
    /// Reports a failed operation about <paramref name="target"/>: a non-terminating error, except a store error
    /// (<see cref="ErrorRecords.IsStoreFailure"/>), which ends the command in every command alike: every later item
    /// would need the same store, and a runbook must be able to rely on one kind for it.
    /// </summary>
    protected void WriteFailure(Exception ex, object? target)
    {
        var record = ErrorRecords.From(ex, target);
        if (ErrorRecords.IsStoreFailure(ex)) ThrowTerminatingError(record);
        WriteError(record);
    }

    protected bool TryRun(Func<CancellationToken, Task> operation, object? target) =>
        TryRun<bool>(async ct => { await operation(ct).ConfigureAwait(false); return true; }, target, out _);

    /// <summary>Like <see cref="Run{T}"/> but a failure ends the command with a terminating error about <paramref name="target"/>.</summary>
    protected T RunOrThrow<T>(Func<CancellationToken, Task<T>> operation, object? target)
    {
        try
        {
            return Run(operation);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ErrorRecords.From(ex, target));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    /// <summary>How long the pipeline thread blocks at most before it runs work queued by background code.</summary>
    protected static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Runs a blocking core wait on the pipeline thread (one the core wakes directly, with no thread-pool hop),
    /// after running queued work. Ctrl+C ends it with PipelineStoppedException.
    /// </summary>
    protected T Block<T>(Func<CancellationToken, T> wait)
    {
        DrainPipelineWork();
        try
        {
            return wait(_cts.Token);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Waits for <paramref name="task"/> while executing work queued for the pipeline thread.</summary>
    protected void Pump(Task task)
    {
        var handles = new WaitHandle[] { ((IAsyncResult)task).AsyncWaitHandle, _wake };
        while (!task.IsCompleted)
        {
            DrainPipelineWork();
            if (_cts.IsCancellationRequested)
            {
                // Give the core a moment to observe cancellation (and interrupt the kernel), but never hang.
                ((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10));
                break;
            }
            WaitHandle.WaitAny(handles, PumpInterval);
        }
        DrainPipelineWork();
        if (!task.IsCompleted && _cts.IsCancellationRequested)
            throw new PipelineStoppedException();
    }

    /// <summary>Runs everything background code queued for the pipeline thread.</summary>
    protected void DrainPipelineWork()
    {
        while (_pipelineWork.TryDequeue(out var work)) work();
    }

    /// <summary>Queues work for the pipeline thread (runs inline when already on it).</summary>
    protected void Post(Action work)
    {
        if (OnPipelineThread) { work(); return; }
        _pipelineWork.Enqueue(work);
        try { _wake.Set(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Runs <paramref name="func"/> on the pipeline thread and waits for its answer (e.g. ShouldProcess).</summary>
    protected T InvokeOnPipeline<T>(Func<T> func)
    {
        if (OnPipelineThread) return func();
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pipelineWork.Enqueue(() =>
        {
            try { tcs.TrySetResult(func()); }
            catch (Exception ex) { tcs.TrySetException(ex); }
        });
        try { _wake.Set(); } catch (ObjectDisposedException) { }
        using var registration = _cts.Token.Register(() => tcs.TrySetCanceled());
        return tcs.Task.GetAwaiter().GetResult();
    }

    // ---------------------------------------------------------------- progress and warnings from background work

    /// <summary>An IProgress that writes a progress record (activity <paramref name="activity"/>) from the pipeline thread.</summary>
    protected IProgress<string> CreateProgress(int activityId, string activity)
    {
        return new QueueProgress<string>(message => Post(() =>
        {
            var record = new ProgressRecord(activityId, activity, string.IsNullOrEmpty(message) ? "..." : message);
            WriteProgress(record);
        }));
    }

    protected void CompleteProgress(int activityId, string activity)
    {
        DrainPipelineWork();
        WriteProgress(new ProgressRecord(activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>An IProgress whose warnings are written, with their ids, from the pipeline thread.</summary>
    protected IProgress<KernelWarning> CreateWarningSink()
        => new QueueProgress<KernelWarning>(warning => Post(() => WriteWarning(warning.WarningId, warning.Message)));

    /// <summary>Synchronous IProgress (Progress&lt;T&gt; would post to the thread pool and reorder messages).</summary>
    private sealed class QueueProgress<T> : IProgress<T>
    {
        private readonly Action<T> _report;
        public QueueProgress(Action<T> report) => _report = report;
        public void Report(T value) => _report(value);
    }

    private static readonly Action<ICommandRuntime, WarningRecord>? WriteWarningRecord = FindWriteWarningRecord();

    /// <summary>
    /// Writes a warning whose <c>FullyQualifiedWarningId</c> is "<paramref name="warningId"/>,<i>command type</i>", as an
    /// error's FullyQualifiedErrorId is, so scripts can branch on it. PowerShell has no public way for a compiled cmdlet to
    /// write a <see cref="WarningRecord"/> (Write-Warning uses the runtime's internal WriteWarning(WarningRecord, bool)),
    /// so that method is bound once by reflection; where it is missing the warning is written without its id.
    /// </summary>
    internal void WriteWarning(string warningId, string message)
    {
        if (WriteWarningRecord is { } write && CommandRuntime is { } runtime && runtime.GetType().Name == "MshCommandRuntime")
            write(runtime, new WarningRecord($"{warningId},{GetType().FullName}", message));
        else
            WriteWarning(message);
    }

    private static Action<ICommandRuntime, WarningRecord>? FindWriteWarningRecord()
    {
        var type = typeof(PSCmdlet).Assembly.GetType("System.Management.Automation.MshCommandRuntime");
        var method = type?.GetMethod("WriteWarning", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public,
            null, new[] { typeof(WarningRecord), typeof(bool) }, null);
        if (method is null) return null;
        return (runtime, record) =>
        {
            try { method.Invoke(runtime, new object[] { record, false }); }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
        };
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// The Get- commands' -Name: writes the items whose names match any of <paramref name="names"/> (wildcards allowed,
    /// case-insensitive; none given = every item), each item once, in the order the names were given. A name without
    /// wildcards that matches nothing is <paramref name="notFound"/>'s error (as Get-Service -Name does); null = no error.
    /// </summary>
    protected void WriteMatching<T>(IReadOnlyList<T> items, string[]? names, Func<T, string> nameOf, Func<string, ErrorRecord>? notFound)
    {
        if (names is null || names.Length == 0)
        {
            WriteObject(items, enumerateCollection: true);
            return;
        }
        var written = new bool[items.Count];
        foreach (var name in names)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var found = false;
            for (var i = 0; i < items.Count; i++)
            {
                if (!pattern.IsMatch(nameOf(items[i]))) continue;
                found = true;
                if (!written[i]) WriteObject(items[i]);
                written[i] = true;
            }
            if (!found && notFound is not null && !WildcardPattern.ContainsWildcardCharacters(name)) WriteError(notFound(name));
        }
    }

    /// <summary>True when the user asked for -WhatIf (parameter or $WhatIfPreference).</summary>
    protected bool IsWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value))
            return value is SwitchParameter sp ? sp.IsPresent : LanguagePrimitives.IsTrue(value);
        try
        {
            return LanguagePrimitives.IsTrue(SessionState?.PSVariable.GetValue("WhatIfPreference"));
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Writes a non-terminating error for an invalid invocation.</summary>
    protected void WriteArgumentError(string errorId, string message, object? target) =>
        WriteError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    protected void ThrowArgumentError(string errorId, string message, object? target) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));
}

