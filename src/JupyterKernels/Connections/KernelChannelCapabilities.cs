using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// What a kernel answers on which channel. Kernels differ: ipykernel and xeus-python answer kernel_info (and interrupt,
/// shutdown, subshell requests) on control while their shell runs code; IRkernel answers nothing on control at all,
/// and its heartbeat is silent while R runs code. A client that does not know waits out a control request before it
/// asks shell; once learned, the answer is kept with the kernel's record, so every later process asks the right channel
/// at once.
/// </summary>
/// <param name="ControlAnswers">True when the kernel answered a kernel_info_request on control; false when it answered
/// on shell while a control request stayed unanswered.</param>
internal sealed record KernelChannelCapabilities(bool ControlAnswers)
{
    /// <summary>The channel that answers a kernel_info_request at all (control when it does, else shell).</summary>
    public KernelChannel ProbeChannel => ControlAnswers ? KernelChannel.Control : KernelChannel.Shell;
}
