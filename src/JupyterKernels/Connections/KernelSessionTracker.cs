using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// Tells from what the kernel sends whether the process we talk to was replaced (a restart by anyone: another
/// PowerShell process, a JupyterLab user, a server's REST API). The evidence, strongest first:
/// <list type="bullet">
/// <item>a Jupyter Server's own <c>status: restarting</c> on IOPub (its auto-restarter);</item>
/// <item><c>status: starting</c> on IOPub once this client has heard the kernel answer: only a kernel process that has
/// just started publishes it;</item>
/// <item>a change of <c>header.session</c> on a message that answers this client's own request — trusted only from a
/// kernel that proved it has a session of its own. Kernels differ here: ipykernel and xeus-python stamp every message
/// with one session per process, but IRkernel copies the requesting client's session into its replies and their
/// IOPub messages, so its sessions say nothing about its process, and every other client's messages carry that client's
/// session. So a message counts only when its parent is ours (its <c>parent_header.session</c> is ours) and its own
/// session is not ours (an echo).</item>
/// </list>
/// A local kernel's process identity (pid and start time) is checked by the client's watch loop, not here. Thread-safe.
/// </summary>
internal sealed class KernelSessionTracker
{
    private readonly object _gate = new();
    private readonly HashSet<string> _retired = new(StringComparer.Ordinal);
    private readonly string? _ownSession;
    private string? _current;
    private bool _heardKernel;

    /// <param name="ownSession">This client's own session (the one its requests carry); null = unknown, then every
    /// kernel-written message counts as it did before kernels that echo sessions were known.</param>
    public KernelSessionTracker(string? ownSession = null) => _ownSession = ownSession;

    /// <summary>The session of the kernel process we last heard from (null until a kernel-written message with a
    /// session of its own arrives, and for kernels that echo the requester's session).</summary>
    public string? Current { get { lock (_gate) return _current; } }

    /// <summary>True once the kernel answered one of our requests with our own session: its sessions prove nothing.</summary>
    public bool EchoesSession { get; private set; }

    /// <summary>How many restarts were seen since this client connected.</summary>
    public int RestartsSeen { get; private set; }

    /// <summary>Looks at one incoming message; returns the evidence of a restart when it proves one, else null.</summary>
    public string? Observe(KernelChannel channel, JupyterMessage message)
    {
        if (channel == KernelChannel.IOPub && message.MsgType == MessageTypes.Status)
        {
            var state = OutputConverter.ExecutionState(message);
            if (state == ExecutionStates.Restarting) return Restarted("the server published status \"restarting\"");
            // A kernel being started publishes "starting" before it answers anything; one we already heard from never does.
            if (state == ExecutionStates.Starting && Volatile.Read(ref _heardKernel)) return Restarted("the kernel published status \"starting\" (a new kernel process)");
        }
        if (!IsKernelWritten(channel, message)) return null;
        if (channel is KernelChannel.Shell or KernelChannel.Control) Volatile.Write(ref _heardKernel, true);
        var session = message.Header.Session;
        if (string.IsNullOrEmpty(session)) return null;
        if (_ownSession is not null)
        {
            // Only answers to our own requests: another client's IOPub traffic carries whatever that client's kernel
            // or that client itself put there.
            if (message.ParentHeader?.Session != _ownSession) return null;
            if (session == _ownSession)
            {
                EchoesSession = true;
                return null;
            }
        }
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
            return $"its {message.MsgType} on {channel.ToString().ToLowerInvariant()} came from a new kernel process (the session it gives its own messages changed)";
        }
    }

    private string Restarted(string evidence)
    {
        lock (_gate)
        {
            if (_current is { } old) _retired.Add(old);
            _current = null; // the next kernel-written message names the new process
            RestartsSeen++;
        }
        return evidence;
    }

    /// <summary>Replies and the IOPub messages only a kernel writes. A Jupyter Server's own messages (status
    /// restarting/dead, stderr rate-limit notices) carry the server's session, so streams and other statuses are left
    /// out.</summary>
    private static bool IsKernelWritten(KernelChannel channel, JupyterMessage message) => channel switch
    {
        KernelChannel.Shell or KernelChannel.Control => message.MsgType.EndsWith("_reply", StringComparison.Ordinal),
        KernelChannel.IOPub => message.MsgType switch
        {
            MessageTypes.Status => OutputConverter.ExecutionState(message) is ExecutionStates.Busy or ExecutionStates.Idle,
            MessageTypes.ExecuteInput or MessageTypes.ExecuteResult or MessageTypes.DisplayData or MessageTypes.UpdateDisplayData
                or MessageTypes.Error or MessageTypes.ClearOutput => true,
            _ => false,
        },
        _ => false,
    };
}
