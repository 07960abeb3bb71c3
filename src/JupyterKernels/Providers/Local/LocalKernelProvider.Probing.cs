using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Messaging;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

// Is a kernel alive, and is it busy: the evidence Sync and the refusals read (process identity, heartbeat, ports,
// what control and shell answer).
internal sealed partial class LocalKernelProvider : IProbesActivity
{
    public async Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var data = LocalKernelData.Of(kernel);
        var process = ProcessIdentity.Check(data.Pid, data.ProcessStartTime);
        bool beats = data.ConnectionInfoJson is not null
            && await HeartbeatProbe.BeatsAsync(ConnectionOf(kernel.Id, data), _options.ProbeHeartbeatTimeout, cancellationToken).ConfigureAwait(false);
        return (process, beats) switch
        {
            (ProcessStatus.Alive, true) => new KernelProbe(KernelLiveness.Alive, "process running, heartbeat answers"),
            (ProcessStatus.Alive, false) => new KernelProbe(KernelLiveness.Unknown, $"process {data.Pid} is running but the heartbeat is silent (hung?)"),
            (ProcessStatus.Gone or ProcessStatus.Reused, false) => new KernelProbe(KernelLiveness.Gone,
                process == ProcessStatus.Reused ? $"process {data.Pid} is gone (pid reused by another program) and the heartbeat is silent" : $"process {data.Pid} is gone and the heartbeat is silent"),
            (_, true) => new KernelProbe(KernelLiveness.Alive, "heartbeat answers"),
            (_, false) when data.Adopted && data.ConnectionInfoJson is not null && await NothingListensAsync(ConnectionOf(kernel.Id, data), cancellationToken).ConfigureAwait(false)
                => new KernelProbe(KernelLiveness.Gone, "adopted kernel (no pid of ours): its heartbeat is silent and nothing listens on any of its ports"),
            _ => new KernelProbe(KernelLiveness.Unknown, "no process id recorded and no heartbeat"),
        };
    }

    /// <summary>Definite evidence for a kernel without a pid: every one of its five ports refuses connections. A hung
    /// kernel still has its sockets bound (the OS accepts for it), so this never calls a hung kernel gone.</summary>
    private static async Task<bool> NothingListensAsync(ConnectionInfo info, CancellationToken cancellationToken)
    {
        foreach (var port in new[] { info.HbPort, info.ShellPort, info.ControlPort, info.IOPubPort, info.StdinPort })
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(info.Ip, port, cts.Token).ConfigureAwait(false);
                return false;
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused) { }
            catch (Exception) { return false; /* no definite answer */ }
        }
        return true;
    }

    /// <summary>
    /// Busy or idle, from the kernel: kernel_info on control must answer (else the activity is unknown), then kernel_info
    /// on shell within <see cref="LocalProviderOptions.ActivityShellWindow"/>: an answer means the main shell is free, none
    /// means it is running code (whoever sent it). A shell request left queued is harmless: its late reply is dropped.
    /// </summary>
    public async Task<KernelActivityProbe> ProbeActivityAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        try
        {
            return await WithControlClientAsync(kernel, async (client, ct) =>
            {
                if (await client.TryRequestAsync(KernelChannel.Control, MessageTypes.KernelInfoRequest, RequestContent.Empty, _options.ActivityControlTimeout, ct).ConfigureAwait(false) is null)
                    return new KernelActivityProbe(KernelActivity.Unknown, $"control did not answer kernel_info within {_options.ActivityControlTimeout.TotalSeconds:0.#} s");
                var sw = System.Diagnostics.Stopwatch.StartNew();
                if (await client.TryRequestAsync(KernelChannel.Shell, MessageTypes.KernelInfoRequest, RequestContent.Empty, _options.ActivityShellWindow, ct).ConfigureAwait(false) is null)
                    return new KernelActivityProbe(KernelActivity.Busy, $"running code: its shell did not answer kernel_info within {_options.ActivityShellWindow.TotalSeconds:0.#} s while control did");
                return new KernelActivityProbe(KernelActivity.Idle, $"its shell answered kernel_info in {sw.Elapsed.TotalMilliseconds:0} ms");
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e)
        {
            return new KernelActivityProbe(KernelActivity.Unknown, $"activity probe failed ({e.ErrorId}: {e.Message})");
        }
    }

    public IReadOnlyList<string>? FindOtherClients(KernelRecord kernel)
        => KernelPortClients.Find(kernel)?.Select(c => c.ToString()).ToList();
}
