using System.Diagnostics;
using JupyterKernels;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;

/// <summary>
/// The Windows paths that need the core's internals: the rename of an atomic write over a file another process holds
/// open without FILE_SHARE_DELETE, and a start killed mid-way recovered by finding its kernel through the process
/// list and command lines (NtQueryInformationProcess), as tests/Unit/Scenarios/Reliability/InterruptedStartTests do on Linux.
/// Each returns null when the check passed, else why not.
/// </summary>
internal static class RecoveryChecks
{
    private const int SharingViolation = unchecked((int)0x80070020);
    private const int AccessDenied = unchecked((int)0x80070005);

    /// <summary>`CoreLane --sleep-naming FILE`: a process that names a connection file and never answers (a kernel
    /// wrapper still loading).</summary>
    public static int SleepNaming()
    {
        Thread.Sleep(TimeSpan.FromMinutes(5));
        return 0;
    }

    public static async Task<string?> HeldTargetIsReplacedAfterReleaseAsync(string work)
    {
        var target = Path.Combine(work, "held.ipynb");
        File.WriteAllText(target, "old");
        // A reader as an antivirus scanner opens it: sharing read and write, not delete (so no rename over it).
        var holder = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            try
            {
                File.Move(WriteTemp(work, "probe"), target, overwrite: true);
                return "Wine let a rename replace a file held without FILE_SHARE_DELETE: nothing to retry";
            }
            catch (Exception e) when (e.HResult is SharingViolation or AccessDenied) { }
            var release = Task.Run(async () =>
            {
                await Task.Delay(300);
                holder.Dispose();
            });
            AtomicFile.Write(target, "new"u8, userOnly: false, durable: true);
            await release;
        }
        finally
        {
            holder.Dispose();
        }
        var text = File.ReadAllText(target);
        return text == "new" ? null : "content after the write: " + text;
    }

    public static Task<string?> TargetHeldTooLongGivesTheErrorAsync(string work)
    {
        var target = Path.Combine(work, "held-long.ipynb");
        File.WriteAllText(target, "old");
        using var holder = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var watch = Stopwatch.StartNew();
        try
        {
            AtomicFile.Write(target, "new"u8, userOnly: false, durable: true);
            return Task.FromResult<string?>("the write replaced a file still held");
        }
        catch (Exception e) when (e.HResult is SharingViolation or AccessDenied)
        {
            // Bounded: the retries' waits are 1.55 s in all; a loaded machine adds its own delays.
            if (watch.Elapsed > TimeSpan.FromSeconds(20)) return Task.FromResult<string?>($"gave up after {watch.Elapsed}");
            var leftovers = Directory.GetFiles(work, ".held-long.ipynb.*.tmp");
            return Task.FromResult(leftovers.Length == 0 ? null : "temporary file left: " + leftovers[0]);
        }
    }

    [System.Runtime.InteropServices.DllImport("ntdll.dll")]
    private static extern int NtQueryInformationProcess(Microsoft.Win32.SafeHandles.SafeProcessHandle process, int informationClass, IntPtr information, int length, out int returnLength);

    /// <summary>What this Windows answers when asked for the command line of <paramref name="pid"/>.</summary>
    private static string DescribeCommandLineOf(int pid)
    {
        var listed = Process.GetProcesses().Any(p => p.Id == pid);
        if (!listed) return $"process {pid} is not running";
        using var process = Process.GetProcessById(pid);
        var buffer = System.Runtime.InteropServices.Marshal.AllocHGlobal(65536);
        try
        {
            int status = NtQueryInformationProcess(process.SafeHandle, 60, buffer, 65536, out int needed);
            return $"process {pid} listed: {listed}; NtQueryInformationProcess(ProcessCommandLineInformation) = 0x{status:x8} (needed {needed}); " +
                $"the module read: {JupyterKernels.Providers.Local.WindowsProcessCommandLines.CommandLineOf(pid) ?? "(null)"}";
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(buffer);
        }
    }

    private static string WriteTemp(string work, string name)
    {
        var temp = Path.Combine(work, $".{name}.tmp");
        File.WriteAllText(temp, name);
        return temp;
    }

    /// <summary>The pid and start time of a process that has exited: a starter killed mid-way.</summary>
    private static (int Pid, DateTimeOffset Start) DeadStarter()
    {
        var cmd = Path.Combine(Environment.GetEnvironmentVariable("windir") ?? @"C:\windows", "system32", "cmd.exe");
        using var p = Process.Start(new ProcessStartInfo(cmd, "/c exit 0") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var start = new DateTimeOffset(p.StartTime.ToUniversalTime(), TimeSpan.Zero);
        p.WaitForExit();
        return (p.Id, start);
    }

    /// <summary>What Start-Kernel has left when it is killed after spawning: a Starting record naming a dead starter,
    /// without pid or connection info, and the connection file.</summary>
    private static async Task<(string Id, string File)> InterruptedStartAsync(string work, DateTimeOffset createdAt, CancellationToken ct)
    {
        var (starterPid, starterStart) = DeadStarter();
        var id = Guid.NewGuid().ToString();
        await using (var store = await KernelStore.OpenAsync(Path.Combine(work, "Local", "JupyterKernels", "jupyterkernels.db"), cancellationToken: ct))
        {
            await store.AddKernelAsync(new KernelRecord
            {
                Id = id, Provider = "local", SpecName = "wintest", State = KernelState.Starting, CreatedAt = createdAt,
                Owner = "wine lane", StarterPid = starterPid, StarterStartTime = starterStart,
            }, ct);
        }
        var runtime = Path.Combine(work, "runtime");
        Directory.CreateDirectory(runtime);
        var file = Path.Combine(runtime, $"kernel-{id}.json");
        await ConnectionFile.WriteAsync(file, ConnectionInfo.CreateLocal("wintest"), ct);
        return (id, file);
    }

    /// <summary>What the spawned processes printed (their output is redirected: Wine hands its own stderr to children).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> SpawnedOutput = new();

    private static Process Spawn(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is { } line) SpawnedOutput.Enqueue(line); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { } line) SpawnedOutput.Enqueue(line); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<SyncResult> SyncOneAsync(KernelService service, string id, CancellationToken ct)
    {
        SyncResult? mine = null;
        await foreach (var r in service.SynchronizeAsync(new SyncOptions { RemoveDead = true }, null, null, ct))
            if (r.KernelId == id) mine = r;
        return mine ?? throw new InvalidOperationException($"sync said nothing about {id}");
    }

    public static async Task<string?> KilledStartIsAdoptedAsync(KernelService service, string work, string testKernel, CancellationToken ct)
    {
        var (id, file) = await InterruptedStartAsync(work, DateTimeOffset.UtcNow.AddSeconds(-1), ct);
        using var kernel = Spawn(testKernel, "-f", file);
        try
        {
            var why = await AdoptAsync(service, id, kernel, ct);
            return why is null ? null : why + "; the kernel printed: " + string.Join(" | ", SpawnedOutput);
        }
        finally
        {
            if (!kernel.HasExited)
            {
                kernel.Kill(entireProcessTree: true);
                try { await service.StopKernelAsync(id, force: true, ct); } catch (KernelException) { }
            }
        }
    }

    private static async Task<string?> AdoptAsync(KernelService service, string id, Process kernel, CancellationToken ct)
    {
        SyncResult? mine = null;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            mine = await SyncOneAsync(service, id, ct);
            if (mine.Action != SyncAction.Kept) break;
            await Task.Delay(500, ct);
        }
        if (mine!.Action != SyncAction.Adopted) return $"sync: {mine.Action} ({mine.Reason}); {DescribeCommandLineOf(kernel.Id)}";
        var record = await service.GetKernelAsync(id, ct);
        if (record.Pid != kernel.Id) return $"recorded pid {record.Pid?.ToString() ?? "none"}, the kernel is {kernel.Id} (sync: {mine.Reason}); {DescribeCommandLineOf(kernel.Id)}";
        if (record.State != KernelState.Idle) return "state " + record.State;
        var execution = await service.ExecuteAsync(id, "print adopted", new ExecuteOptions(), ct);
        var text = "";
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) text += o;
        if (!text.Contains("adopted")) return "output: " + text;
        await service.StopKernelAsync(id, force: false, ct);
        return kernel.WaitForExit(15000) ? null : "stop left the adopted kernel running";
    }

    public static async Task<string?> KilledStartThatNeverAnsweredIsStoppedAsync(KernelService service, string work, CancellationToken ct)
    {
        // Older than the start grace: its process had all the time a kernel gets to answer.
        var (id, file) = await InterruptedStartAsync(work, DateTimeOffset.UtcNow.AddMinutes(-10), ct);
        using var stuck = Spawn(Environment.ProcessPath!, "--sleep-naming", file);
        try
        {
            await Task.Delay(1000, ct);
            var mine = await SyncOneAsync(service, id, ct);
            if (mine.Action != SyncAction.Removed) return $"sync: {mine.Action} ({mine.Reason})";
            if (!mine.Reason.Contains($"process {stuck.Id} killed")) return "reason: " + mine.Reason;
            if (!stuck.WaitForExit(15000)) return "the process the start left was not stopped";
            if (File.Exists(file)) return "the connection file is still there";
            try { await service.GetKernelAsync(id, ct); return "the record is still there"; }
            catch (KernelException) { return null; }
        }
        finally
        {
            if (!stuck.HasExited) stuck.Kill(entireProcessTree: true);
        }
    }
}
