namespace JupyterKernels;

/// <summary>
/// What a KernelDied means when a client saw the local process it was connected to go (<see cref="KernelException.ProcessGone"/>):
/// all a client can tell. Whether that was a death or a restart by another client is for whoever holds the record of
/// restarts (the Service, which reads the store on the way up); this carries what it needs, as data. An execution the
/// kernel had already answered (interrupted, then gone: a restart's first steps) carries its reply, which stands when
/// no restart is found.
/// </summary>
/// <param name="Pid">The process the client was connected to, which is gone.</param>
/// <param name="Reason">How it is gone (exited, its pid reused).</param>
/// <param name="Reply">The reply the kernel gave the execution before its process went; null for everything else.</param>
internal sealed record KernelProcessGone(int Pid, string Reason, KernelExecuteReply? Reply = null);
