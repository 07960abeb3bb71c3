using JupyterKernels.Connections;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// A process's first contact with a kernel proves it answers (kernel_info) before code is sent. A frozen kernel never
// answers: the caller hears so within seconds, as a running call does, and the wait lasts as long as the caller's
// -Timeout says (else the service's ConnectTimeout), never a fixed silent 30 s.
public sealed partial class KernelService
{
    /// <summary>How long a first contact waits in silence before the caller hears KernelNotResponding.</summary>
    internal static readonly TimeSpan FirstContactWarningDelay = TimeSpan.FromSeconds(3);

    private async Task<KernelClient> FirstContactAsync(KernelRecord record, ExecuteOptions options, CancellationToken cancellationToken)
    {
        // The caller's -Timeout bounds the whole call, first contact included; without one, the service's ConnectTimeout.
        var budget = options.Timeout ?? _options.ConnectTimeout;
        var connecting = GetClientAsync(record, cancellationToken, budget);
        if (options.Warnings is { } warnings && !connecting.IsCompleted)
        {
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var first = await Task.WhenAny(connecting, Task.Delay(FirstContactWarningDelay, delay.Token)).ConfigureAwait(false);
            delay.Cancel();
            if (first != connecting)
                warnings.Report(new KernelWarning(ErrorIds.KernelNotResponding,
                    $"{ErrorIds.KernelNotResponding}: kernel {record.Id} has not answered kernel_info within {FirstContactWarningDelay.TotalSeconds:0} s of connecting; " +
                    $"still waiting, up to {budget.TotalSeconds:0} s (it may be frozen or unreachable, it is not known to be dead). Ctrl+C or -Timeout ends the wait."));
        }
        return await connecting.ConfigureAwait(false);
    }
}
