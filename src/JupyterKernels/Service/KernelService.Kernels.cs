using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async Task<KernelSpecListing> GetKernelSpecsAsync(string? provider, bool refresh, CancellationToken cancellationToken,
        IProgress<string>? progress = null, TimeSpan? budget = null, IReadOnlyCollection<string>? onlyProviders = null)
    {
        var providers = await ProvidersAsync(cancellationToken).ConfigureAwait(false);
        if (provider is not null) providers.GetInfo(provider); // ProviderNotFound for a name that is not registered
        var only = provider is null ? onlyProviders : new[] { provider };
        // All providers: bounded, so one that hangs cannot hold the others back. One named provider: its own timeouts.
        budget ??= provider is null ? _options.SpecListingBudget : null;
        var listing = await providers.ListKernelSpecsAsync(refresh, cancellationToken, only, budget, progress).ConfigureAwait(false);
        // The provider the user named failed: that is the answer, an error (a warning and nothing would read as "it has
        // no kernelspecs"). Listing all providers keeps going past one that failed.
        if (provider is not null && listing.Warnings.FirstOrDefault(w => string.Equals(w.Provider, provider, StringComparison.OrdinalIgnoreCase)) is { } failed)
            throw new KernelException(failed.ErrorId, CategoryOf(failed.ErrorId), failed.Message, provider);
        // Broken local kernelspecs never hide the others; they are reported as warnings.
        if (providers.Local is IReportsSpecWarnings { SpecWarnings: { Count: > 0 } specWarnings } && (only is null || only.Contains(KernelProviders.LocalName, StringComparer.OrdinalIgnoreCase)))
            listing = listing with { Warnings = listing.Warnings.Concat(specWarnings).ToList() };
        return listing;
    }

    private static KernelErrorCategory CategoryOf(string errorId) => errorId switch
    {
        ErrorIds.ProviderAuthenticationFailed => KernelErrorCategory.AuthenticationError,
        ErrorIds.ProviderUnreachable => KernelErrorCategory.ConnectionError,
        ErrorIds.ProviderTimeout => KernelErrorCategory.OperationTimeout,
        _ => KernelErrorCategory.ResourceUnavailable,
    };

    /// <summary>
    /// Saves into <c>folder/&lt;spec name&gt;</c> (a remote spec's "provider/name" nests), the layout of a kernels dir:
    /// specs saved together never overwrite each other's logos, however many are given.
    /// </summary>
    public async Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken)
    {
        var (provider, providerSpec) = (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Resolve(specName);
        if (File.Exists(folder))
            throw new KernelException(ErrorIds.ResourcePathInvalid, KernelErrorCategory.InvalidArgument,
                $"'{folder}' is a file; give a folder to save the kernelspec resources in (it is created when missing).", folder);
        var target = Path.Combine(new[] { folder }.Concat(specName.Split('/', StringSplitOptions.RemoveEmptyEntries)).ToArray());
        try
        {
            return await provider.SaveKernelSpecResourcesAsync(providerSpec, target, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.ResourcePathInvalid, KernelErrorCategory.InvalidArgument,
                $"The resources of kernelspec '{specName}' could not be saved in '{target}': {e.Message}", folder, e);
        }
    }

    public async Task<Kernel> StartKernelAsync(StartKernelOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (options.SessionName is { } sessionName)
        {
            var session = await NewSessionAsync(sessionName, options.SpecName, null, null, progress, cancellationToken).ConfigureAwait(false);
            return await GetKernelAsync(session.KernelId, cancellationToken).ConfigureAwait(false);
        }
        var record = await StartRecordedAsync(options, progress, cancellationToken).ConfigureAwait(false);
        return record.ToKernel(Describe(record));
    }

    /// <summary>Record first, start second: a crash in between leaves a record Sync can reconcile, never an orphan
    /// nobody knows of.</summary>
    private async Task<KernelRecord> StartRecordedAsync(StartKernelOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var (provider, providerSpec) = (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Resolve(options.SpecName);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString();
        var placeholder = new KernelRecord
        {
            Id = id,
            Provider = provider.Name,
            SpecName = options.SpecName,
            State = KernelState.Starting,
            CreatedAt = DateTimeOffset.UtcNow,
            Owner = $"{Environment.UserName}@{Environment.MachineName}",
            // Who is starting it: while this process lives the start is in progress; once it is gone, Sync resolves it.
            StarterPid = Environment.ProcessId,
            StarterStartTime = Processes.ProcessIdentity.TryGetStartTime(Environment.ProcessId),
        };
        progress?.Report($"Recording kernel {id}");
        await store.AddKernelAsync(placeholder, cancellationToken).ConfigureAwait(false);
        KernelRecord started;
        try
        {
            progress?.Report($"Starting '{options.SpecName}' on provider '{provider.Name}'");
            started = await provider.StartKernelAsync(new KernelStartRequest
            {
                KernelId = id,
                SpecName = providerSpec,
                WorkingDirectory = options.WorkingDirectory,
                Environment = options.Environment,
                StartTimeout = options.StartTimeout,
                ExtraArguments = options.ExtraArguments,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            // A failed start leaves no record: a local start cleaned up after itself; a remote kernel a timed-out start
            // may have left on the server has no id of ours to find it by, and is the server's to list (Sync -Adopt)
            // and cull. A record without a kernel behind it would only mislead, and outlive its provider.
            await store.RemoveKernelAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        var record = started with { Id = id, SpecName = options.SpecName, Provider = provider.Name, Owner = placeholder.Owner, CreatedAt = placeholder.CreatedAt };
        // A kernel is idle from when it is ready, not from when its start began (a slow start is no idleness): its
        // first activity is its readiness, as Jupyter Server records last_activity once a start is done.
        if (record.State != KernelState.Starting) record = record with { LastActivityAt = record.LastActivityAt ?? DateTimeOffset.UtcNow };
        await store.UpsertKernelAsync(record, CancellationToken.None).ConfigureAwait(false);
        record = await TakeServerIdAsync(record).ConfigureAwait(false);
        if (record.State == KernelState.Starting)
            record = await WaitUntilReadyAsync(record, progress, cancellationToken).ConfigureAwait(false);
        progress?.Report("Kernel ready");
        return record;
    }

    /// <summary>
    /// A server answers the start of a remote kernel before the kernel runs (execution_state "starting"); a record left
    /// so would say Starting until the next sync. Connect as a first execute would (kernel_info through
    /// the server) and record the state the kernel then reports. Failing to connect fails nothing: the record stays
    /// Starting and the next command or sync tells.
    /// </summary>
    private async Task<KernelRecord> WaitUntilReadyAsync(KernelRecord record, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"Waiting for kernel {record.Id} to answer");
        try
        {
            _ = await GetClientAsync(record, cancellationToken).ConfigureAwait(false);
            // Just started and answering: idle. The last status may still be the busy the kernel published for our
            // own readiness kernel_info (its idle follows a moment later), which is no work of anyone's.
            var now = DateTimeOffset.UtcNow;
            var ready = record with { State = KernelState.Idle, LastSeenAt = now, LastActivityAt = Latest(record.LastActivityAt, now) };
            var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
            await store.UpdateKernelAsync(ready, CancellationToken.None).ConfigureAwait(false);
            return ready;
        }
        catch (KernelException)
        {
            return record;
        }
    }

    private static DateTimeOffset Latest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    // The store fills each record's SessionName from the sessions table.
    public async Task<IReadOnlyList<Kernel>> GetKernelsAsync(CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var records = await store.ListKernelsAsync(null, cancellationToken).ConfigureAwait(false);
        var executions = await store.ListExecutionsAsync(null, cancellationToken).ConfigureAwait(false);
        return await WithServerStateAsync(records, records.Select(r => WithExecutions(r, executions)).ToList(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<Kernel> GetKernelAsync(string kernelId, CancellationToken cancellationToken)
    {
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var kernel = WithExecutions(record, await store.ListExecutionsAsync(record.Id, cancellationToken).ConfigureAwait(false));
        return (await WithServerStateAsync(new[] { record }, new[] { kernel }, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>The public view of a record, with what this process's live connection knows (the execution count).</summary>
    private Kernel Present(KernelRecord record)
    {
        return record.ToKernel(Describe(record), _connections.Connected(record.Id)?.LastExecutionCount);
    }

    /// <summary>What the record's provider shows of its provider data. Without loading the providers registry (Get-Kernel
    /// costs a store read, no more): a kernel is local or a remote provider's, and the remote factory reads the data of
    /// every remote provider, registered or not.</summary>
    private ProviderKernelView Describe(KernelRecord record)
        => string.IsNullOrEmpty(record.Provider) || string.Equals(record.Provider, KernelProviders.LocalName, StringComparison.OrdinalIgnoreCase)
            ? _local.Describe(record)
            : GatewayProviderFactory.Instance.Describe(record);

    /// <summary>The record of <paramref name="kernelId"/>: the store's id, or a remote kernel's id on its server (what
    /// JupyterLab, the server's REST API and another machine's store know it by), so an id is portable across machines.</summary>
    internal async Task<KernelRecord> GetRecordAsync(string kernelId, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        if (await store.GetKernelAsync(kernelId, cancellationToken).ConfigureAwait(false) is { } record) return record;
        var byServerId = (await store.ListKernelsAsync(null, cancellationToken).ConfigureAwait(false))
            .Where(r => string.Equals(r.RemoteId, kernelId, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byServerId.Count == 1) return byServerId[0];
        if (byServerId.Count > 1)
            throw new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.InvalidArgument,
                $"Kernel id '{kernelId}' is the server id of kernels on several providers ({string.Join(", ", byServerId.Select(r => r.Provider))}); give the store id (Get-Kernel lists them).", kernelId);
        throw new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound,
            $"No kernel with id '{kernelId}' is known (Get-Kernel lists them).", kernelId);
    }

    /// <summary>Stops the kernel and forgets its record; returns the kernel as it was, now <see cref="KernelState.Stopped"/>
    /// (Stop-Kernel -PassThru).</summary>
    public async Task<Kernel> StopKernelAsync(string kernelId, bool force, CancellationToken cancellationToken)
    {
        kernelId = (await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false)).Id;
        if (!force) await RefuseIfAnotherProcessRunsCodeAsync(kernelId, "Stopping it", cancellationToken).ConfigureAwait(false);
        return await StopKernelAsync(kernelId, force, waitForExit: true, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="waitForExit">False: return once the kernel acknowledged the shutdown and leave the end of its process
    /// to the provider's watch (a notebook run's own kernel: nobody waits on its teardown).</param>
    private async Task<Kernel> StopKernelAsync(string kernelId, bool force, bool waitForExit, CancellationToken cancellationToken)
    {
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        var provider = (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Get(record.Provider);
        try
        {
            // shutdown_request travels on this process's connection (if it has one); it is closed once the kernel is down.
            if (waitForExit || force) await provider.ShutdownAsync(record, force, cancellationToken).ConfigureAwait(false);
            else if (provider is IWatchesKernelExit watch) await watch.ShutdownWithoutWaitingForExitAsync(record, cancellationToken).ConfigureAwait(false);
            else await provider.ShutdownAsync(record, false, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e) when (e.ErrorId == ErrorIds.KernelNotFound)
        {
            // Already gone on the server: the stop achieved what was asked.
        }
        finally
        {
            await DropClientAsync(kernelId).ConfigureAwait(false);
        }
        StartupTrace.Mark("stop: client dropped");
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.RemoveKernelAsync(kernelId, CancellationToken.None).ConfigureAwait(false);
        StartupTrace.Mark("stop: record removed");
        return (record with { State = KernelState.Stopped }).ToKernel(Describe(record));
    }

    public async Task<Kernel> RestartKernelAsync(string kernelId, bool force, CancellationToken cancellationToken)
    {
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        kernelId = record.Id;
        if (!force) await RefuseIfAnotherProcessRunsCodeAsync(kernelId, "Restarting it", cancellationToken).ConfigureAwait(false);
        var provider = (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Get(record.Provider);
        _connections.Connected(kernelId)?.EndForRestart("Restart-Kernel in this process");
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.UpdateKernelAsync(record with { State = KernelState.Restarting }, cancellationToken).ConfigureAwait(false);
        KernelRecord restarted;
        try
        {
            restarted = await provider.RestartAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            // Restarting never outlives this command: the record says what is there now (the old process, or none).
            await RecordFailedRestartAsync(store, provider, record).ConfigureAwait(false);
            throw;
        }
        finally
        {
            // The old process's connection goes with it; the next use connects to the new one.
            await DropClientAsync(kernelId).ConfigureAwait(false);
        }
        // A restart is activity: the new process is idle from when it is ready.
        restarted = restarted with { Id = record.Id, SpecName = record.SpecName, Provider = record.Provider, CreatedAt = record.CreatedAt, Owner = record.Owner,
            LastActivityAt = Latest(restarted.LastActivityAt, DateTimeOffset.UtcNow) };
        await store.UpsertKernelAsync(restarted, CancellationToken.None).ConfigureAwait(false);
        // A restart is a new process: every subshell id of the old one is invalid.
        await store.ClearSubShellsAsync(kernelId, CancellationToken.None).ConfigureAwait(false);
        return restarted.ToKernel(Describe(restarted));
    }

    public async Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken)
    {
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        await (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Get(record.Provider).InterruptAsync(record, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Kernel> ConnectKernelAsync(string connectionFile, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var full = Path.GetFullPath(connectionFile);
        var records = await store.ListKernelsAsync(null, cancellationToken).ConfigureAwait(false);
        if (records.FirstOrDefault(r => Describe(r).ConnectionFile is { } f && string.Equals(Path.GetFullPath(f), full, StringComparison.Ordinal)) is { } known)
            return await GetKernelAsync(known.Id, cancellationToken).ConfigureAwait(false);
        if ((await ProvidersAsync(cancellationToken).ConfigureAwait(false)).Local is not IAdoptsConnectionFiles local)
            throw new KernelException(ErrorIds.ProviderNotFound, KernelErrorCategory.NotImplemented, "The local provider cannot adopt kernels in this configuration.", connectionFile);
        var ids = records.Select(r => r.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var record = await local.AdoptConnectionFileAsync(full, ids.Contains, cancellationToken).ConfigureAwait(false);
        await store.AddKernelAsync(record, cancellationToken).ConfigureAwait(false);
        return record.ToKernel(Describe(record));
    }

    public async Task<KernelExecution> ExecuteAsync(string kernelId, string code, ExecuteOptions options, CancellationToken cancellationToken)
    {
        StartupTrace.Mark("execute");
        KernelClient.EnsureExecutable(code, kernelId); // before the kernel is looked up or connected: nothing to wait for
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        StartupTrace.Mark("execute: record read");
        if (options.SubShellId is { } subShell) await EnsureSubShellKnownAsync(record, subShell, cancellationToken).ConfigureAwait(false);
        var connecting = await RecordConnectingExecutionAsync(record.Id, options.SubShellId, cancellationToken).ConfigureAwait(false);
        KernelClient client;
        KernelExecution execution;
        try
        {
            client = await FirstContactAsync(record, options, cancellationToken).ConfigureAwait(false);
            execution = SeenByStore(await SeenByStoreAsync(client.ExecuteAsync(code, options, cancellationToken)).ConfigureAwait(false));
        }
        catch
        {
            await EndConnectingExecutionAsync(record.Id, connecting).ConfigureAwait(false);
            throw;
        }
        StartupTrace.Mark("execute: request sent");
        _ = TrackExecutionAsync(record.Id, options.SubShellId, execution, client, connecting);
        return execution;
    }
}
