using JupyterKernels.Service;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// How the store's record tells a restart from a death once a client saw its kernel's process go: only a record that
/// says Restarting, or names another known process, is a restart. A pid the record does not know is no new process
/// (a cell once ended KernelRestarted with no restart because an unknown pid counted as a change).
/// </summary>
public class RestartEvidenceTests
{
    [Fact]
    public void A_record_without_a_pid_is_no_restart()
    {
        Assert.Null(RestartEvidence.Of(KernelState.Idle, pidNow: null, pidGone: 4242));
        Assert.Null(RestartEvidence.Of(KernelState.Busy, pidNow: null, pidGone: 4242));
    }

    [Fact]
    public void The_same_pid_is_a_death()
    {
        Assert.Null(RestartEvidence.Of(KernelState.Idle, pidNow: 4242, pidGone: 4242));
        Assert.Null(RestartEvidence.Of(KernelState.Dead, pidNow: 4242, pidGone: 4242));
    }

    [Fact]
    public void Another_known_pid_is_a_restart_and_says_both()
    {
        var evidence = RestartEvidence.Of(KernelState.Idle, pidNow: 5151, pidGone: 4242);
        Assert.NotNull(evidence);
        Assert.Contains("5151", evidence);
        Assert.Contains("4242", evidence);
    }

    [Fact]
    public void A_record_that_says_Restarting_is_a_restart_whatever_its_pid()
    {
        Assert.NotNull(RestartEvidence.Of(KernelState.Restarting, pidNow: 4242, pidGone: 4242));
        Assert.NotNull(RestartEvidence.Of(KernelState.Restarting, pidNow: null, pidGone: 4242));
    }
}
