using JupyterKernels.Connections;
using System.Management.Automation;
using System.Net;
using System.Text;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Invoke-KernelCode: runs code in a kernel and streams what it produces (stream text, display data, results) as
/// objects, in arrival order. Errors raised by the code become non-terminating errors with id ExecutionError.
/// Input requests are answered from -InputResponse, else by prompting the host. Ctrl+C interrupts the kernel.
/// Code comes from -Code, -Path, or the pipeline (lines are joined into one cell, run at the end).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "KernelCode", DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(KernelStreamOutput), typeof(KernelDisplayData), typeof(KernelExecuteResult), typeof(KernelClearOutput),
    typeof(KernelRawMessage), typeof(KernelExecuteReply))]
public sealed class InvokeKernelCodeCommand : KernelCmdletBase
{
    private const string IdParameterSet = "Id";
    private const string InputObjectParameterSet = "InputObject";
    private const string SubShellParameterSet = "SubShell";

    private readonly StringBuilder _pipedCode = new();
    private readonly HashSet<string> _kernelsRun = new(StringComparer.OrdinalIgnoreCase);
    private bool _labelOutputs;
    private bool _codeFromPipeline;
    private bool _kernelsFromPipeline;
    // A class, not a value tuple: a value-type field naming a core type would make PowerShell's scan of this
    // assembly's types (before the module's resolver is attached) load the core's IL instead of its ReadyToRun image.
    private UndrainedExecution? _undrained;
    private int _inputResponseIndex;

    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = IdParameterSet, HelpMessage = "The code to run. From the pipeline, lines are joined into one cell.")]
    [Parameter(Position = 0, ParameterSetName = InputObjectParameterSet)]
    [Parameter(Position = 0, ParameterSetName = SubShellParameterSet)]
    [AllowEmptyString]
    public string? Code { get; set; }

    [Parameter(HelpMessage = "Run the contents of this file instead of -Code.")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    // Named KernelId (alias Id) and bound by property name together with SubShellId, so a session piped in binds
    // its KernelId (not its own Id) and a subshell piped in binds both: PowerShell tries the default parameter set
    // first and matches a property by parameter name before aliases.
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Id of the kernel to run the code in.")]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string[] KernelId { get; set; } = Array.Empty<string>();

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Run in this subshell of the kernel (an id from New-KernelSubShell) instead of the main shell.")]
    public string? SubShellId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet,
        HelpMessage = "Kernel objects to run the code in.")]
    [ValidateNotNull]
    public Kernel[] InputObject { get; set; } = Array.Empty<Kernel>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SubShellParameterSet,
        HelpMessage = "Run in this subshell (New-KernelSubShell) instead of the main shell.")]
    [ValidateNotNull]
    public KernelSubShell? SubShell { get; set; }

    [Parameter(HelpMessage = "Give up after this long (TimeSpan, or seconds) with an ExecutionTimeout error. The kernel is interrupted only when this code is the one running; code still queued behind other work is not interrupted and may still run. Default: no limit.")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    [Parameter(HelpMessage = "Write every Jupyter message as a KernelRawMessage instead of typed outputs.")]
    public SwitchParameter Raw { get; set; }

    [Parameter(HelpMessage = "Answers to the kernel's input requests (input(), getpass()), used in order.")]
    [AllowEmptyString]
    public string[]? InputResponse { get; set; }

    [Parameter(HelpMessage = "Tell the kernel that no input can be given (input() then fails in the kernel); a kernel that asks anyway is interrupted, with an InputNotAvailable error.")]
    public SwitchParameter NoStdin { get; set; }

    [Parameter(HelpMessage = "Do not abort queued executions when this code fails (stop_on_error = false).")]
    public SwitchParameter ContinueOnError { get; set; }

    [Parameter(HelpMessage = "Run silently (the protocol's silent): no result is shown and the execution counter is not incremented; printed text still appears.")]
    public SwitchParameter Silent { get; set; }

    [Parameter(HelpMessage = "Do not record the code in the kernel's history.")]
    public SwitchParameter NoHistory { get; set; }

    [Parameter(HelpMessage = "Also write the KernelExecuteReply (status, execution count, duration) at the end.")]
    public SwitchParameter PassThru { get; set; }

    [Parameter(HelpMessage = "Also save each display's and result's MIME bundle (images, SVG, HTML, JSON, Markdown, LaTeX...) in this folder, as Save-KernelOutput does; the saved files are in the output's Files property and its view names them.")]
    [ValidateNotNullOrEmpty]
    public string? OutDirectory { get; set; }

    [Parameter(HelpMessage = "With -OutDirectory: replace files of the same name (otherwise an existing file is an OutputFileExists error and is left as it was).")]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // Parameters bound now came from the command line; if neither -Code nor -Path is among them while the kernel
        // is named on the command line, the code arrives from the pipeline.
        var bound = MyInvocation.BoundParameters;
        _codeFromPipeline = !bound.ContainsKey(nameof(Code)) && !bound.ContainsKey(nameof(Path))
            && (bound.ContainsKey(nameof(KernelId)) || bound.ContainsKey(nameof(InputObject)) || bound.ContainsKey(nameof(SubShell)))
            && MyInvocation.ExpectingInput;
        _kernelsFromPipeline = MyInvocation.ExpectingInput && !_codeFromPipeline
            && !bound.ContainsKey(nameof(KernelId)) && !bound.ContainsKey(nameof(InputObject)) && !bound.ContainsKey(nameof(SubShell));
        if (bound.ContainsKey(nameof(Code)) && bound.ContainsKey(nameof(Path)))
            ThrowArgumentError("CodeAndPath", "Give either -Code or -Path, not both.", Path);
    }

    protected override void ProcessRecord()
    {
        if (_codeFromPipeline)
        {
            if (Code is not null) _pipedCode.Append(Code).Append('\n');
            return;
        }
        var code = ResolveCode();
        if (code is null) return;
        foreach (var (kernelId, subShellId) in Targets())
        {
            if (!_kernelsFromPipeline)
            {
                Execute(kernelId, subShellId, code);
                continue;
            }
            // A kernel from the pipeline: its execution starts now and is read when the next kernel arrives or the
            // input ends, so that its outputs are labelled if another kernel follows (and stream as they come if not).
            NoteKernel(kernelId);
            DrainUndrained();
            if (Start(kernelId, subShellId, code) is { } execution) _undrained = new UndrainedExecution(kernelId, execution);
        }
    }

    protected override void EndProcessing()
    {
        DrainUndrained();
        if (!_codeFromPipeline) return;
        var code = _pipedCode.ToString();
        foreach (var (kernelId, subShellId) in Targets())
            Execute(kernelId, subShellId, code);
    }

    private string? ResolveCode()
    {
        if (Path is not null)
        {
            var resolved = GetResolvedProviderPathFromPSPath(Path, out _);
            if (resolved.Count != 1)
            {
                WriteArgumentError("PathNotUnique", $"'{Path}' must name exactly one file.", Path);
                return null;
            }
            if (Directory.Exists(resolved[0]))
            {
                WriteArgumentError("PathIsFolder", $"'{Path}' is a folder: -Path takes a file of code.", Path);
                return null;
            }
            try { return File.ReadAllText(resolved[0]); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(new IOException($"The code file '{resolved[0]}' cannot be read: {e.Message}", e), "PathNotReadable", ErrorCategory.ReadError, Path));
                return null;
            }
        }
        if (Code is null)
        {
            WriteArgumentError("CodeRequired", "Give the code with -Code, -Path or from the pipeline.", null);
            return null;
        }
        return Code;
    }

    private IEnumerable<(string KernelId, string? SubShellId)> Targets()
    {
        switch (ParameterSetName)
        {
            case SubShellParameterSet:
                if (SubShell is not null) yield return (SubShell.KernelId, SubShell.SubShellId);
                break;
            case InputObjectParameterSet:
                foreach (var k in InputObject) if (k is not null) yield return (k.Id, null);
                break;
            default:
                foreach (var id in KernelId) if (!string.IsNullOrEmpty(id)) yield return (id, string.IsNullOrEmpty(SubShellId) ? null : SubShellId);
                break;
        }
    }

    private void Execute(string kernelId, string? subShellId, string code)
    {
        if (Start(kernelId, subShellId, code) is { } execution) Drain(kernelId, execution);
    }

    private void DrainUndrained()
    {
        if (_undrained is not { } undrained) return;
        _undrained = null;
        Drain(undrained.KernelId, undrained.Execution);
    }

    private sealed record UndrainedExecution(string KernelId, KernelExecution Execution);

    /// <summary>Sends the code; null when that failed (reported as an error about the kernel).</summary>
    private KernelExecution? Start(string kernelId, string? subShellId, string code)
    {
        NoteKernel(kernelId);
        var options = new ExecuteOptions
        {
            Timeout = Timeout,
            StopOnError = !ContinueOnError.IsPresent,
            Silent = Silent.IsPresent,
            StoreHistory = !NoHistory.IsPresent && !Silent.IsPresent,
            AllowStdin = !NoStdin.IsPresent,
            Raw = Raw.IsPresent,
            SubShellId = subShellId,
            InterruptOnCancel = true,
            Warnings = CreateWarningSink(),
        };
        return TryRun(ct => Service.ExecuteAsync(kernelId, code, options, ct), kernelId, out var execution) ? execution : null;
    }

    private void Drain(string kernelId, KernelExecution execution)
    {
        // Write the outputs from the pipeline thread as they arrive; it blocks in between, woken by the connection.
        // The core's drain decides what the end reports (ExecutionDrain); this only writes what it is given.
        var drain = new ExecutionDrain(execution);
        var lines = new StreamLineJoiner();
        try
        {
            DateTimeOffset? reportedSilence = null;
            while (drain.TryNext(Block<OutputWaitResult>, PumpInterval, out var output))
            {
                if (output is null)
                {
                    if (lines.FlushIfSilent() is { } partial) HandleOutput(partial);
                    reportedSilence = KernelOutputWriter.ReportSilence(this, execution, reportedSilence, "Ctrl+C or -Timeout ends the wait.");
                }
                else foreach (var joined in lines.Add(output)) HandleOutput(joined);
            }
            if (lines.Flush() is { } last) HandleOutput(last);
        }
        catch (PipelineStoppedException)
        {
            throw;
        }
        catch (Exception ex)
        {
            drain.Fail(ex); // writing an output failed: reported with the outcome, as before
        }

        if (!TryRun(_ => drain.EndAsync(), kernelId, out var outcome)) return;
        foreach (var error in outcome.Errors) WriteError(ErrorRecords.From(error, kernelId));
        if (PassThru) WriteObject(_labelOutputs ? Labelled(PSObject.AsPSObject(outcome.Reply)) : outcome.Reply);
    }

    private void HandleOutput(KernelOutput output)
    {
        switch (output)
        {
            case KernelInputRequest request:
                AnswerInput(request);
                break;
            case KernelError or KernelExecuteReply:
                KernelOutputWriter.TryWrite(this, output);
                break;
            case KernelRichOutput rich when OutDirectory is not null:
                WriteObject(Labelled(WithSavedFiles(rich)));
                break;
            default:
                WriteObject(_labelOutputs ? Labelled(PSObject.AsPSObject(output)) : output);
                break;
        }
    }

    /// <summary>
    /// One command that runs code in several kernels labels each output with its kernel (the views show
    /// KernelLabel before it): when several kernels are named at once (-Id a,b; -InputObject (Get-Kernel)), or a
    /// second kernel comes down the pipeline (the first one's outputs are read only once the next kernel or the end of
    /// the input is known). A single kernel, the usual case, stays unlabelled.
    /// </summary>
    private void NoteKernel(string kernelId)
    {
        _kernelsRun.Add(kernelId);
        if (_labelOutputs) return;
        var named = ParameterSetName switch
        {
            InputObjectParameterSet => InputObject.Select(k => k?.Id).Distinct(StringComparer.OrdinalIgnoreCase).Count(),
            IdParameterSet => KernelId.Distinct(StringComparer.OrdinalIgnoreCase).Count(),
            _ => 1,
        };
        _labelOutputs = named > 1 || _kernelsRun.Count > 1;
    }

    private PSObject Labelled(PSObject output)
    {
        if (_labelOutputs && output.TypeNames.Count > 0 && output.TypeNames[0] != OutputView.LabelledTypeName) output.TypeNames.Insert(0, OutputView.LabelledTypeName);
        return output;
    }

    /// <summary>-OutDirectory: saves the output's bundle and writes the output with a Files property (the FileInfo of
    /// each file saved). A file that cannot be written is a non-terminating error; the output is still written.</summary>
    private PSObject WithSavedFiles(KernelRichOutput output)
    {
        var folder = GetUnresolvedProviderPathFromPSPath(OutDirectory);
        var saved = new List<PSObject>();
        foreach (var file in KernelOutputFiles.For(output))
        {
            try
            {
                saved.Add(OutputFiles.Item(this, KernelOutputFiles.Write(folder, file, Force.IsPresent)));
            }
            catch (KernelException e)
            {
                WriteError(ErrorRecords.From(e, System.IO.Path.Combine(folder, file.FileName)));
            }
        }
        var wrapped = PSObject.AsPSObject(output);
        wrapped.Properties.Add(new PSNoteProperty("Files", saved.ToArray()));
        return wrapped;
    }

    private void AnswerInput(KernelInputRequest request)
    {
        if (NoStdin)
        {
            // The kernel was told no input can be given and asked anyway: never prompt, never invent an answer.
            DeclineInput(request, "although -NoStdin was given");
            return;
        }
        if (InputResponse is not null && _inputResponseIndex < InputResponse.Length)
        {
            WriteVerbose($"Answering input request '{request.Prompt}' from -InputResponse.");
            var value = InputResponse[_inputResponseIndex++];
            TryRun(ct => request.RespondAsync(value, ct).AsTask(), request.KernelId);
            return;
        }
        string? answer = null;
        string? reason = null;
        if (!HostCanPrompt(out var why))
        {
            // A runbook: no prompt text left dangling on the output line, no wait.
            DeclineInput(request, $"but no -InputResponse value is left and the host cannot prompt ({why})");
            return;
        }
        try
        {
            answer = Prompt(request);
            if (answer is null) reason = "the host's input ended";
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException or InvalidOperationException or IOException)
        {
            reason = ex.Message;
        }
        if (answer is null)
        {
            DeclineInput(request, $"but no -InputResponse value is left and the host cannot prompt ({reason})");
            return;
        }
        TryRun(ct => request.RespondAsync(answer, ct).AsTask(), request.KernelId);
    }

    /// <summary>One InputNotAvailable error; the core interrupts the kernel so the cell ends (see DeclineAsync).</summary>
    private void DeclineInput(KernelInputRequest request, string why)
    {
        WriteError(ErrorRecords.Simple(ErrorIds.InputNotAvailable, ErrorCategory.ResourceUnavailable,
            $"The kernel asked for input ('{request.Prompt}') {why}; the execution was interrupted. " +
            "Pass the answers with -InputResponse.", request.KernelId));
        TryRun(ct => request.DeclineAsync(ct).AsTask(), request.KernelId);
    }

    /// <summary>False under pwsh -NonInteractive or with redirected standard input (a script run by a scheduler).</summary>
    private static bool HostCanPrompt(out string why)
    {
        var nonInteractive = Environment.GetCommandLineArgs().Skip(1).Any(a =>
            a.Length >= 5 && a.StartsWith("-", StringComparison.Ordinal) && "-noninteractive".StartsWith(a, StringComparison.OrdinalIgnoreCase));
        why = nonInteractive ? "pwsh runs with -NonInteractive" : Console.IsInputRedirected ? "standard input is redirected" : "";
        return why.Length == 0;
    }

    private string? Prompt(KernelInputRequest request)
    {
        var ui = Host?.UI ?? throw new PSInvalidOperationException("No host user interface.");
        ui.Write(request.Prompt);
        if (request.Password)
        {
            using var secure = ui.ReadLineAsSecureString();
            return secure is null ? null : new NetworkCredential(string.Empty, secure).Password;
        }
        return ui.ReadLine();
    }
}
