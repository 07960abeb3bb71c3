namespace JupyterKernels.Messaging;

/// <summary>The protocol's <c>execution_state</c> (IOPub status; the REST kernel model) as a <see cref="KernelState"/>.</summary>
internal static class ExecutionStates
{
    public const string Starting = "starting";
    public const string Idle = "idle";
    public const string Busy = "busy";
    public const string Restarting = "restarting";
    public const string Dead = "dead";

    /// <summary>The state named by <paramref name="executionState"/>, or null for a value the protocol does not define.</summary>
    public static KernelState? Parse(string? executionState) => executionState switch
    {
        Starting => KernelState.Starting,
        Idle => KernelState.Idle,
        Busy => KernelState.Busy,
        Restarting => KernelState.Restarting,
        Dead => KernelState.Dead,
        _ => null,
    };
}
