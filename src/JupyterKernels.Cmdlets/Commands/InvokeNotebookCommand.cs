using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Text;
using JupyterKernels.Notebooks;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Invoke-Notebook: runs a notebook's code cells on a kernel (a new one of the notebook's kernelspec or -KernelName,
/// an existing one by -Id or pipeline, or a session's) with papermill-style parameters, and writes the executed
/// notebook to -OutputPath after every cell. Writes a NotebookRunResult; a failing cell is a NotebookCellFailed error.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Notebook", DefaultParameterSetName = KernelNameParameterSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(NotebookRunResult))]
[OutputType(typeof(KernelStreamOutput), typeof(KernelDisplayData), typeof(KernelExecuteResult), typeof(KernelClearOutput))]
public sealed class InvokeNotebookCommand : KernelCmdletBase
{
    private const string KernelNameParameterSet = "KernelName";
    private const string IdParameterSet = "Id";
    private const string InputObjectParameterSet = "InputObject";
    private const string SessionParameterSet = "Session";
    private const int ProgressId = 1;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The notebook to run (.ipynb, nbformat 4).")]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Position = 1, HelpMessage = "Where to write the executed notebook. Default: <name>.output.ipynb beside the input.")]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter(HelpMessage = "Parameter values (hashtable; [ordered] keeps their order), injected after the cell tagged 'parameters' as papermill does.")]
    [Alias("Parameter")]
    public IDictionary? Parameters { get; set; }

