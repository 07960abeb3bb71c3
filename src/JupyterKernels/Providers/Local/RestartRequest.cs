namespace JupyterKernels.Providers.Local;

/// <summary>
/// A restart launches the new process as the first one was launched: the working directory and environment given to
/// Start-Kernel are read from the kernel's record (so a restart from any process keeps them), as jupyter_client's
/// restart_kernel reuses its <c>_launch_args</c>.
/// </summary>
internal static class RestartRequest
{
    public static KernelStartRequest Of(KernelRecord kernel, string specName, LocalKernelData data) => new()
    {
        KernelId = kernel.Id,
        SpecName = specName,
        WorkingDirectory = data.WorkingDirectory,
        Environment = data.Environment ?? new Dictionary<string, string>(),
        KnownChannels = data.Channels,
    };
}
