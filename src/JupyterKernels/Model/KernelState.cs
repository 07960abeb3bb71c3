namespace JupyterKernels;

/// <summary>Lifecycle state as last known to the store/provider (execution_state plus our own lifecycle states).</summary>
public enum KernelState
{
    Unknown,
    Starting,
    Idle,
    Busy,
    Restarting,
    Dead,
    Stopped,
}
