using System.Management.Automation;
using System.Text;

namespace JupyterKernels.Cmdlets;

/// <summary>KernelException (and anything else) → ErrorRecord, keeping the core's stable ErrorId.</summary>
internal static class ErrorRecords
{
    public const string UnexpectedErrorId = "UnexpectedError";

    public static ErrorCategory MapCategory(KernelErrorCategory category) =>
        Enum.TryParse<ErrorCategory>(category.ToString(), ignoreCase: false, out var mapped) ? mapped : ErrorCategory.NotSpecified;

    /// <summary>The kernel store cannot be used (damaged, newer, or unreachable): terminating in every command.</summary>
    public static bool IsStoreFailure(Exception exception) =>
        (exception is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : exception) is KernelException
        {
            ErrorId: ErrorIds.StoreInvalid or ErrorIds.StoreTooNew or ErrorIds.StoreUnavailable,
        };

    public static ErrorRecord From(Exception exception, object? fallbackTarget)
    {
        if (exception is AggregateException { InnerExceptions.Count: 1 } agg)
            exception = agg.InnerExceptions[0];
        return exception switch
        {
            KernelException ke => new ErrorRecord(ke, ke.ErrorId, MapCategory(ke.Category), ke.Target ?? fallbackTarget),
            OperationCanceledException oce => new ErrorRecord(oce, ErrorIds.ExecutionCancelled, ErrorCategory.OperationStopped, fallbackTarget),
            TimeoutException te => new ErrorRecord(te, UnexpectedErrorId, ErrorCategory.OperationTimeout, fallbackTarget),
            NotImplementedException nie => new ErrorRecord(nie, "NotImplemented", ErrorCategory.NotImplemented, fallbackTarget),
            _ => new ErrorRecord(exception, UnexpectedErrorId, ErrorCategory.NotSpecified, fallbackTarget),
        };
    }

    /// <summary>
    /// An error raised by code in the kernel: id ExecutionError, ErrorDetails = "Ename: Evalue" on one line (ConciseView
    /// folds a multi-line message into one paragraph when the command runs from a script), the exception message =
    /// that line plus the traceback without ANSI colour codes (Get-Error, $err.Exception.Message), TargetObject = the
    /// kernel id (as for every other error about a kernel); the KernelError itself (Ename,
    /// Evalue, Traceback) is the exception's Data["KernelError"]. Invoke-KernelCode shows the traceback itself as the
    /// cell's output (<see cref="Traceback"/>).
    /// </summary>
    public static ErrorRecord FromKernelError(KernelError error)
    {
        var summary = string.IsNullOrEmpty(error.Evalue) ? error.Ename : $"{error.Ename}: {error.Evalue}";
        var traceback = Traceback(error);
        var message = traceback.Length > 0 ? summary + "\n" + traceback : summary;
        var exception = new KernelException(ErrorIds.ExecutionError, KernelErrorCategory.InvalidOperation, message, error.KernelId);
        exception.Data["KernelError"] = error;
        var record = new ErrorRecord(exception, ErrorIds.ExecutionError, ErrorCategory.InvalidOperation, error.KernelId);
        record.ErrorDetails = new ErrorDetails(summary);
        return record;
    }

    /// <summary>The kernel's traceback as plain text lines (no ANSI colour codes), or "" when the kernel sent none.</summary>
    public static string Traceback(KernelError error) => StripAnsi(string.Join("\n", error.Traceback)).TrimEnd();

    public static string StripAnsi(string text) => AnsiText.Strip(text);

    public static ErrorRecord Simple(string errorId, ErrorCategory category, string message, object? target) =>
        new(new KernelException(errorId, Enum.TryParse<KernelErrorCategory>(category.ToString(), out var c) ? c : KernelErrorCategory.NotSpecified, message, target),
            errorId, category, target);
}
