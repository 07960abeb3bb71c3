namespace JupyterKernels.Messaging;

/// <summary>The Jupyter channels (heartbeat is not a message channel and lives on the connection).</summary>
internal enum KernelChannel
{
    Shell,
    Control,
    Stdin,
    IOPub,
}

internal static class KernelChannelNames
{
    /// <summary>The name used in WebSocket framing and raw output ("shell", "iopub", ...).</summary>
    public static string ToWireName(this KernelChannel channel) => channel switch
    {
        KernelChannel.Shell => "shell",
        KernelChannel.Control => "control",
        KernelChannel.Stdin => "stdin",
        KernelChannel.IOPub => "iopub",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    public static bool TryParse(string? name, out KernelChannel channel)
    {
        switch (name)
        {
            case "shell": channel = KernelChannel.Shell; return true;
            case "control": channel = KernelChannel.Control; return true;
            case "stdin": channel = KernelChannel.Stdin; return true;
            case "iopub": channel = KernelChannel.IOPub; return true;
            default: channel = default; return false;
        }
    }
}
