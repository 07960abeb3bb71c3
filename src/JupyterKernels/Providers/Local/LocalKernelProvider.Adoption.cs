using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Messaging;

namespace JupyterKernels.Providers.Local;

// Kernels other Jupyter clients started: adopted from their connection files, stopped by request, never signalled.
internal sealed partial class LocalKernelProvider : IAdoptsConnectionFiles
{
    /// <summary>An adopted kernel is not our process: shutdown_request (also with -Force: there is nothing we may
    /// kill), verified by a silent heartbeat. Its connection file goes too when it is in the runtime dir (jupyter_client
    /// cleans up the same way); a file elsewhere belongs to whoever put it there.</summary>
    private async Task StopAdoptedAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var info = ConnectionOf(kernel);
        if (!await HeartbeatProbe.BeatsAsync(info, _options.ProbeHeartbeatTimeout, cancellationToken).ConfigureAwait(false))
        {
            DeleteAdoptedFile(kernel);
            return;
        }
        try
        {
            await WithControlClientAsync(kernel, (client, ct) => client.ShutdownAsync(false, _options.ShutdownWait, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException) { /* no reply: the heartbeat tells */ }
        if (!await LocalKernelAdoption.WaitUntilSilentAsync(info, _options.ShutdownWait + _options.KillWait, cancellationToken).ConfigureAwait(false))
            throw new KernelException(ErrorIds.KernelShutdownFailed, KernelErrorCategory.InvalidOperation,
                $"Adopted kernel {kernel.Id} still answers its heartbeat after shutdown_request. It was not signalled: it was started by another client, which can stop it.", kernel.Id);
        DeleteAdoptedFile(kernel);
    }

    private void DeleteAdoptedFile(KernelRecord kernel)
    {
        if (LocalKernelData.Of(kernel).ConnectionFile is not { } file) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.Equals(dir, Path.GetFullPath(_paths.RuntimeDir).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal)) return;
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Connection files in the runtime dir that no record knows and whose kernels answer (Sync -Adopt).</summary>
    public async Task<IReadOnlyList<KernelRecord>> FindAdoptableAsync(IReadOnlyCollection<KernelRecord> known, CancellationToken cancellationToken)
    {
        var dir = _paths.RuntimeDir;
        if (!Directory.Exists(dir)) return Array.Empty<KernelRecord>();
        var knownFiles = new HashSet<string>(known.Where(k => k.Provider == Name).Select(k => LocalKernelData.Of(k).ConnectionFile).OfType<string>()
            .Select(Path.GetFullPath), StringComparer.Ordinal);
        var knownIds = new HashSet<string>(known.Select(k => k.Id), StringComparer.OrdinalIgnoreCase);
        var found = new List<KernelRecord>();
        foreach (var file in Directory.EnumerateFiles(dir, "kernel-*.json"))
        {
            var full = Path.GetFullPath(file);
            if (knownFiles.Contains(full)) continue;
            // Our own starts write kernel-<our id>.json after recording the id: never adopt a kernel we are starting.
            var name = Path.GetFileNameWithoutExtension(file);
            if (Guid.TryParse(name["kernel-".Length..], out var g) && knownIds.Contains(g.ToString())) continue;
            var id = LocalKernelAdoption.IdFor(full, knownIds.Contains);
            var (record, _) = await LocalKernelAdoption.TryAdoptAsync(full, id, cancellationToken).ConfigureAwait(false);
            if (record is not null) { found.Add(record); knownIds.Add(record.Id); }
        }
        return found;
    }

    /// <summary>Connect-Kernel: the record of the kernel behind one explicit connection file, if it answers.</summary>
    public async Task<KernelRecord> AdoptConnectionFileAsync(string connectionFile, Func<string, bool> idTaken, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(connectionFile);
        if (!File.Exists(full))
            throw new KernelException(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.ObjectNotFound, $"Connection file '{full}' does not exist.", full);
        // A file that is not a connection file is that (ConnectionFileInvalid), not a kernel that does not answer.
        _ = await ConnectionFile.ReadAsync(full, cancellationToken).ConfigureAwait(false);
        var (record, why) = await LocalKernelAdoption.TryAdoptAsync(full, LocalKernelAdoption.IdFor(full, idTaken), cancellationToken).ConfigureAwait(false);
        return record ?? throw new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.ConnectionError,
            $"The kernel of connection file '{full}' cannot be adopted: {why}.", full);
    }
}
