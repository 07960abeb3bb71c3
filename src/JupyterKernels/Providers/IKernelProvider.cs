using JupyterKernels.Connections;

namespace JupyterKernels.Providers;

/// <summary>
/// A place kernels run: the local machine or a Jupyter Server / Kernel Gateway / Enterprise Gateway.
/// Every method takes a token and ends with a result or a <see cref="KernelException"/>, never a hang.
/// </summary>
internal interface IKernelProvider : IAsyncDisposable
{
    /// <summary>"local" for the local provider, else the registered name (used as spec-name prefix).</summary>
    string Name { get; }

    /// <summary>"local" or "gateway": what Get-KernelProvider shows. Code asks <see cref="Capabilities"/> instead.</summary>
    string Kind { get; }

    /// <summary>What this provider can do and tell beyond what every provider does. Nothing by default.</summary>
    ProviderCapabilities Capabilities => ProviderCapabilities.None;

    /// <summary>Specs with <see cref="KernelSpec.Name"/> already prefixed for remote providers.</summary>
    Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken);

    /// <summary>Problems the last <see cref="GetKernelSpecsAsync"/> found that did not hide the other specs (a broken
    /// local kernel.json), as warnings to show beside the listing.</summary>
    IReadOnlyList<ProviderWarning> SpecWarnings => Array.Empty<ProviderWarning>();

    /// <summary>Starts a kernel and returns its record once it is ready (local) or started (remote).</summary>
    Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the message channels of a kernel (a new client session).</summary>
    Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken);

    Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>Restarts in place (same id); returns the updated record.</summary>
    Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>Shuts the kernel down (local: request, then terminate, then kill; <paramref name="now"/> kills at once).</summary>
    Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken);

    /// <summary>Shuts the kernel down but returns once it has acknowledged: the end of its process is watched, and
    /// enforced after the grace, in the background and beyond this process's exit (local kernels on Linux). For whoever
    /// has nothing more to do with the kernel (a notebook run's own). Without an acknowledgement, or where the exit cannot
    /// be watched, this is <see cref="ShutdownAsync"/>.</summary>
    Task ShutdownWithoutWaitingForExitAsync(KernelRecord kernel, CancellationToken cancellationToken) => ShutdownAsync(kernel, false, cancellationToken);

    /// <summary>Checks one kernel (local: process + command line + heartbeat; remote: GET by id).</summary>
    Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>All kernels the provider reports (remote). Complete=false tells the caller to probe each record
    /// instead (local kernels; gateways that forbid listing).</summary>
    Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken);

    /// <summary>Copies a kernelspec's resources (logos, kernel.js) into <paramref name="folder"/>; returns the files
    /// written. <paramref name="specName"/> is the provider's own name (a prefixed name is accepted too).</summary>
    Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken)
        => throw new KernelException(ErrorIds.ProviderRequestFailed, KernelErrorCategory.NotImplemented,
            $"Provider '{Name}' cannot save kernelspec resources.", specName);

    /// <summary>Publishes a session in the provider's own session list where it has one (Jupyter Server's
    /// /api/sessions), so other Jupyter clients of that server see it. Best effort: the store is the truth.</summary>
    Task MirrorSessionAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Removes a mirrored session. On Jupyter Server this also shuts the kernel down, so it is called only
    /// when the kernel is being stopped anyway.</summary>
    Task RemoveSessionMirrorAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The kernel is definitely gone and its record is being removed (Sync-KernelSession -RemoveDead): delete
    /// what the provider keeps for it (local: the connection file, which holds the key, and the log). Best effort.</summary>
    Task ForgetAsync(KernelRecord kernel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Resolves a record left in state Starting: still in progress (its starter lives, or the kernel may still come
    /// up within the grace period), completed (the kernel answers: the returned record carries its connection and
    /// process), or abandoned (what the start created is stopped and deleted; the record should go). Null: the
    /// provider has nothing to say (the record is probed as usual). <paramref name="dryRun"/> stops and deletes nothing.
    /// </summary>
    Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken) => Task.FromResult<StartRecovery?>(null);

    /// <summary>The provider's own sessions (Jupyter Server's /api/sessions); empty where it has none (local, Kernel
    /// Gateway). Used to honour Jupyter's one-session-per-path rule and to bring adopted kernels' sessions in.</summary>
    Task<IReadOnlyList<ProviderSession>> ListSessionsAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<ProviderSession>>(Array.Empty<ProviderSession>());

    /// <summary>Kernels running where this provider looks, started by other clients and not in <paramref name="known"/>,
    /// that answer (local: connection files in the runtime dir). Remote providers adopt from their listing instead.</summary>
    Task<IReadOnlyList<KernelRecord>> FindAdoptableAsync(IReadOnlyCollection<KernelRecord> known, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<KernelRecord>>(Array.Empty<KernelRecord>());

    /// <summary>Adopts the kernel of a connection file another client wrote (Connect-Kernel -ConnectionFile) and returns
    /// its record; <paramref name="idTaken"/> says which ids the store already holds. Only providers with
    /// <see cref="ProviderCapabilities.AdoptsConnectionFiles"/>.</summary>
    Task<KernelRecord> AdoptConnectionFileAsync(string connectionFile, Func<string, bool> idTaken, CancellationToken cancellationToken)
        => throw new KernelException(ErrorIds.ProviderNotFound, KernelErrorCategory.NotImplemented,
            $"Provider '{Name}' cannot adopt kernels from connection files.", connectionFile);

    /// <summary>Asks the kernel whether it runs code now (local: shell silent while control answers). Remote providers
    /// report execution_state in their listing instead; by default the activity is unknown.</summary>
    Task<KernelActivityProbe> ProbeActivityAsync(KernelRecord kernel, CancellationToken cancellationToken)
        => Task.FromResult(new KernelActivityProbe(KernelActivity.Unknown, $"provider '{Name}' cannot probe a kernel's activity"));

    /// <summary>What the public <see cref="Kernel"/> shows of the provider's own data in <see cref="KernelRecord.ProviderData"/>
    /// (local: pid, connection file, adopted; remote: URL). Only the provider reads that data.</summary>
    ProviderKernelView Describe(KernelRecord kernel) => default;

    /// <summary>How a <see cref="KernelClient"/> of this kernel detects death and interrupts on cancel: data the client
    /// acts on itself (<see cref="KernelInterrupt"/>, <see cref="KernelProcess"/>), never a call back into the provider.
    /// By default nothing is known: no process, and giving up on an execution interrupts nothing.</summary>
    KernelClientOptions GetClientOptions(KernelRecord kernel) => new();

    /// <summary>The record's provider data with what a client learned of the kernel's channels, for
    /// <see cref="GetClientOptions"/> to hand every later client; null when this provider keeps no such knowledge.</summary>
    string? WithChannels(KernelRecord kernel, KernelChannelCapabilities channels) => null;
}
