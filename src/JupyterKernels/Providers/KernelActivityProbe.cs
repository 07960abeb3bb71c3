namespace JupyterKernels.Providers;

/// <summary>Is a kernel running code right now, asked of the kernel itself (for kernels driven by clients that do not
/// record their executions in our store). Unknown means it could not be established: nothing destructive follows.</summary>
internal enum KernelActivity { Idle, Busy, Unknown }

/// <summary>The answer and its evidence (goes into SyncResult.Reason).</summary>
internal sealed record KernelActivityProbe(KernelActivity Activity, string Evidence);
