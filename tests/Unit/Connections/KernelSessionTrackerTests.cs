using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Restarts;

/// <summary>Restart evidence from what kernels send: what IRkernel's copied sessions must not fake.</summary>
public sealed class KernelSessionTrackerTests
{
    private const string Ours = "our-session";

    private static JupyterMessage Message(string type, string session, string? parentSession, string? state = null) => new()
    {
        Header = new MessageHeader { MsgId = Guid.NewGuid().ToString("N"), Session = session, Username = "k", Date = "", MsgType = type, Version = "5.3" },
        ParentHeader = parentSession is null ? null
            : new MessageHeader { MsgId = "p", Session = parentSession, Username = "u", Date = "", MsgType = "x", Version = "5.3" },
        Content = JsonDocument.Parse(state is null ? "{}" : $$"""{"execution_state": "{{state}}"}""").RootElement,
        Metadata = JupyterMessage.Empty,
    };

    [Fact]
    public void A_kernel_that_copies_the_requesters_session_never_looks_restarted()
    {
        var tracker = new KernelSessionTracker(Ours);
        // IRkernel: our replies carry our session; another client's IOPub traffic carries that client's.
        Assert.Null(tracker.Observe(KernelChannel.Shell, Message("kernel_info_reply", Ours, Ours)));
        Assert.Null(tracker.Observe(KernelChannel.IOPub, Message("status", "console-session", "console-session", "busy")));
        Assert.Null(tracker.Observe(KernelChannel.IOPub, Message("execute_input", "other-pwsh", "other-pwsh")));
        Assert.Null(tracker.Observe(KernelChannel.Shell, Message("execute_reply", Ours, Ours)));
        Assert.True(tracker.EchoesSession);
        Assert.Equal(0, tracker.RestartsSeen);
    }

    [Fact]
    public void A_kernel_with_a_session_of_its_own_is_restarted_when_its_answers_to_us_change_session()
    {
        var tracker = new KernelSessionTracker(Ours);
        Assert.Null(tracker.Observe(KernelChannel.Control, Message("kernel_info_reply", "process-1", Ours)));
        // Another client's traffic of the same process, or of nobody we know, proves nothing.
        Assert.Null(tracker.Observe(KernelChannel.IOPub, Message("status", "process-2", "someone-else", "busy")));
        Assert.NotNull(tracker.Observe(KernelChannel.Shell, Message("execute_reply", "process-2", Ours)));
        Assert.Equal(1, tracker.RestartsSeen);
    }

    [Fact]
    public void Status_starting_after_the_kernel_answered_is_a_restart_and_before_is_not()
    {
        var tracker = new KernelSessionTracker(Ours);
        Assert.Null(tracker.Observe(KernelChannel.IOPub, Message("status", "p1", null, "starting")));
        Assert.Null(tracker.Observe(KernelChannel.Shell, Message("kernel_info_reply", Ours, Ours)));
        Assert.NotNull(tracker.Observe(KernelChannel.IOPub, Message("status", Ours, null, "starting")));
    }
}
