using System.Management.Automation;
using JupyterKernels.Connections;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Enter-Kernel: an interactive session in a kernel, as Enter-PSSession is for remote PowerShell and jupyter console
/// for Jupyter. A prompt names the kernel and the next execution count; Tab completes through the kernel, a cell the
/// kernel calls incomplete continues on the next line, Up/Down recall the kernel's history and this session's cells;
/// outputs render as Invoke-KernelCode renders them; input() prompts; Ctrl+C interrupts the running cell (only when
/// it is ours, as every command does) and returns to the prompt; 'exit' or Ctrl+D returns to PowerShell and leaves the
/// kernel running.
/// </summary>
[Cmdlet(VerbsCommon.Enter, "Kernel", DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(KernelStreamOutput), typeof(KernelDisplayData), typeof(KernelExecuteResult), typeof(KernelClearOutput))]
public sealed partial class EnterKernelCommand : KernelCmdletBase
{
    private const string IdParameterSet = "Id";
    private const string InputObjectParameterSet = "InputObject";
    private const string SessionParameterSet = "Session";

    /// <summary>Inputs of the kernel's history offered to Up arrow (jupyter_console loads 1,000).</summary>
    private const int HistoryLength = 1000;

    /// <summary>How long the prompt waits for the kernel's word on a cell (jupyter_console: 1 s); silence submits it.</summary>
    private static readonly TimeSpan IsCompleteTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long Tab waits for completions (a kernel busy with another client's cell answers after it).</summary>
    private static readonly TimeSpan CompleteTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long the first prompt waits for the execution count and the history before it shows without them.</summary>
    private static readonly TimeSpan PrologueTimeout = TimeSpan.FromSeconds(2);

    private readonly List<(string Id, string? Name)> _targets = new();

    // Named KernelId (alias Id) and bound by property name: a session piped in binds its KernelId, not its own Id.
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Id of the kernel to enter (see Get-Kernel).")]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string KernelId { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet,
        HelpMessage = "The kernel to enter, as written by Get-Kernel or Start-Kernel.")]
    [ValidateNotNull]
    public Kernel? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SessionParameterSet, HelpMessage = "Enter the kernel of this named session (see Get-KernelSession).")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSessionNameCompleter))]
    public string SessionName { get; set; } = "";

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case InputObjectParameterSet:
                if (InputObject is not null) _targets.Add((InputObject.Id, InputObject.Name));
                break;
            case SessionParameterSet:
                var sessions = RunOrThrow(ct => Service.GetSessionsAsync(ct), SessionName);
                var session = sessions.FirstOrDefault(s => string.Equals(s.Name, SessionName, StringComparison.Ordinal))
                    ?? sessions.FirstOrDefault(s => string.Equals(s.Name, SessionName, StringComparison.OrdinalIgnoreCase));
                if (session is null)
                    ThrowTerminatingError(ErrorRecords.Simple(ErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound,
                        $"No session named '{SessionName}' (Get-KernelSession lists them).", SessionName));
                else _targets.Add((session.KernelId, session.KernelName));
                break;
            default:
                _targets.Add((KernelId, null));
                break;
        }
    }

    /// <summary>The session starts once the pipeline's input has ended: one kernel, entered after whatever produced it.</summary>
    protected override void EndProcessing()
    {
        if (_targets.Count == 0) return;
        if (_targets.Count > 1)
        {
            ThrowArgumentError("OneKernelOnly", $"Enter-Kernel enters one kernel; {_targets.Count} were given. Pick one (Get-Kernel | Select-Object -First 1).", null);
            return;
        }
        var kernel = RunOrThrow(ct => Service.GetKernelAsync(_targets[0].Id, ct), _targets[0].Id);
        if (!ConsoleCanEdit(out var why))
        {
            ThrowTerminatingError(ErrorRecords.Simple(ErrorIds.InteractiveConsoleRequired, ErrorCategory.InvalidOperation,
                $"Enter-Kernel needs a console to type in, and {why}. In scripts, run code with Invoke-KernelCode.", kernel.Id));
            return;
        }
        var info = RunOrThrow(ct => Service.GetKernelInfoAsync(kernel.Id, ct), kernel.Id);
        using var terminal = new SystemTerminal();
        Interact(kernel, info, terminal);
    }

    /// <summary>False under pwsh -NonInteractive or with redirected standard input (a script run by a scheduler).</summary>
    private static bool ConsoleCanEdit(out string why)
    {
        var nonInteractive = Environment.GetCommandLineArgs().Skip(1).Any(a =>
            a.Length >= 5 && a.StartsWith("-", StringComparison.Ordinal) && "-noninteractive".StartsWith(a, StringComparison.OrdinalIgnoreCase));
        why = nonInteractive ? "pwsh runs with -NonInteractive" : Console.IsInputRedirected ? "standard input is redirected" : "";
        return why.Length == 0;
    }

    private void Interact(Kernel kernel, KernelInfo info, ITerminal terminal)
    {
        var kernelId = kernel.Id;
        // The kernel's history and its execution count travel beside each other; the first prompt waits for neither long.
        var history = new InputHistory();
        history.LoadLater(KernelHistoryAsync(kernelId));
        int? nextCount = NextExecutionCount(kernelId);
        var editor = new LineEditor(terminal)
        {
            History = history,
            Complete = (code, cursor) => Ask(ct => Service.CompleteAsync(kernelId, code, cursor, CompleteTimeout, ct)),
            ContinuationIndent = code => Ask(ct => Service.IsCompleteAsync(kernelId, code, IsCompleteTimeout, ct)) is
                { Status: CodeCompletenessStatus.Incomplete } answer ? answer.Indent : null,
        };
        WriteHost(Banner(kernel, info));
        var label = $"[{kernel.Name}] ";
        while (true)
        {
            var prompt = $"{label}In [{(nextCount is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : " ")}]: ";
            var continuation = new string(' ', Math.Max(0, prompt.Length - 5)) + "...: ";
            var read = editor.ReadCell(prompt, continuation);
            if (read.Outcome == EditOutcome.EndOfInput || IsExit(read.Text)) break;
            if (read.Outcome == EditOutcome.Cancelled || read.Text.Trim().Length == 0) continue;
            // A cell that ended without a reply (Ctrl+C, a failure) may still have counted: ask the kernel again.
            nextCount = RunCell(kernelId, read.Text, editor, terminal) is { } count ? count + 1 : NextExecutionCount(kernelId);
        }
        WriteHost($"Left kernel {kernel.Name} ({kernelId}); it is still running.");
    }

    private async Task<IEnumerable<string>> KernelHistoryAsync(string kernelId)
        => (await Service.GetHistoryAsync(kernelId, HistoryLength, PrologueTimeout, CancellationToken).ConfigureAwait(false)).Select(e => e.Input);

    /// <summary>'exit' and 'quit' (with or without parentheses) leave the session, whatever the kernel's language: the
    /// kernel never sees them, so it keeps running (IPython's exit() would only ask its frontend to leave; R's quit()
    /// would end the kernel).</summary>
    private static bool IsExit(string text) => text.Trim() is "exit" or "quit" or "exit()" or "quit()";

    private static string Banner(Kernel kernel, KernelInfo info)
    {
        // The banner's first line of words (xeus-python's banner opens with ASCII art).
        var first = info.Banner.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(line => line.Count(char.IsLetterOrDigit) * 2 >= line.Count(c => !char.IsWhiteSpace(c)));
        var about = first ?? (info.LanguageName.Length > 0 ? info.LanguageName : kernel.Name);
        return $"{about}\nKernel {kernel.Name} ({kernel.Id}). Tab completes; 'exit' or Ctrl+D returns to PowerShell " +
            "and leaves the kernel running; Ctrl+C interrupts a cell.";
    }

    /// <summary>The count the kernel's next cell gets; null when the kernel does not say soon (busy with another
    /// client's cell: the prompt shows no number until ours ran).</summary>
    private int? NextExecutionCount(string kernelId) => Ask(ct => Service.GetNextExecutionCountAsync(kernelId, PrologueTimeout, ct));

    /// <summary>A question the prompt can do without: its answer, or the default when it fails or is not answered.</summary>
    private T? Ask<T>(Func<CancellationToken, Task<T>> question)
    {
        try
        {
            return Run(question);
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException or TimeoutException)
        {
            WriteVerbose(e.Message);
            return default;
        }
    }

    private void WriteHost(string text) => WriteInformation(new HostInformationMessage { Message = text }, ["PSHOST"]);
}