    [Parameter(ParameterSetName = KernelNameParameterSet, HelpMessage = "Kernelspec to start (bare for local, provider/name for remote). Default: the notebook's metadata.kernelspec.name.")]
    [Parameter(ParameterSetName = SessionParameterSet)]
    [Alias("Kernel")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string? KernelName { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Run on this existing kernel (left running).")]
    [Alias("KernelId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string? Id { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet,
        HelpMessage = "Run on this kernel (from Get-Kernel or Start-Kernel; left running).")]
    [ValidateNotNull]
    public Kernel? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SessionParameterSet,
        HelpMessage = "Run on this session's kernel, creating the session (with the notebook's kernel) if it does not exist; left running.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSessionNameCompleter))]
    public string? SessionName { get; set; }

    [Parameter(ParameterSetName = KernelNameParameterSet, HelpMessage = "Working directory of the kernel started for the run. Default: the notebook's folder (local kernels).")]
    [ValidateNotNullOrEmpty]
    public string? WorkingDirectory { get; set; }

    [Parameter(HelpMessage = "Per-cell time limit (TimeSpan, or seconds): the kernel is interrupted and the cell marked failed. Default: none.")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    [Parameter(ParameterSetName = KernelNameParameterSet, HelpMessage = "How long to wait for a started kernel to be ready (TimeSpan, or seconds). Default 60 s.")]
    [Parameter(ParameterSetName = SessionParameterSet)]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? StartTimeout { get; set; }

    [Parameter(HelpMessage = "Run every cell even after one fails (each failure is still reported and marked).")]
    public SwitchParameter ContinueOnError { get; set; }

    [Parameter(HelpMessage = "Also write the cells' outputs (the objects Invoke-KernelCode writes), each with a CellIndex property.")]
    public SwitchParameter PassThru { get; set; }

    [Parameter(HelpMessage = "Replace an existing output notebook (or write over the input).")]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var inputPath = ResolveInput();
        if (inputPath is null) return;
        var outputPath = OutputPath is null
            ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(inputPath)!, System.IO.Path.GetFileNameWithoutExtension(inputPath) + ".output.ipynb")
            : GetUnresolvedProviderPathFromPSPath(OutputPath);

        IReadOnlyList<KeyValuePair<string, ParameterValue>> parameters;
        try
        {
            parameters = ConvertParameters();
        }
        catch (KernelException e)
        {
            WriteError(ErrorRecords.From(e, inputPath));
            return;
        }

        var kernelId = ParameterSetName switch
        {
            IdParameterSet => Id,
            InputObjectParameterSet => InputObject?.Id,
            _ => null,
        };
        var request = new NotebookRunRequest
        {
            InputPath = inputPath,
            OutputPath = outputPath,
            Parameters = parameters,
            KernelName = KernelName,
            KernelId = kernelId,
            SessionName = SessionName,
            WorkingDirectory = WorkingDirectory is not null ? GetUnresolvedProviderPathFromPSPath(WorkingDirectory)
                : kernelId is null && SessionName is null && (KernelName is null || !KernelName.Contains('/')) ? System.IO.Path.GetDirectoryName(inputPath) : null,
            CellTimeout = Timeout,
            StartTimeout = StartTimeout ?? TimeSpan.FromSeconds(60),
            ContinueOnError = ContinueOnError.IsPresent,
            Force = Force.IsPresent,
        };

        if (!TryRun(ct => Service.PlanNotebookRunAsync(request, ct), inputPath, out var plan)) return;
        foreach (var name in plan.UnknownParameters)
            WriteWarning(ErrorIds.NotebookParameterUnknown, $"Passed unknown parameter: {name} (the parameters cell of '{System.IO.Path.GetFileName(inputPath)}' does not assign it; it is injected all the same).");
        var action = $"Run {plan.CodeCellCount} code cell{(plan.CodeCellCount == 1 ? "" : "s")} on {plan.KernelDescription}" +
            (parameters.Count > 0 ? $" with parameters {string.Join(", ", parameters.Select(p => p.Key))}" : "") +
            $", writing '{outputPath}'";
        if (!ShouldProcess(inputPath, action)) return;

        var activity = $"Running notebook {System.IO.Path.GetFileName(inputPath)}";
        var observer = new Observer(this, activity);
        var startProgress = CreateProgress(ProgressId, activity);
        try
        {
            NotebookRunResult result;
            try
            {
                result = Run(ct => Service.RunNotebookAsync(plan, observer, startProgress, ct));
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (Exception e)
            {
                WriteFailure(e, inputPath);
                return;
            }
            WriteObject(result);
            if (result.Status == NotebookRunStatus.Failed) WriteError(CellFailed(result));
        }
        finally
        {
            observer.Dispose(); // no render after the Completed record
            CompleteProgress(ProgressId, activity);
        }
    }

    private string? ResolveInput()
    {
        Collection<string> resolved;
        try
        {
            resolved = GetResolvedProviderPathFromPSPath(Path, out var provider);
            if (provider.Name != "FileSystem") throw new ArgumentException($"'{Path}' is not a file system path.");
        }
        catch (Exception e) when (e is ItemNotFoundException or ArgumentException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            WriteError(ErrorRecords.Simple(ErrorIds.NotebookNotFound, ErrorCategory.ObjectNotFound, $"Notebook '{Path}' not found: {e.Message}", Path));
            return null;
        }
        if (resolved.Count != 1 || !File.Exists(resolved[0]))
        {
            WriteError(ErrorRecords.Simple(ErrorIds.NotebookInvalid, ErrorCategory.InvalidArgument,
                resolved.Count == 1 ? $"'{resolved[0]}' is not a file." : $"'{Path}' must name exactly one notebook ({resolved.Count} match).", Path));
            return null;
        }
        return resolved[0];
    }

    private IReadOnlyList<KeyValuePair<string, ParameterValue>> ConvertParameters()
    {
        var list = new List<KeyValuePair<string, ParameterValue>>();
        if (Parameters is null) return list;
        foreach (DictionaryEntry entry in Parameters)
        {
            var name = Unwrap(entry.Key)?.ToString() ?? "";
            list.Add(new(name, ParameterValue.From(entry.Value, name, Unwrap)));
        }
        return list;
    }

    /// <summary>PowerShell wraps values in PSObject; a [pscustomobject] becomes a dictionary of its properties.</summary>
    private static object? Unwrap(object? value)
    {
        if (value is not PSObject pso) return value;
        if (pso.BaseObject is PSCustomObject)
        {
            var dict = new System.Collections.Specialized.OrderedDictionary(StringComparer.Ordinal);
            foreach (var p in pso.Properties) dict[p.Name] = p.Value;
            return dict;
        }
        return pso.BaseObject;
    }

    /// <summary>A kernel's error text as one sentence: R's values end with a newline, the module's messages with a period.</summary>
    private static string Sentence(string? text)
    {
        var trimmed = (text ?? "").Trim();
        return trimmed.Length > 0 && trimmed[^1] is '.' or '!' or '?' ? trimmed : trimmed + ".";
    }

    private static ErrorRecord CellFailed(NotebookRunResult result)
    {
        var message = $"The cell {result.FailedCell} of '{System.IO.Path.GetFileName(result.Path)}' failed: {Sentence(result.Error)} The output notebook '{result.OutputPath}' marks it.";
        var exception = new KernelException(ErrorIds.NotebookCellFailed, KernelErrorCategory.InvalidOperation, message, result);
        var record = new ErrorRecord(exception, ErrorIds.NotebookCellFailed, ErrorCategory.InvalidOperation, result);
        var details = new StringBuilder(message);
        var traceback = AnsiText.Strip(string.Join("\n", result.Traceback)).TrimEnd();
        if (traceback.Length > 0) details.Append('\n').Append(traceback);
        record.ErrorDetails = new ErrorDetails(details.ToString());
        return record;
    }

    /// <summary>
    /// Hands cell progress and outputs to the pipeline thread (the run itself has a thread of its own). Progress is
    /// rendered at most every <see cref="ProgressInterval"/> (pwsh's progress rendering costs more than a small cell),
    /// and a render always shows the cell running at that moment; a cell that starts inside the interval is shown
    /// when the interval ends, if it still runs.
    /// </summary>
    private sealed class Observer : INotebookRunObserver, IDisposable
    {
        internal static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(150);

        private readonly InvokeNotebookCommand _cmdlet;
        private readonly string _activity;
        private readonly object _lock = new();
        private readonly Timer _deferred;
        private NotebookCellProgress? _latest;
        private long _lastRender;
        private bool _renderQueued;
        private bool _timerArmed;
        private bool _closed;

        public Observer(InvokeNotebookCommand cmdlet, string activity)
        {
            _cmdlet = cmdlet;
            _activity = activity;
            _deferred = new Timer(_ => QueueRender());
        }

        public bool WantsOutputs => _cmdlet.PassThru.IsPresent;

        public void CellStarting(NotebookCellProgress progress)
        {
            lock (_lock)
            {
                _latest = progress;
                if (_renderQueued || _timerArmed) return; // the render to come reads _latest
                var wait = ProgressInterval - System.Diagnostics.Stopwatch.GetElapsedTime(_lastRender);
                if (_lastRender != 0 && wait > TimeSpan.Zero)
                {
                    _timerArmed = true;
                    _deferred.Change(wait, System.Threading.Timeout.InfiniteTimeSpan);
                    return;
                }
                _renderQueued = true;
            }
            _cmdlet.Post(Render);
        }

        private void QueueRender()
        {
            lock (_lock)
            {
                _timerArmed = false;
                if (_renderQueued) return;
                _renderQueued = true;
            }
            _cmdlet.Post(Render);
        }

        /// <summary>On the pipeline thread.</summary>
        private void Render()
        {
            NotebookCellProgress? progress;
            lock (_lock)
            {
                if (_closed) return;
                progress = _latest;
                _renderQueued = false;
                _lastRender = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            if (progress is null) return;
            var record = new ProgressRecord(ProgressId, _activity, $"Cell {progress.Number} of {progress.Total}: {Shorten(progress.FirstLine)}")
            {
                PercentComplete = progress.Total == 0 ? 0 : Math.Min(100, (progress.Number - 1) * 100 / progress.Total),
                CurrentOperation = $"cell index {progress.CellIndex}",
            };
            _cmdlet.WriteProgress(record);
        }

        public void Dispose()
        {
            lock (_lock) _closed = true;
            _deferred.Dispose();
        }

        public void Output(int cellIndex, KernelOutput output) => _cmdlet.Post(() =>
        {
            var wrapped = PSObject.AsPSObject(output);
            wrapped.Properties.Add(new PSNoteProperty("CellIndex", cellIndex));
            _cmdlet.WriteObject(wrapped);
        });

        private static string Shorten(string line) => line.Length > 60 ? line[..57] + "..." : line.Length == 0 ? "(empty)" : line;
    }
}
