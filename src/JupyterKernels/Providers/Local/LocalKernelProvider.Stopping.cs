using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

// Stopping our own kernel processes: shutdown_request, then SIGTERM, then SIGKILL, and only a process proven ours.
internal sealed partial class LocalKernelProvider : IWatchesKernelExit
{
    /// <summary>jupyter_client's order: interrupt-free request, wait, SIGTERM, wait, SIGKILL. <paramref name="now"/> kills at once.</summary>
    private async Task StopProcessAsync(KernelRecord kernel, bool restart, bool now, CancellationToken cancellationToken)
    {
        var data = LocalKernelData.Of(kernel);
        if (ProcessIdentity.Check(data.Pid, data.ProcessStartTime) is ProcessStatus.Gone or ProcessStatus.Reused) return;
        if (!now) await RequestShutdownAsync(kernel, restart, cancellationToken).ConfigureAwait(false);
        await EndProcessAsync(kernel, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After the request (answered or not): wait, SIGTERM, wait, then SIGKILL, which must end it.</summary>
    private async Task EndProcessAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken)
    {
        if (!now)
        {
            var half = TimeSpan.FromTicks(_options.ShutdownWait.Ticks / 2);
            // Windows has no SIGTERM step (only the kill): the whole wait goes to the kernel's own exit.
            var exitWait = OperatingSystem.IsWindows() ? _options.ShutdownWait : half;
            if (await WaitForExitAsync(kernel, exitWait, cancellationToken).ConfigureAwait(false)) { StartupTrace.Mark("stop: exited"); return; }
            if (!OperatingSystem.IsWindows() && SignalIfOurs(kernel, ProcessSignals.SIGTERM)
                && await WaitForExitAsync(kernel, half, cancellationToken).ConfigureAwait(false)) return;
        }
        await KillAsync(kernel, cancellationToken).ConfigureAwait(false);
        if (!await WaitForExitAsync(kernel, _options.KillWait, cancellationToken).ConfigureAwait(false))
            throw new KernelException(ErrorIds.KernelShutdownFailed, KernelErrorCategory.InvalidOperation,
                $"Kernel {kernel.Id} (process {LocalKernelData.Of(kernel).Pid}) did not exit after SIGKILL.", kernel.Id);
    }

    /// <summary>shutdown_request on control; true when the kernel replied within half the shutdown wait (false: no reply, or
    /// a kernel that exited before its reply got out; the caller goes on to the exit either way).</summary>
    private async Task<bool> RequestShutdownAsync(KernelRecord kernel, bool restart, CancellationToken cancellationToken)
    {
        var half = TimeSpan.FromTicks(_options.ShutdownWait.Ticks / 2);
        try
        {
            var replied = await WithControlClientAsync<bool>(kernel, (client, ct) => client.ShutdownAsync(restart, half, ct), cancellationToken).ConfigureAwait(false);
            if (replied) StartupTrace.Mark("stop: shutdown replied");
            return replied;
        }
        catch (KernelException) { return false; /* no connection: the caller goes on to signals */ }
    }

    public async Task ShutdownWithoutWaitingForExitAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var data = LocalKernelData.Of(kernel);
        if (data.Adopted || data.Pid is not { } pid || !KernelExitWatch.IsSupported
            || ProcessIdentity.Check(pid, data.ProcessStartTime) != ProcessStatus.Alive)
        {
            await ShutdownAsync(kernel, now: false, cancellationToken).ConfigureAwait(false);
            return;
        }
        bool acknowledged = await RequestShutdownAsync(kernel, restart: false, cancellationToken).ConfigureAwait(false);
        // The connection file goes now: Sync's search for unrecorded kernels must not adopt one that is on its way out.
        if (data.ConnectionFile is { } file) DeleteFiles(file);
        if (acknowledged) KernelExitWatch.Start(pid, data.ProcessStartTime, _options.ShutdownWait);
        else await EndProcessAsync(kernel, now: false, cancellationToken).ConfigureAwait(false); // no reply: signals, waited for
    }

    private Task KillAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            var data = LocalKernelData.Of(kernel);
            if (data.Pid is { } pid && ProcessIdentity.Check(pid, data.ProcessStartTime) == ProcessStatus.Alive)
            {
                try { using var p = System.Diagnostics.Process.GetProcessById(pid); p.Kill(entireProcessTree: true); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
            }
            return Task.CompletedTask;
        }
        SignalIfOurs(kernel, ProcessSignals.SIGKILL);
        return Task.CompletedTask;
    }

    /// <summary>Signals only a process that is provably our kernel: a reused pid belongs to someone else.</summary>
    private static bool SignalIfOurs(KernelRecord kernel, int signal)
        => LocalKernelData.Of(kernel) is { Pid: { } pid } data && ProcessIdentity.Check(pid, data.ProcessStartTime) == ProcessStatus.Alive && ProcessSignals.SendToGroup(pid, signal);

    private static async Task<bool> WaitForExitAsync(KernelRecord kernel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var data = LocalKernelData.Of(kernel);
        while (true)
        {
            if (ProcessIdentity.Check(data.Pid, data.ProcessStartTime) is ProcessStatus.Gone or ProcessStatus.Reused) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a control request on this process's live connection to the kernel; only when there is none (no
    /// Service, or it has not connected to this kernel, or its connection has ended) on a one-off link that is closed
    /// right after.</summary>
    private async Task<T> WithControlClientAsync<T>(KernelRecord kernel, Func<KernelClient, CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        if (_connections?.Live(kernel.Id) is { } shared)
            return await request(shared, cancellationToken).ConfigureAwait(false);
        await using var channels = await ZmtpKernelChannels.ConnectAsync(ConnectionOf(kernel), Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
        await using var client = new KernelClient(kernel.Id, channels, GetClientOptions(kernel) with { Interrupt = null });
        return await request(client, cancellationToken).ConfigureAwait(false);
    }

    private Task WithControlClientAsync(KernelRecord kernel, Func<KernelClient, CancellationToken, Task> request, CancellationToken cancellationToken)
        => WithControlClientAsync<bool>(kernel, async (c, ct) => { await request(c, ct).ConfigureAwait(false); return true; }, cancellationToken);
}
