using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Messaging;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Kernels launched on this machine from kernelspecs: connection file in the Jupyter runtime dir (0600, usable
/// with <c>jupyter console --existing</c>), the process detached so it outlives us, readiness by kernel_info plus
/// IOPub, interrupt by signal or message as the spec says, shutdown by request then SIGTERM then SIGKILL.
/// </summary>
internal sealed partial class LocalKernelProvider : IKernelProvider, IKeepsKernelFiles, IRemembersChannels, IReportsSpecWarnings
{
    public const string ProviderName = "local";

    private readonly JupyterPaths _paths;
    private readonly KernelSpecCatalog _catalog;
    private readonly IJupyterEnvironment _environment;
    private readonly LocalProviderOptions _options;

    private readonly KernelConnections? _connections;

    /// <param name="connections">This process's live connections (the Service's): control requests go through a live
    /// one. Null: each control request opens a link of its own.</param>
    public LocalKernelProvider(JupyterPaths? paths = null, KernelSpecCatalog? catalog = null, IJupyterEnvironment? environment = null,
        LocalProviderOptions? options = null, KernelConnections? connections = null)
    {
        _connections = connections;
        _environment = environment ?? ProcessJupyterEnvironment.Instance;
        _paths = paths ?? new JupyterPaths(_environment);
        _catalog = catalog ?? new KernelSpecCatalog(_paths.KernelSpecDirs);
        _options = options ?? new LocalProviderOptions();
    }

    public string Name => ProviderName;

    public string Kind => "local";

    public ProviderCapabilities Capabilities => ProviderCapabilities.ProbesEachKernel;

    /// <summary>Broken kernelspecs found by the last listing (they never hide the good ones).</summary>
    private IReadOnlyList<KernelSpecProblem> LastProblems { get; set; } = Array.Empty<KernelSpecProblem>();

    public IReadOnlyList<ProviderWarning> SpecWarnings => LastProblems.Select(p => new ProviderWarning(Name, p.Message, p.ErrorId)).ToList();

    public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken)
    {
        var listing = _catalog.List();
        LastProblems = listing.Problems;
        return Task.FromResult(listing.Specs);
    }

    /// <summary>Copies the files beside kernel.json (logo-32x32.png, logo-64x64.png, logo-svg.svg, kernel.js...).</summary>
    public async Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken)
    {
        var spec = _catalog.Find(specName.StartsWith(ProviderName + "/", StringComparison.Ordinal) ? specName[(ProviderName.Length + 1)..] : specName);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        if (spec.ResourceDirectory is not { } dir) return written;
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            if (string.Equals(Path.GetFileName(file), "kernel.json", StringComparison.OrdinalIgnoreCase)) continue;
            var target = Path.Combine(folder, Path.GetFileName(file));
            await using (var source = File.OpenRead(file))
            await using (var destination = File.Create(target))
                await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            written.Add(target);
        }
        return written;
    }

    public async Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken)
    {
        var spec = _catalog.Find(request.SpecName);
        var runtimeDir = _paths.EnsureRuntimeDir();
        var connectionFile = Path.Combine(runtimeDir, $"kernel-{request.KernelId}.json");
        var info = ConnectionInfo.CreateLocal(spec.Name);
        try
        {
            return await LaunchAsync(spec, request, info, connectionFile, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e) when (PortClash.Caused(e, info))
        {
            // Ports are picked by binding and releasing, so another program can take one in between (jupyter_client
            // has the same race). One retry with fresh ports; a second clash is reported as PortInUse.
            var fresh = ConnectionInfo.CreateLocal(spec.Name);
            try
            {
                return await LaunchAsync(spec, request, fresh, connectionFile, cancellationToken).ConfigureAwait(false);
            }
            catch (KernelException again) when (PortClash.Caused(again, fresh))
            {
                throw new KernelException(ErrorIds.PortInUse, KernelErrorCategory.ResourceUnavailable,
                    $"Kernel '{spec.Name}' could not bind its ports (address already in use), twice.", request.KernelId, again);
            }
        }
    }

    private async Task<KernelRecord> LaunchAsync(KernelSpec spec, KernelStartRequest request, ConnectionInfo info, string connectionFile, CancellationToken cancellationToken)
    {
        StartupTrace.Mark("launch");
        await ConnectionFile.WriteAsync(connectionFile, info, cancellationToken).ConfigureAwait(false);
        var logFile = LogFileOf(connectionFile);
        LaunchedProcess launched;
        try
        {
            launched = await SpawnAsync(spec, request, connectionFile, logFile, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing was started: the connection file (it holds the key) and the log must not outlive the attempt.
            DeleteFiles(connectionFile);
            throw;
        }
        StartupTrace.Mark("launch: process started");
        int pid = launched.Pid;
        var record = new KernelRecord
        {
            Id = request.KernelId,
            Provider = Name,
            SpecName = spec.Name,
            DisplayName = spec.DisplayName,
            ProviderData = new LocalKernelData
            {
                ConnectionInfoJson = ConnectionFile.Serialize(info),
                ConnectionFile = connectionFile,
                Pid = pid,
                ProcessStartTime = ProcessIdentity.TryGetStartTime(pid),
                InterruptEvent = launched.InterruptEvent,
                WorkingDirectory = request.WorkingDirectory,
                Environment = request.Environment.Count > 0 ? request.Environment : null,
                Channels = request.KnownChannels,
            }.ToJson(),
            InterruptMode = spec.InterruptMode,
            CreatedAt = DateTimeOffset.UtcNow,
            LastSeenAt = DateTimeOffset.UtcNow,
            State = KernelState.Starting,
            Owner = $"{Environment.UserName}@{Environment.MachineName}",
        };
        try
        {
            var channels = await WaitForReadyAsync(record, info, logFile, request.StartTimeout, cancellationToken).ConfigureAwait(false);
            if (channels is not null) record = (LocalKernelData.Of(record) with { Channels = channels }).ApplyTo(record);
        }
        catch
        {
            // No leaked process or file when a start fails or is cancelled.
            await KillAsync(record, CancellationToken.None).ConfigureAwait(false);
            DeleteFiles(connectionFile);
            throw;
        }
        finally
        {
            DetachedLauncher.Release(pid);
        }
        StartupTrace.Mark("launch: kernel ready");
        await RestoreKernelNameAsync(connectionFile, info, cancellationToken).ConfigureAwait(false);
        return record with { State = KernelState.Idle, LastActivityAt = DateTimeOffset.UtcNow };
    }

    /// <summary>
    /// ipykernel rewrites the connection file at startup without kernel_name (so it does under jupyter_client too);
    /// once the kernel is ready, put the spec name back, as the file jupyter_client writes has it. Same ports and key:
    /// the kernel never reads the file again.
    /// </summary>
    private static async Task RestoreKernelNameAsync(string connectionFile, ConnectionInfo info, CancellationToken cancellationToken)
    {
        try
        {
            var onDisk = ConnectionFile.Read(connectionFile);
            if (onDisk.KernelName.Length > 0 || !onDisk.Ports.SequenceEqual(info.Ports) || onDisk.Key != info.Key) return;
            await ConnectionFile.WriteAsync(connectionFile, onDisk with { KernelName = info.KernelName }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException or IOException or UnauthorizedAccessException)
        {
            // Cosmetic: the record holds the connection info; a file we cannot reread stays as the kernel wrote it.
        }
    }

    /// <summary>Deletes the files of a kernel that is gone — only the ones this provider names (kernel-&lt;id&gt;.json and
    /// its .log), never a file a record merely points to.</summary>
    public Task ForgetAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        if (LocalKernelData.Of(kernel).ConnectionFile is { } file && string.Equals(Path.GetFileName(file), $"kernel-{kernel.Id}.json", StringComparison.Ordinal))
            DeleteFiles(file);
        return Task.CompletedTask;
    }

    private async Task<LaunchedProcess> SpawnAsync(KernelSpec spec, KernelStartRequest request, string connectionFile, string logFile, CancellationToken cancellationToken)
    {
        var (workingDirectory, kernelId) = (request.WorkingDirectory, request.KernelId);
        var argv = KernelCommandLine.FormatArgv(spec.Argv, connectionFile, spec.ResourceDirectory).Concat(request.ExtraArguments).ToList();
        var env = KernelCommandLine.BuildEnvironment(spec.Env, _environment);
        foreach (var (k, v) in request.Environment) env[k] = v;
        var executable = KernelPython.Candidates(argv[0], spec.ResourceDirectory).Select(p => ExecutableResolver.Resolve(p, env)).FirstOrDefault(p => p is not null);
        if (executable is null)
            throw new KernelException(ErrorIds.KernelLaunchFailed, KernelErrorCategory.ObjectNotFound,
                $"Kernel '{spec.Name}' cannot start: its program '{argv[0]}' was not found (kernelspec {spec.ResourceDirectory}).", spec.Name);
        if (workingDirectory is not null && !Directory.Exists(workingDirectory))
            throw new KernelException(ErrorIds.KernelLaunchFailed, KernelErrorCategory.InvalidArgument,
                $"Working directory '{workingDirectory}' does not exist.", workingDirectory);
        using (SecureFile.CreatePrivate(logFile)) { }
        try
        {
            var resolvedArgv = argv.ToArray();
            resolvedArgv[0] = executable;
            return await DetachedLauncher.StartAsync(resolvedArgv, env.ToDictionary(p => p.Key, p => (string?)p.Value),
                workingDirectory, logFile, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new KernelException(ErrorIds.KernelLaunchFailed, KernelErrorCategory.InvalidOperation,
                $"Kernel '{spec.Name}' could not be launched: {e.Message}", kernelId, e);
        }
    }

    /// <summary>Readiness of a kernel just launched: its ports are tried this often until it has bound them (ZeroMQ's
    /// 100 ms would add 50 ms to the average start).</summary>
    private static readonly TimeSpan StartingReconnectInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>Returns what the kernel was seen to answer on which channel (null when it did not tell).</summary>
    private async Task<KernelChannelCapabilities?> WaitForReadyAsync(KernelRecord record, ConnectionInfo info, string logFile, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clientOptions = GetClientOptions(record) with { Interrupt = null };
        // One deadline for the connection's handshakes and the kernel_info exchange: a kernel binds its ports only once
        // its imports are done, so the wait for them is part of the start.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        ZmtpKernelChannels? channels = null;
        try
        {
            channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), deadline.Token, StartingReconnectInterval).ConfigureAwait(false);
            await using var client = new KernelClient(record.Id, channels, clientOptions);
            await client.WaitForReadyAsync(Timeout.InfiniteTimeSpan, deadline.Token).ConfigureAwait(false);
            return client.Channels;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var unanswered = channels is null ? "its ports did not answer" : "no kernel_info_reply on control or shell with IOPub traffic";
            throw new KernelException(ErrorIds.KernelStartTimeout, KernelErrorCategory.OperationTimeout,
                $"Kernel {record.Id} did not become ready within {timeout.TotalSeconds:0.###} s ({unanswered}).{Tail(logFile, info.Key)}", record.Id);
        }
        catch (KernelException e) when (e.ErrorId == ErrorIds.KernelDied)
        {
            throw new KernelException(ErrorIds.KernelExitedDuringStart, KernelErrorCategory.InvalidOperation,
                $"Kernel '{record.SpecName}' exited during start{DetachedLauncher.ExitNote(LocalKernelData.Of(record).Pid)}.{Tail(logFile, info.Key)}", record.Id, e);
        }
        finally
        {
            if (channels is not null) await channels.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The kernel's last output lines, for start errors. A kernel may echo its connection info: the key is
    /// blanked out, since error messages end up in logs and transcripts.</summary>
    private static string Tail(string logFile, string key)
    {
        var tail = DetachedLauncher.Tail(logFile);
        if (key.Length > 0) tail = tail.Replace(key, "(hidden)", StringComparison.Ordinal);
        return tail.Length == 0 ? "" : $" Its output ends with:{Environment.NewLine}{tail}";
    }

    public async Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        // A process that is gone answers nothing: say so now rather than at the end of the connect budget. A record
        // another client is starting or restarting names a process on its way, so that one is waited for as before.
        if (kernel.State is not (KernelState.Starting or KernelState.Restarting)
            && GetClientOptions(kernel).Process is { } process && process.GoneReason is { } gone)
        {
            throw new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, $"Kernel {kernel.Id} died: {gone}.", kernel.Id)
            {
                ProcessGone = new KernelProcessGone(process.Pid, gone),
            };
        }
        return await ZmtpKernelChannels.ConnectAsync(ConnectionOf(kernel), Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
    }

    public ProviderKernelView Describe(KernelRecord kernel) => LocalKernelData.Of(kernel).View;

    public string? WithChannels(KernelRecord kernel, KernelChannelCapabilities channels)
        => LocalKernelData.Of(kernel) is { Adopted: false } data ? (data with { Channels = channels }).ToJson() : null;

    public KernelClientOptions GetClientOptions(KernelRecord kernel)
    {
        var data = LocalKernelData.Of(kernel);
        var process = data.Pid is { } pid ? new KernelProcess(pid, data.ProcessStartTime) : (KernelProcess?)null;
        return new() { KnownChannels = data.Channels, Interrupt = InterruptOf(kernel, data, process), Process = process };
    }

    /// <summary>As the spec says (interrupt_mode), as jupyter_client does: on Windows through the kernel's interrupt
    /// event where it has one (ipykernel there answers interrupt_request without interrupting anything), else by
    /// interrupt_request; elsewhere by SIGINT unless the spec asks for the message.</summary>
    private static KernelInterrupt InterruptOf(KernelRecord kernel, LocalKernelData data, KernelProcess? process)
    {
        if (OperatingSystem.IsWindows() && kernel.InterruptMode != "message" && data.InterruptEvent is { } interruptEvent)
            return new KernelInterrupt.WindowsEvent(process, interruptEvent);
        if (kernel.InterruptMode == "message" || OperatingSystem.IsWindows()) return new KernelInterrupt.Message();
        return new KernelInterrupt.Signal(process);
    }

    public async Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var options = GetClientOptions(kernel);
        KernelInterrupt.ThrowIfStopped(kernel.Id, options.Process);
        if (options.Interrupt is KernelInterrupt.Message)
            await WithControlClientAsync(kernel,
                (client, ct) => KernelInterrupt.SendAsync(options.Interrupt, kernel.Id, options.Process, client, ct), cancellationToken).ConfigureAwait(false);
        else
            await KernelInterrupt.SendAsync(options.Interrupt!, kernel.Id, options.Process, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var data = LocalKernelData.Of(kernel);
        if (data.Adopted)
            throw new KernelException(ErrorIds.KernelRestartNotSupported, KernelErrorCategory.NotImplemented,
                $"Kernel {kernel.Id} was adopted from another Jupyter client, which launched it and alone can restart it (we have no kernelspec and no process of it).", kernel.Id);
        var spec = _catalog.Find(kernel.SpecName);
        await StopProcessAsync(kernel, restart: true, now: false, cancellationToken).ConfigureAwait(false);
        // jupyter_client keeps the ports and connection file on restart, so connected clients reconnect by themselves.
        var info = ConnectionOf(kernel);
        var connectionFile = data.ConnectionFile ?? Path.Combine(_paths.EnsureRuntimeDir(), $"kernel-{kernel.Id}.json");
        var request = RestartRequest.Of(kernel, spec.Name, data);
        KernelRecord restarted;
        try
        {
            restarted = await LaunchAsync(spec, request, info, connectionFile, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e) when (PortClash.Caused(e, info))
        {
            restarted = await LaunchAsync(spec, request, ConnectionInfo.CreateLocal(spec.Name), connectionFile, cancellationToken).ConfigureAwait(false);
        }
        return restarted with { CreatedAt = kernel.CreatedAt, SessionName = kernel.SessionName, Owner = kernel.Owner };
    }

    public async Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken)
    {
        var data = LocalKernelData.Of(kernel);
        if (data.Adopted)
        {
            await StopAdoptedAsync(kernel, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (data.Pid is null && kernel.State == KernelState.Starting)
        {
            // A start that died before recording its process: stop what it left (found by its connection file).
            var file = data.ConnectionFile ?? Path.Combine(_paths.RuntimeDir, $"kernel-{kernel.Id}.json");
            foreach (var pid in FindProcessesNaming(file, kernel.CreatedAt))
                await StopProcessAsync((data with { Pid = pid, ProcessStartTime = ProcessIdentity.TryGetStartTime(pid) }).ApplyTo(kernel), restart: false, now: true, cancellationToken).ConfigureAwait(false);
            DeleteFiles(file);
            return;
        }
        await StopProcessAsync(kernel, restart: false, now, cancellationToken).ConfigureAwait(false);
        if (data.ConnectionFile is { } file2) DeleteFiles(file2);
    }

    public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken)
        => Task.FromResult(new ProviderKernelListing(Array.Empty<ProviderKernel>(), Complete: false));

    private static ConnectionInfo ConnectionOf(KernelRecord kernel) => ConnectionOf(kernel.Id, LocalKernelData.Of(kernel));

    private static ConnectionInfo ConnectionOf(string kernelId, LocalKernelData data)
    {
        if (data.ConnectionInfoJson is { } json) return ConnectionFile.Parse(json, $"the record of kernel {kernelId}");
        if (data.ConnectionFile is { } file && File.Exists(file)) return ConnectionFile.Read(file);
        throw new KernelException(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.ObjectNotFound,
            $"Kernel {kernelId} has no connection information (its connection file is gone).", kernelId);
    }

    private static string LogFileOf(string connectionFile) => Path.ChangeExtension(connectionFile, ".log");

    private static void DeleteFiles(string connectionFile)
    {
        foreach (var path in new[] { connectionFile, LogFileOf(connectionFile) })
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        AtomicFile.DeleteLeftovers(connectionFile); // a rewrite killed before its rename (it holds the key too)
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
