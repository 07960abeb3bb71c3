using JupyterKernels.Connections;

namespace JupyterKernels.Providers;

// What a provider does beyond IKernelProvider, one role per interface. A caller asks for the role it needs
// (`provider is IRecoversStarts recovery`) and does without it otherwise, so no provider carries members that do
// nothing and a third provider says what it can by the roles it implements. Today the local provider takes the roles
// of kernels that are processes on this machine (adoption of connection files, interrupted starts, files to forget,
// activity probes, detached shutdown, channel knowledge, spec warnings); a Jupyter Server provider keeps sessions.

/// <summary>Finds kernels other clients started by their connection files, and adopts one on request.</summary>
internal interface IAdoptsConnectionFiles
{
    /// <summary>Kernels running where this provider looks, started by other clients and not in <paramref name="known"/>,
    /// that answer (local: connection files in the runtime dir).</summary>
    Task<IReadOnlyList<KernelRecord>> FindAdoptableAsync(IReadOnlyCollection<KernelRecord> known, CancellationToken cancellationToken);

    /// <summary>Adopts the kernel of a connection file another client wrote (Connect-Kernel -ConnectionFile) and returns
    /// its record; <paramref name="idTaken"/> says which ids the store already holds.</summary>
    Task<KernelRecord> AdoptConnectionFileAsync(string connectionFile, Func<string, bool> idTaken, CancellationToken cancellationToken);
}

/// <summary>Resolves records a start left behind (state Starting) when the process that started them went away.</summary>
internal interface IRecoversStarts
{
    /// <summary>
    /// Resolves a record left in state Starting: still in progress (its starter lives, or the kernel may still come
    /// up within the grace period), completed (the kernel answers: the returned record carries its connection and
    /// process), or abandoned (what the start created is stopped and deleted; the record should go). Null: nothing to
    /// say about this record (it is probed as usual). <paramref name="dryRun"/> stops and deletes nothing.
    /// </summary>
    Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken);
}

/// <summary>Keeps files of its own for each kernel (local: the connection file, which holds the key, and the log).</summary>
internal interface IKeepsKernelFiles
{
    /// <summary>The kernel is definitely gone and its record is being removed (Sync-KernelSession -RemoveDead): delete
    /// what the provider keeps for it. Best effort.</summary>
    Task ForgetAsync(KernelRecord kernel, CancellationToken cancellationToken);
}

/// <summary>Can watch the end of a kernel's process after it acknowledged a shutdown, beyond this process's exit.</summary>
internal interface IWatchesKernelExit
{
    /// <summary>Shuts the kernel down but returns once it has acknowledged: the end of its process is watched, and
    /// enforced after the grace, in the background (local kernels on Linux). For whoever has nothing more to do with
    /// the kernel (a notebook run's own). Without an acknowledgement, or where the exit cannot be watched, this is
    /// <see cref="IKernelProvider.ShutdownAsync"/>.</summary>
    Task ShutdownWithoutWaitingForExitAsync(KernelRecord kernel, CancellationToken cancellationToken);
}

/// <summary>Asks the kernel itself whether it runs code, and sees who else is connected to it. Without this role the
/// provider's own report decides (a server's execution_state and connections count in its listing or probe).</summary>
internal interface IProbesActivity
{
    /// <summary>Whether the kernel runs code now (local: shell silent while control answers).</summary>
    Task<KernelActivityProbe> ProbeActivityAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>The other clients connected to the kernel (local: processes holding a connection to its ports), the
    /// evidence of use a server's connections count gives; empty when none, null when it cannot be observed here.</summary>
    IReadOnlyList<string>? FindOtherClients(KernelRecord kernel);
}

/// <summary>Keeps sessions of its own (Jupyter Server's /api/sessions): they are listed to honour Jupyter's
/// one-session-per-path rule and to bring adopted kernels' sessions in, and ours are mirrored there.</summary>
internal interface IKeepsSessions
{
    /// <summary>The provider's own sessions.</summary>
    Task<IReadOnlyList<ProviderSession>> ListSessionsAsync(CancellationToken cancellationToken);

    /// <summary>Publishes a session in the provider's session list, so other Jupyter clients of that server see it.
    /// Best effort: the store is the truth.</summary>
    Task MirrorSessionAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>Removes a mirrored session. On Jupyter Server this also shuts the kernel down, so it is called only
    /// when the kernel is being stopped anyway.</summary>
    Task RemoveSessionMirrorAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken);
}

/// <summary>Keeps what a client learned of a kernel's channels in the record, for every later client.</summary>
internal interface IRemembersChannels
{
    /// <summary>The record's provider data with what a client learned of the kernel's channels, for
    /// <see cref="IKernelProvider.GetClientOptions"/> to hand every later client; null when nothing changes.</summary>
    string? WithChannels(KernelRecord kernel, KernelChannelCapabilities channels);
}

/// <summary>Finds problems in its kernelspecs that do not hide the other specs (a broken local kernel.json).</summary>
internal interface IReportsSpecWarnings
{
    /// <summary>What the last <see cref="IKernelProvider.GetKernelSpecsAsync"/> found, as warnings to show beside the listing.</summary>
    IReadOnlyList<ProviderWarning> SpecWarnings { get; }
}
