using System.Text.Json.Nodes;
using Phase = JupyterKernels.Notebooks.NotebookRunTrace.Phase;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Notebooks;

/// <summary>
/// Executes a prepared notebook's code cells in order through an <see cref="INotebookCellExecutor"/>, recording
/// outputs and timings as nbclient does and run status as papermill does, and writes the output notebook
/// (atomically) after every code cell, so whatever happens next leaves a valid notebook showing where it stopped.
/// The run has a thread of its own and blocks on each cell's outputs (<see cref="KernelExecution.WaitForOutputs"/>):
/// the connection wakes it directly, without a thread-pool hop per output.
/// </summary>
internal sealed partial class NotebookRunner
{
    public const string ErrorCellTag = "papermill-error-cell-tag";

    private readonly NotebookDocument _notebook;
    private readonly NotebookRunSettings _settings;
    private readonly INotebookCellExecutor _executor;
    private readonly INotebookRunObserver? _observer;
    private readonly DisplayIdMap _displays = new();
    private readonly NotebookOutputFile _output;
    private readonly NotebookRunTrace _trace;
    private bool _savePending;
    private KernelException? _saveFailure;

    /// <summary>How long the run blocks for a cell's outputs before looking again (the execution's own -Timeout ends it).</summary>
    private static readonly TimeSpan OutputWaitSlice = TimeSpan.FromSeconds(1);

    internal NotebookRunner(NotebookDocument notebook, NotebookRunSettings settings, INotebookCellExecutor executor, INotebookRunObserver? observer,
        NotebookRunTrace? trace = null)
    {
        _output = new NotebookOutputFile(settings.OutputPath);
        _trace = trace ?? new NotebookRunTrace();
        _notebook = notebook;
        _settings = settings;
        _executor = executor;
        _observer = observer;
    }

    /// <summary>
    /// Runs the cells. A failing cell ends the run (unless ContinueOnError) with a result of status Failed; Ctrl+C
    /// (<paramref name="cancellationToken"/>) interrupts the kernel, writes what ran and throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public Task<NotebookRunResult> RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private NotebookRunResult Run(CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow;
        RecordLanguageInfo(cancellationToken);
        var papermill = StartMetadata(start);
        var codeCells = Enumerable.Range(0, _notebook.CellCount).Where(i => IsRunnable(_notebook.Cell(i))).ToList();
        int run = 0;
        int? failedCell = null;
        string? error = null;
        IReadOnlyList<string> traceback = Array.Empty<string>();
        bool cancelled = false;
        StartupTrace.Mark("notebook: run");
        Save(now: true, durable: false); // a folder that cannot be written fails the run before any cell does

        for (int i = 0; i < _notebook.CellCount; i++)
        {
            var cell = _notebook.Cell(i);
            _output.CellChanged(cell);
            var cellStart = DateTimeOffset.UtcNow;
            var cellMeta = CellPapermill(cell);
            cellMeta["start_time"] = Iso(cellStart);
            cellMeta["status"] = "running";
            if (!IsRunnable(cell))
            {
                if (NotebookDocument.CellType(cell) == "code") cell["outputs"] = new JsonArray();
                Complete(cellMeta, cellStart, failed: false);
                continue;
            }

            var source = NotebookDocument.CellSource(cell);
            if (_observer is not null)
            {
                var t = _trace.Start();
                _observer.CellStarting(new NotebookCellProgress(i, run + 1, codeCells.Count, FirstLine(source)));
                _trace.Add(Phase.Observer, t);
            }
            var cellStarted = _trace.Start();
            var outcome = ExecuteCell(cell, i, source, cancellationToken);
            _trace.Add(run == 0 ? Phase.FirstCell : Phase.Cell, cellStarted);
            _output.CellChanged(cell); // its state went out with the previous cell's write, before its outputs came
            if (_saveFailure is { } writeFailed) throw writeFailed;
            run++;
            var failed = outcome.Failure is not null && !NotebookDocument.HasTag(cell, "raises-exception");
            if (outcome.NeverStarted)
            {
                // Ctrl+C between cells: this one never reached the kernel and stays pending.
                cellMeta["start_time"] = null;
                cellMeta["status"] = "pending";
                run--;
                cancelled = true;
                break;
            }
            Complete(cellMeta, cellStart, failed);
            if (outcome.Cancelled)
            {
                cancelled = true;
                failedCell ??= i;
                error ??= outcome.Failure ?? "Cancelled";
                break;
            }
            if (failed)
            {
                if (failedCell is null) traceback = outcome.Traceback;
                failedCell ??= i;
                error ??= outcome.Failure;
                if (!_settings.ContinueOnError) break;
            }
            // Written once the next cell's request is on its way (ExecuteCell), or by the last write: the serialization
            // then overlaps the kernel's work instead of preceding it.
            _savePending = true;
        }

