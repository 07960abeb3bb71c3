using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// Knows which kernel process we are talking to: every message a kernel process sends carries that process's
/// <c>header.session</c>, and a restart (by anyone: another PowerShell process, a JupyterLab user, the server's REST
/// API — which sends no "restarting" status) starts a process with a new one. So a new session on a message the
/// kernel itself wrote is proof of a restart. Messages a Jupyter Server writes itself (its "restarting"/"dead" status,
/// its IOPub rate-limit notices on stderr) carry the server's session and are not counted — except that a
/// "restarting" status is itself the server saying the kernel restarted. Thread-safe.
/// </summary>
internal sealed class KernelSessionTracker
{
    private readonly object _gate = new();
    private readonly HashSet<string> _retired = new(StringComparer.Ordinal);
    private string? _current;

    /// <summary>The session of the kernel process we last heard from (null until a kernel-written message arrives).</summary>
    public string? Current { get { lock (_gate) return _current; } }

    /// <summary>How many restarts were seen since this client connected.</summary>
    public int RestartsSeen { get; private set; }

    /// <summary>Looks at one incoming message; returns the evidence of a restart when it proves one, else null.</summary>
    public string? Observe(KernelChannel channel, JupyterMessage message)
    {
        if (channel == KernelChannel.IOPub && message.MsgType == "status" && message.Content.GetStringOrNull("execution_state") == "restarting")
        {
            lock (_gate)
            {
                if (_current is { } old) _retired.Add(old);
                _current = null; // the next kernel-written message names the new process
                RestartsSeen++;
            }
            return "the server published status \"restarting\"";
        }
        if (!IsKernelWritten(channel, message)) return null;
        var session = message.Header.Session;
        if (string.IsNullOrEmpty(session)) return null;
        lock (_gate)
        {
            if (_current is null)
            {
                // First word from this process (or the first after a "restarting" status, already reported).
                if (!_retired.Contains(session)) _current = session;
                return null;
            }
            // A late message of an older process (another socket delivered it later): not a new restart.
            if (session == _current || _retired.Contains(session)) return null;
            _retired.Add(_current);
            _current = session;
            RestartsSeen++;
            return $"its {message.MsgType} on {channel.ToString().ToLowerInvariant()} came from a new kernel process (header.session changed)";
        }
    }

    /// <summary>Replies and the IOPub messages only a kernel writes. A Jupyter Server's own messages (status
    /// restarting/dead, stderr rate-limit notices) carry the server's session, so streams and other statuses are left
    /// out.</summary>
    private static bool IsKernelWritten(KernelChannel channel, JupyterMessage message) => channel switch
    {
        KernelChannel.Shell or KernelChannel.Control => message.MsgType.EndsWith("_reply", StringComparison.Ordinal),
        KernelChannel.IOPub => message.MsgType switch
        {
            "status" => message.Content.GetStringOrNull("execution_state") is "busy" or "idle",
            "execute_input" or "execute_result" or "display_data" or "update_display_data" or "error" or "clear_output" => true,
            _ => false,
        },
        _ => false,
    };
}
