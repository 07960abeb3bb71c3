using JupyterKernels.Connections;

namespace JupyterKernels.TestKernel;

/// <summary>Entry point: <c>JupyterKernels.TestKernel -f {connection_file} [--no-subshells]</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? connectionFile = null;
        bool subshells = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-f" or "--connection-file" when i + 1 < args.Length: connectionFile = args[++i]; break;
                case "--no-subshells": subshells = false; break;
                default:
                    Console.Error.WriteLine($"testkernel: unknown argument '{args[i]}'");
                    return 2;
            }
        }
        if (connectionFile is null)
        {
            Console.Error.WriteLine("usage: JupyterKernels.TestKernel -f <connection_file> [--no-subshells]");
            return 2;
        }
        var info = ConnectionFile.Read(connectionFile);
        var kernel = new KernelServer(info, subshells);
        kernel.StartAsync().GetAwaiter().GetResult();
        Console.Error.WriteLine($"testkernel: listening (pid {Environment.ProcessId}, subshells {(subshells ? "on" : "off")})");
        // Like ipykernel, the main shell runs on the process's main thread.
        kernel.RunMainShell();
        return 0;
    }
}
