using System.Management.Automation;
using JupyterKernels.Connections;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

// Running one cell of an Enter-Kernel session: outputs as Invoke-KernelCode writes them, input() answered at the
// console, Ctrl+C read as a key (never a stop of the command) and turned into the cancellation every command makes.
public sealed partial class EnterKernelCommand
{
    /// <summary>How often a running cell looks for Ctrl+C when no output wakes it.</summary>
    private static readonly TimeSpan KeyPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Runs a cell to its end; its execution count, or null when it has none (failed, cancelled).</summary>
    private int? RunCell(string kernelId, string code, LineEditor editor, ITerminal terminal)
    {
        // Ctrl+C cancels this cell only: the kernel is interrupted when the running code is this cell's (a cell queued
        // behind another client's work is abandoned, never interrupted), and the session goes on.
        using var cell = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken);
        var options = new ExecuteOptions { StoreHistory = true, AllowStdin = true, StopOnError = true, InterruptOnCancel = true };
        if (!TryRun(_ => Service.ExecuteAsync(kernelId, code, options, cell.Token), kernelId, out var execution)) return null;
        var drain = new ExecutionDrain(execution);
        try
        {
            DateTimeOffset? reportedSilence = null;
            while (drain.TryNext(Block<OutputWaitResult>, KeyPollInterval, out var output))
            {
                if (output is null)
                {
                    if (!cell.IsCancellationRequested && terminal.InterruptRequested()) cell.Cancel();
                    reportedSilence = KernelOutputWriter.ReportSilence(this, execution, reportedSilence, "Ctrl+C ends the wait.");
                }
                else if (!KernelOutputWriter.TryWrite(this, output)) AnswerInput((KernelInputRequest)output, editor, cell);
            }
        }
        catch (PipelineStoppedException)
        {
            throw;
        }
        catch (Exception ex)
        {
            drain.Fail(ex);
        }
        if (!TryRun(_ => drain.EndAsync(), kernelId, out var outcome)) return null;
        foreach (var error in outcome.Errors) WriteError(ErrorRecords.From(error, kernelId));
        return outcome.Reply.ExecutionCount;
    }

    /// <summary>input() and getpass() at the console; Ctrl+C (or Ctrl+D) there interrupts the cell, as in jupyter_console.</summary>
    private void AnswerInput(KernelInputRequest request, LineEditor editor, CancellationTokenSource cell)
    {
        var read = editor.ReadInput(request.Prompt, request.Password);
        if (read.Outcome != EditOutcome.Accepted)
        {
            cell.Cancel();
            return;
        }
        TryRun(ct => request.RespondAsync(read.Text, ct).AsTask(), request.KernelId);
    }
}