        var end = DateTimeOffset.UtcNow;
        papermill["end_time"] = Iso(end);
        papermill["duration"] = (end - start).TotalSeconds;
        papermill["exception"] = failedCell is not null;
        // Indexes reported (progress, outputs, FailedCellIndex) stay those of the notebook as it ran: the banner cells
        // go in last.
        int? failedCount = failedCell is { } f && _notebook.Cell(f)["execution_count"] is JsonValue fv && fv.TryGetValue<int>(out var fc) ? fc : null;
        if (failedCell is { } failedIndex) InsertErrorBanner(failedIndex);
        StartupTrace.Mark("notebook: cells done");
        Save(now: true, durable: true);
        StartupTrace.Mark("notebook: saved");
        _trace.Cells = run;

        var result = new NotebookRunResult
        {
            Path = _settings.InputPath,
            OutputPath = _settings.OutputPath,
            Status = cancelled ? NotebookRunStatus.Cancelled : failedCell is null ? NotebookRunStatus.Completed : NotebookRunStatus.Failed,
            KernelId = _settings.KernelId,
            KernelName = _settings.KernelName,
            Language = _settings.Language,
            CellCount = codeCells.Count,
            CellsRun = run,
            FailedCellIndex = failedCell,
            FailedCellExecutionCount = failedCount,
            Error = error,
            Traceback = traceback,
            StartTime = start,
            EndTime = end,
            Parameters = _settings.Parameters.ToDictionary(p => p.Key, p => p.Value.ToPlain(), StringComparer.Ordinal),
            KernelStarted = _settings.KernelStarted,
        };
        if (cancelled) throw new NotebookRunCancelledException(result);
        return result;
    }

    private sealed record CellOutcome(string? Failure, bool Cancelled)
    {
        public IReadOnlyList<string> Traceback { get; init; } = Array.Empty<string>();
        public bool NeverStarted { get; init; }
    }

    private static IReadOnlyList<string> TracebackOf(JsonObject? error) =>
        error?["traceback"] is JsonArray lines ? lines.Select(l => l is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToList() : Array.Empty<string>();

    private CellOutcome ExecuteCell(JsonObject cell, int index, string source, CancellationToken cancellationToken)
    {
        var collector = new CellOutputCollector(cell, index, _displays);
        var wantsOutputs = _observer?.WantsOutputs == true;
        var options = new ExecuteOptions
        {
            Timeout = _settings.CellTimeout,
            StopOnError = !(_settings.ContinueOnError || NotebookDocument.HasTag(cell, "raises-exception")),
            StoreHistory = true,
            AllowStdin = false, // as nbclient: a notebook run cannot answer input()
            // The record is made from the messages; typed outputs on their own too only for a caller who wants them
            // (-PassThru): half the items to queue and wake up for otherwise.
            Raw = !wantsOutputs,
            WithMessages = true,
            InterruptOnCancel = true,
        };
        KernelExecution execution;
        var sent = _trace.Start();
        try
        {
            execution = _executor.ExecuteAsync(source, options, cancellationToken).GetAwaiter().GetResult();
            _trace.Add(Phase.Send, sent);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new CellOutcome("Cancelled before the cell started.", Cancelled: true) { NeverStarted = true };
        }
        catch (KernelException e) when (e.ErrorId == ErrorIds.ExecutionCancelled && cancellationToken.IsCancellationRequested)
        {
            return new CellOutcome(e.Message, Cancelled: true) { NeverStarted = true };
        }
        catch (KernelException e)
        {
            AddFailureOutput(cell, e);
            return new CellOutcome($"{e.ErrorId}: {e.Message}", Cancelled: false);
        }
        if (_savePending)
        {
            // The previous cell's write, beside this one's round trip. A failed write ends the run once this cell is
            // over (its outputs still go into the record), not while its request is out.
            _savePending = false;
            try { Save(); }
            catch (KernelException e) { _saveFailure ??= e; }
        }

        // Never the caller's token here: on Ctrl+C the client interrupts the kernel and the outputs still end (with
        // the KeyboardInterrupt the kernel reports), and they belong in the record.
        var reader = execution.Outputs;
        var waited = _trace.Start();
        while (execution.WaitForOutputs(OutputWaitSlice, CancellationToken.None) != OutputWaitResult.Completed)
        {
            while (reader.TryRead(out var output))
            {
                if (output is KernelProtocolMessage message) collector.Add(message);
                else if (wantsOutputs && output is not KernelExecuteReply and not KernelInputRequest) _observer!.Output(index, output);
            }
        }
        collector.Finish();
        _trace.Add(Phase.Outputs, waited);

        var replied = _trace.Start();
        try
        {
            // Settled by the time the outputs end: no wait here.
            var reply = execution.Completion.GetAwaiter().GetResult();
            _trace.Add(Phase.Reply, replied);
            if (reply.Status == ReplyStatuses.Ok) return new CellOutcome(null, false);
            return new CellOutcome(collector.FirstError is { } e ? Describe(e) : $"The kernel replied '{reply.Status}'.", false) { Traceback = TracebackOf(collector.FirstError) };
        }
        catch (KernelException e) when (e.ErrorId == ErrorIds.ExecutionCancelled || (e.ErrorId == ErrorIds.ExecutionTimeout && cancellationToken.IsCancellationRequested))
        {
            return new CellOutcome(collector.FirstError is { } err ? Describe(err) : e.Message, Cancelled: true);
        }
        catch (OperationCanceledException)
        {
            return new CellOutcome(collector.FirstError is { } err ? Describe(err) : "Cancelled.", Cancelled: true);
        }
        catch (KernelException e)
        {
            if (collector.FirstError is null) AddFailureOutput(cell, e);
            return new CellOutcome($"{e.ErrorId}: {e.Message}", false);
        }
    }

    /// <summary>Timeout, a dead kernel, a lost connection: the cell shows it as an error output, so the record says why it stopped.</summary>
    private static void AddFailureOutput(JsonObject cell, KernelException e) =>
        ((JsonArray)cell["outputs"]!).Add(new JsonObject
        {
            ["output_type"] = "error",
            ["ename"] = e.ErrorId,
            ["evalue"] = e.Message,
            ["traceback"] = new JsonArray(),
        });

    private static string Describe(JsonObject error)
    {
        var ename = error["ename"]?.GetValue<string>() ?? "Error";
        var evalue = error["evalue"]?.GetValue<string>() ?? "";
        return evalue.Length == 0 ? ename : $"{ename}: {evalue}";
    }

    /// <summary>nbclient's tag (skip_cells_with_tag) for a code cell it leaves as it is: not run, no outputs added.</summary>
    public const string SkipExecutionTag = "skip-execution";

    /// <summary>nbclient runs code cells with non-blank source that are not tagged skip-execution; the rest keep no outputs.</summary>
    internal static bool IsRunnable(JsonObject cell) =>
        NotebookDocument.CellType(cell) == "code" && NotebookDocument.CellSource(cell).Trim().Length > 0
        && !NotebookDocument.HasTag(cell, SkipExecutionTag);

    /// <param name="now">Written on this thread (the first and last write); else queued (see <see cref="NotebookOutputFile"/>).</param>
    private void Save(bool now = false, bool durable = false)
    {
        var started = _trace.Start();
        foreach (var cell in _displays.TakeChangedCells()) _output.CellChanged(cell);
        if (now) _output.SaveNow(_notebook.Root, durable);
        else _output.Save(_notebook.Root);
        _trace.Add(now ? Phase.SaveNow : Phase.Save, started);
    }

    /// <summary>
    /// nbclient records the kernel's own language_info (from kernel_info_reply) in the notebook's metadata, replacing
    /// what the input said. A kernel that cannot say leaves the input's as it is.
    /// </summary>
    private void RecordLanguageInfo(CancellationToken cancellationToken)
    {
        var started = _trace.Start();
        try
        {
            if (_executor.GetLanguageInfoAsync(cancellationToken).GetAwaiter().GetResult() is { } info) _notebook.Metadata["language_info"] = info;
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            // The record keeps the input's language_info; a cancelled run stops at its first cell.
        }
        _trace.Add(Phase.KernelInfo, started);
    }

    private static string FirstLine(string source)
    {
        foreach (var line in source.Split('\n'))
            if (line.Trim().Length > 0) return line.Trim();
        return "";
    }

}

/// <summary>Ctrl+C ended a run; the output notebook shows what ran, and <see cref="Result"/> says where it stopped.</summary>
internal sealed class NotebookRunCancelledException : OperationCanceledException
{
    public NotebookRunCancelledException(NotebookRunResult result)
        : base($"The notebook run was cancelled{(result.FailedCell is { } cell ? $" at {cell}" : "")}; the output notebook '{result.OutputPath}' shows what ran.")
        => Result = result;

    public NotebookRunResult Result { get; }
}
