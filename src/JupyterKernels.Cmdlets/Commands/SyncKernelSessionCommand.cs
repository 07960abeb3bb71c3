using System.Management.Automation;
using JupyterKernels.Service;
using JupyterKernels.Sync;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Sync-KernelSession: reconciles the store with what providers report (keep, update, adopt, mark dead, remove,
/// cull idle). Each change is confirmed through ShouldProcess (-WhatIf/-Confirm). A provider that cannot be
/// reached becomes a SyncProviderFailed error, so scripts see $? = $false, while the others are still synced.
/// </summary>
[Cmdlet(VerbsData.Sync, "KernelSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SyncResult))]
public sealed class SyncKernelSessionCommand : KernelCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Only sync these providers (default: all).")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelProviderNameCompleter))]
    public string[]? Provider { get; set; }

    [Parameter(HelpMessage = "Record remote kernels that this module did not start.")]
    public SwitchParameter Adopt { get; set; }

    [Parameter(HelpMessage = "Delete the records of kernels that are definitely gone (otherwise they are marked dead).")]
    public SwitchParameter RemoveDead { get; set; }

    [Parameter(HelpMessage = "Shut down kernels idle for longer than this (TimeSpan, or seconds).")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? CullIdle { get; set; }

    [Parameter(HelpMessage = "With -CullIdle: also cull busy kernels (jupyter_server cull_busy).")]
    public SwitchParameter IncludeBusy { get; set; }

    [Parameter(HelpMessage = "With -CullIdle: also cull kernels that have open connections (jupyter_server cull_connected).")]
    public SwitchParameter IncludeConnected { get; set; }

    private readonly List<string> _providers = new();
    private bool _allProviders;

    // Providers may arrive by property name (e.g. Get-Kernel | Sync-KernelSession): collect them and sync once.
    protected override void ProcessRecord()
    {
        if (Provider is { Length: > 0 })
        {
            foreach (var p in Provider)
                if (!_providers.Contains(p, StringComparer.OrdinalIgnoreCase)) _providers.Add(p);
        }
        else
        {
            _allProviders = true;
        }
    }

    protected override void EndProcessing()
    {
        var whatIf = IsWhatIf();
        var providers = _allProviders || _providers.Count == 0 ? null : _providers.ToArray();
        var options = new SyncOptions
        {
            Providers = providers,
            Adopt = Adopt.IsPresent,
            RemoveDead = RemoveDead.IsPresent,
            CullIdle = CullIdle,
            IncludeBusy = IncludeBusy.IsPresent,
            IncludeConnected = IncludeConnected.IsPresent,
            WhatIf = whatIf,
        };

        // ShouldProcess must run on the pipeline thread; the core may ask from a background thread.
        // Under -WhatIf it prints "What if: ..." and the core (WhatIf = true) changes nothing but still reports.
        Func<string, string, bool> shouldProcess = (target, action) =>
            InvokeOnPipeline(() => ShouldProcess(target, action)) || whatIf;

        // Failed probes are warnings; a provider that cannot be synced is one error naming it.
        var observer = new Observer(CreateProgress(4, "Syncing kernel records"), CreateWarningSink(),
            failure => Post(() => WriteError(ErrorRecords.From(failure, failure.Target))));

        try
        {
            WriteEach(ct => Service.SynchronizeAsync(options, shouldProcess, observer, ct));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteFailure(ex, providers is { Length: 1 } ? providers[0] : null);
        }
        finally
        {
            DrainPipelineWork();
            CompleteProgress(4, "Syncing kernel records");
        }
    }

    private sealed class Observer(IProgress<string> progress, IProgress<KernelWarning> warnings, Action<KernelException> failed) : ISyncObserver
    {
        public void Progress(string activity) => progress.Report(activity);
        public void Warning(KernelWarning warning) => warnings.Report(warning);
        public void ProviderFailed(KernelException failure) => failed(failure);
    }
}
