namespace JupyterKernels.Providers;

internal enum StartRecoveryOutcome { InProgress, Completed, Abandoned }

/// <summary>What became of a start whose record is still in state Starting (see
/// <see cref="IRecoversStarts.RecoverStartAsync"/>). <see cref="Completed"/> is the full record when the kernel answers.</summary>
internal sealed record StartRecovery(StartRecoveryOutcome Outcome, string Reason, KernelRecord? Completed = null);
