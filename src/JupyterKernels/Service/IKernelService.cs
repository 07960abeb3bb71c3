using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

/// <summary>
/// The one entry point the cmdlets use (one shared instance per process: <see cref="KernelService.Shared"/>).
/// Providers, the store and live connections hide behind it. Every method is async, takes a token, and fails
/// with <see cref="KernelException"/> only.
/// </summary>
public interface IKernelService
{
    // Kernelspecs
    /// <param name="progress">Hears which providers are still awaited, about once a second.</param>
    /// <param name="budget">Longest wait for the providers (default: KernelServiceOptions.SpecListingBudget for all
    /// providers, none for one named provider); providers still silent then are left out with a ProviderTimeout warning.</param>
    /// <param name="onlyProviders">Without <paramref name="provider"/>: ask only these providers (a bare spec name is
    /// local, and must not wait for remote ones); their failures stay warnings.</param>
    Task<KernelSpecListing> GetKernelSpecsAsync(string? provider, bool refresh, CancellationToken cancellationToken,
        IProgress<string>? progress = null, TimeSpan? budget = null, IReadOnlyCollection<string>? onlyProviders = null);
    /// <summary>Copies a kernelspec's resources (logos) into a folder; returns the files written.</summary>
    Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken);

    // Kernels
    /// <param name="progress">Human-readable start phases ("launching", "waiting for kernel_info"...), for Write-Progress.</param>
    Task<Kernel> StartKernelAsync(StartKernelOptions options, IProgress<string>? progress, CancellationToken cancellationToken);
    Task<IReadOnlyList<Kernel>> GetKernelsAsync(CancellationToken cancellationToken);
    /// <exception cref="KernelException">KernelNotFound</exception>
    Task<Kernel> GetKernelAsync(string kernelId, CancellationToken cancellationToken);
    /// <summary>Returns the stopped kernel (state Stopped); its record is gone from the store.</summary>
    /// <param name="force">Kill at once, and even while another process runs code on the kernel.</param>
    /// <exception cref="KernelException">KernelBusy: another live process runs code on it, and not <paramref name="force"/>.</exception>
    Task<Kernel> StopKernelAsync(string kernelId, bool force, CancellationToken cancellationToken);
    /// <param name="force">Restart even while another process runs code on the kernel.</param>
    /// <exception cref="KernelException">KernelBusy: another live process runs code on it, and not <paramref name="force"/>.</exception>
    Task<Kernel> RestartKernelAsync(string kernelId, bool force, CancellationToken cancellationToken);
    Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken);
    /// <summary>Adopts the local kernel behind a connection file another Jupyter client wrote (Connect-Kernel -Path);
    /// returns the existing record when that file is already known.</summary>
    /// <exception cref="KernelException">ConnectionFileInvalid, KernelNotResponding (nothing answers)</exception>
    Task<Kernel> ConnectKernelAsync(string connectionFile, CancellationToken cancellationToken);

    // Execution
    Task<KernelExecution> ExecuteAsync(string kernelId, string code, ExecuteOptions options, CancellationToken cancellationToken);

    // An interactive console's requests between cells (Enter-Kernel). Each wait is bounded by its timeout: a kernel
    // busy with another client's cell answers them only after that cell.
    /// <summary>complete_request at <paramref name="cursor"/> (a UTF-16 index into <paramref name="code"/>).</summary>
    /// <exception cref="KernelException">KernelNotResponding when no reply comes within <paramref name="timeout"/>.</exception>
    Task<CodeCompletion> CompleteAsync(string kernelId, string code, int cursor, TimeSpan timeout, CancellationToken cancellationToken);
    /// <summary>is_complete_request; null when the kernel does not answer within <paramref name="timeout"/>.</summary>
    Task<CodeCompleteness?> IsCompleteAsync(string kernelId, string code, TimeSpan timeout, CancellationToken cancellationToken);
    /// <summary>The kernel's last <paramref name="count"/> inputs (history_request, tail); empty when it keeps none or is silent.</summary>
    Task<IReadOnlyList<KernelHistoryEntry>> GetHistoryAsync(string kernelId, int count, TimeSpan timeout, CancellationToken cancellationToken);
    /// <summary>The execution count the kernel's next stored cell will get; null when the kernel does not say within
    /// <paramref name="timeout"/> (busy with another client's cell).</summary>
    Task<int?> GetNextExecutionCountAsync(string kernelId, TimeSpan timeout, CancellationToken cancellationToken);
    /// <summary>The kernel_info_reply of this process's connection (language, banner).</summary>
    Task<KernelInfo> GetKernelInfoAsync(string kernelId, CancellationToken cancellationToken);

    // Notebooks
    /// <summary>The assignments of the notebook's parameters cell. <paramref name="language"/> overrides the notebook's.</summary>
    Task<IReadOnlyList<NotebookParameter>> GetNotebookParametersAsync(string path, string? language, CancellationToken cancellationToken);
    /// <summary>Reads, checks and parameterises the notebook and resolves its kernel; writes and starts nothing.</summary>
    /// <exception cref="KernelException">NotebookInvalid, NotebookParameterInvalid, NotebookOutputExists, NotebookKernelNotSpecified, KernelSpecNotFound, KernelNotFound</exception>
    Task<NotebookRunPlan> PlanNotebookRunAsync(NotebookRunRequest request, CancellationToken cancellationToken);
    /// <summary>Runs a plan; the output notebook is written after every cell. Cancellation interrupts the kernel, writes
    /// what ran and throws <see cref="Notebooks.NotebookRunCancelledException"/>.</summary>
    Task<NotebookRunResult> RunNotebookAsync(NotebookRunPlan plan, Notebooks.INotebookRunObserver? observer, IProgress<string>? startProgress, CancellationToken cancellationToken);

    // Subshells (protocol 5.5)
    Task<KernelSubShell> CreateSubShellAsync(string kernelId, CancellationToken cancellationToken);
    Task<IReadOnlyList<KernelSubShell>> GetSubShellsAsync(string kernelId, CancellationToken cancellationToken);
    Task DeleteSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken);

    // Sessions
    /// <summary>Create or reuse: an existing session with a live kernel is returned as it is.</summary>
    Task<KernelSession> NewSessionAsync(string name, string specName, string? path, string? type, IProgress<string>? progress, CancellationToken cancellationToken);
    Task<IReadOnlyList<KernelSession>> GetSessionsAsync(CancellationToken cancellationToken);
    /// <param name="force">Stop the kernel even while another process runs code on it.</param>
    Task RemoveSessionAsync(string name, bool stopKernel, bool force, CancellationToken cancellationToken);

    // Sync
    /// <summary>Reconciles the store with what the providers report: plans every change, asks about each, then applies
    /// the confirmed ones (provider actions, then one store transaction); under <see cref="SyncOptions.WhatIf"/> only plans.</summary>
    /// <param name="shouldProcess">Asked before each change with (target, action); false skips it (-Confirm). Asked under
    /// WhatIf too, where nothing changes whatever the answer.</param>
    /// <param name="observer">Hears progress, warnings (failed probes and shutdowns) and each provider that could not be
    /// synced (one SyncProviderFailed or ProviderNotFound, target = its name); null: only the results tell.</param>
    IAsyncEnumerable<SyncResult> SynchronizeAsync(SyncOptions options, Func<string, string, bool>? shouldProcess, ISyncObserver? observer,
        CancellationToken cancellationToken);

    // Providers
    Task<IReadOnlyList<KernelProviderInfo>> GetProvidersAsync(CancellationToken cancellationToken);
    Task<KernelProviderInfo> RegisterProviderAsync(ProviderRegistration registration, CancellationToken cancellationToken);
    Task UnregisterProviderAsync(string name, CancellationToken cancellationToken);
}
