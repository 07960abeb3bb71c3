using JupyterKernels.Connections;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// A start killed early leaves a record in state Starting, maybe without pid or connection info,
/// while its connection file and kernel process may already exist. What a start creates, in order — record (with its
/// starter's pid and start time), connection file <c>kernel-&lt;id&gt;.json</c> in the runtime dir, process (whose
/// command line names that file) — is enough to find everything again: the process is the one naming the file and
/// started after the record was created (a pid alone is no identity).
/// </summary>
internal sealed partial class LocalKernelProvider : IRecoversStarts
{
    public async Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken)
    {
        if (kernel.State != KernelState.Starting) return null;
        var now = DateTimeOffset.UtcNow;
        var age = now - kernel.CreatedAt;
        var starter = ProcessIdentity.Check(kernel.StarterPid, kernel.StarterStartTime);
        var starterLives = starter == ProcessStatus.Alive || (kernel.StarterPid is null && age < _options.StartGrace);
        if (starterLives && age < _options.StartInProgressLimit)
            return new StartRecovery(StartRecoveryOutcome.InProgress,
                kernel.StarterPid is { } sp ? $"start in progress in process {sp}" : "start in progress (recorded moments ago)");

        var data = LocalKernelData.Of(kernel);
        var file = data.ConnectionFile ?? Path.Combine(_paths.RuntimeDir, $"kernel-{kernel.Id}.json");
        var info = TryConnectionOf(kernel, data, file);
        var pids = data.Pid is { } known && ProcessIdentity.Check(known, data.ProcessStartTime) == ProcessStatus.Alive
            ? new List<int> { known }
            : FindProcessesNaming(file, kernel.CreatedAt);
        var why = kernel.StarterPid is { } s ? $"its starter (process {s}) is gone" : "it names no starter and is old";

        if (info is not null && await HeartbeatProbe.BeatsAsync(info, _options.ProbeHeartbeatTimeout, cancellationToken).ConfigureAwait(false))
        {
            // The kernel answers: complete the record. The kernel's own process is the newest one naming the file
            // (a wrapper that execs keeps its pid; one that forks is older than its child).
            var pid = pids.Count == 0 ? (int?)null : pids.MaxBy(p => ProcessIdentity.TryGetStartTime(p) ?? DateTimeOffset.MinValue);
            string interruptMode = kernel.InterruptMode;
            try { interruptMode = _catalog.Find(kernel.SpecName).InterruptMode; } catch (KernelException) { }
            var completed = kernel with
            {
                ProviderData = (data with
                {
                    ConnectionInfoJson = ConnectionFile.Serialize(info),
                    ConnectionFile = file,
                    Pid = pid,
                    ProcessStartTime = pid is { } p2 ? ProcessIdentity.TryGetStartTime(p2) : null,
                }).ToJson(),
                InterruptMode = interruptMode,
                State = KernelState.Idle,
                LastSeenAt = now,
                // Ready now, as far as anyone knows: a cull measures its idleness from here, never from the start.
                LastActivityAt = kernel.LastActivityAt ?? now,
                StarterPid = null,
                StarterStartTime = null,
            };
            return new StartRecovery(StartRecoveryOutcome.Completed,
                $"start interrupted ({why}); the kernel answers" + (pid is null ? "" : $" (process {pid})") + ": record completed", completed);
        }
        if (pids.Count > 0 && age < _options.StartGrace)
            return new StartRecovery(StartRecoveryOutcome.InProgress,
                $"start interrupted ({why}); process {string.Join(", ", pids)} is not answering yet: kept until {_options.StartGrace.TotalSeconds:0} s after the start");

        var stopped = pids.Count == 0 ? "no kernel process was left" : $"process {string.Join(", ", pids)} killed";
        if (!dryRun)
        {
            foreach (var pid in pids) KillProcess(pid);
            var deadline = DateTime.UtcNow + _options.KillWait;
            while (pids.Any(p => ProcessIdentity.Check(p, null) == ProcessStatus.Alive) && DateTime.UtcNow < deadline)
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            DeleteFiles(file);
        }
        return new StartRecovery(StartRecoveryOutcome.Abandoned,
            $"start interrupted ({why}) and the kernel never answered: {stopped}, connection file removed");
    }

    /// <summary>SIGKILL to its group; on Windows, TerminateProcess of its tree.</summary>
    private static void KillProcess(int pid)
    {
        if (!OperatingSystem.IsWindows()) { ProcessSignals.SendToGroup(pid, ProcessSignals.SIGKILL); return; }
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); p.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    /// <summary>A process's start time as the store records it (for a record's starter identity).</summary>
    public static DateTimeOffset? StartTimeOf(int pid) => ProcessIdentity.TryGetStartTime(pid);

    private static ConnectionInfo? TryConnectionOf(KernelRecord kernel, LocalKernelData data, string file)
    {
        try
        {
            if (data.ConnectionInfoJson is { } json) return ConnectionFile.Parse(json, $"the record of kernel {kernel.Id}");
            return File.Exists(file) ? ConnectionFile.Read(file) : null;
        }
        catch (KernelException) { return null; } // half-written: the start died while writing it
    }

    /// <summary>Linux (/proc) and Windows (<see cref="WindowsProcessCommandLines"/>): the processes (of any user we may see) whose command line has <paramref name="file"/> as an
    /// argument and which started after <paramref name="notBefore"/> (less the clock's tolerance).</summary>
    internal static List<int> FindProcessesNaming(string file, DateTimeOffset notBefore)
    {
        var found = new List<int>();
        if (OperatingSystem.IsWindows())
            return WindowsProcessCommandLines.FindNaming(file)
                .Where(pid => ProcessIdentity.TryGetStartTime(pid) is not { } started || started >= notBefore - TimeSpan.FromSeconds(2))
                .Where(pid => ProcessIdentity.Check(pid, null) == ProcessStatus.Alive).ToList();
        if (!OperatingSystem.IsLinux()) return found;
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (!cmdline.Split('\0').Any(a => a == file || a.EndsWith("=" + file, StringComparison.Ordinal))) continue;
            if (ProcessIdentity.TryGetStartTime(pid) is { } started && started < notBefore - TimeSpan.FromSeconds(2)) continue;
            if (ProcessIdentity.Check(pid, null) != ProcessStatus.Alive) continue;
            found.Add(pid);
        }
        return found;
    }
}
