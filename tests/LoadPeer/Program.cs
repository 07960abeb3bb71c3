using System.Runtime.InteropServices;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// <c>LoadPeer --kernels N --dir DIR</c>: serves N virtual kernels from this one process (NetMQ, one poller thread),
/// writes <c>DIR/kernel-&lt;i&gt;.json</c> (Jupyter connection files, one key each) and prints
/// <c>LOADPEER READY &lt;N&gt; &lt;DIR&gt;</c> on stdout. It stops on stdin EOF (so it dies with the process that started
/// it), on SIGTERM/Ctrl+C, or when every kernel got a shutdown_request.
/// </summary>
public static class Program
{
    public const string ReadyLine = "LOADPEER READY";

    public static int Main(string[] args)
    {
        int kernels = 1;
        string? dir = null;
        bool watchStdin = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--kernels" or "-n" when i + 1 < args.Length: kernels = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--dir" when i + 1 < args.Length: dir = args[++i]; break;
                case "--no-stdin-watch": watchStdin = false; break;
                default:
                    Console.Error.WriteLine($"loadpeer: unknown argument '{args[i]}'");
                    Console.Error.WriteLine("usage: LoadPeer --kernels N --dir DIR [--no-stdin-watch]");
                    return 2;
            }
        }
        if (dir is null || kernels < 1)
        {
            Console.Error.WriteLine("usage: LoadPeer --kernels N --dir DIR [--no-stdin-watch]");
            return 2;
        }
        Directory.CreateDirectory(dir);

        using var host = new PeerHost(kernels);
        try
        {
            host.Start(kernels, dir);
        }
        catch (Exception e)
        {
            // Typically EMFILE (each NetMQ socket costs a listener plus a loopback socket pair for its mailbox).
            Console.Error.WriteLine($"loadpeer: could not open {kernels} kernels: {e.GetType().Name} {(e as NetMQ.NetMQException)?.ErrorCode} {e.Message}");
            return 3;
        }
        Console.Out.WriteLine($"{ReadyLine} {kernels} {dir}");
        Console.Out.Flush();

        using var stop = new ManualResetEventSlim();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        host.AllShutDown += stop.Set;
        if (watchStdin)
        {
            new Thread(() =>
            {
                try { while (Console.In.ReadLine() is not null) { } } catch (IOException) { }
                stop.Set();
            }) { IsBackground = true, Name = "loadpeer-stdin" }.Start();
        }
        stop.Wait();
        Console.Error.WriteLine($"loadpeer: stopping ({host.RequestsHandled} requests handled)");
        return 0;
    }
}
