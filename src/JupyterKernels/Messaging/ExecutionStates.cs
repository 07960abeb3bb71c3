namespace JupyterKernels.Messaging;

/// <summary>The protocol's <c>execution_state</c> (IOPub status; the REST kernel model) as a <see cref="KernelState"/>.</summary>
internal static class ExecutionStates
{
    /// <summary>The state named by <paramref name="executionState"/>, or null for a value the protocol does not define.</summary>
    public static KernelState? Parse(string? executionState) => executionState switch
    {
        "starting" => KernelState.Starting,
        "idle" => KernelState.Idle,
        "busy" => KernelState.Busy,
        "restarting" => KernelState.Restarting,
        "dead" => KernelState.Dead,
        _ => null,
    };
}
