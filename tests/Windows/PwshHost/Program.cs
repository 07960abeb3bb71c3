using System.Management.Automation;
using System.Management.Automation.Runspaces;

// PwshHost <script.ps1> [args...]: runs the script in a default runspace and writes every stream to stdout/stderr, one
// line per record. Exit code: the script's `exit N`, 1 after a terminating error, else 0.
// The work runs on a thread with a 16 MiB stack, as pwsh.exe runs its own on a large one.
// It runs on Microsoft.WindowsDesktop.App as pwsh.exe does (PwshHost.csproj): without it, opening a runspace throws
// FileNotFoundException for System.DirectoryServices out of the runtime's binder (PowerShell catches it on Windows),
// and Wine 8.0's unwinder then follows a stale Wine frame into a bad handler, overflows the stack and hangs.
// PWSHHOST_TRACE=1 prints each first-chance exception with its stack: the way to find such a throw under Wine.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: PwshHost <script.ps1> [args...]");
    return 2;
}
if (args[0] == "--exception-check")
{
    // Does this runtime's exception handling work in this Windows (or Wine) at all?
    try { throw new InvalidOperationException("thrown"); }
    catch (InvalidOperationException e) { Console.WriteLine("caught: " + e.Message); }
    return 0;
}
// PowerShell's assemblies sit beside this program (the lane copies them from the tool's win folder) but are not in
// its deps.json: served from here when the runtime asks, before anything names a PowerShell type.
System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
    return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
};
if (Environment.GetEnvironmentVariable("PWSHHOST_TRACE") == "1")
{
    AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
        Console.Error.WriteLine($"first chance {e.Exception.GetType().FullName}: {e.Exception.Message}{Environment.NewLine}{Environment.StackTrace}");
}
int exitCode = 1;
var worker = new Thread(() => exitCode = Host.Run(args), 16 * 1024 * 1024) { Name = "pwsh host" };
worker.Start();
worker.Join();
Console.Out.Flush();
return exitCode;

internal static class Host
{
    private static readonly bool Tracing = Environment.GetEnvironmentVariable("PWSHHOST_TRACE") == "1";

    private static void Trace(string what)
    {
        if (Tracing) Console.Error.WriteLine($"pwshhost {DateTime.Now:HH:mm:ss.fff} {what}");
    }

    public static int Run(string[] args)
    {
        Trace("start");
        var state = InitialSessionState.CreateDefault2();
        state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        using var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        Trace("runspace open");
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddCommand(Path.GetFullPath(args[0]));
        foreach (var arg in args.Skip(1)) ps.AddArgument(arg);
        ps.AddCommand("Out-String").AddParameter("Stream").AddParameter("Width", 120);

        ps.Streams.Error.DataAdded += (_, e) =>
        {
            var record = ps.Streams.Error[e.Index];
            Console.Error.WriteLine($"ERROR [{record.FullyQualifiedErrorId}] {record.Exception.Message}");
        };
        ps.Streams.Warning.DataAdded += (_, e) => Console.Error.WriteLine("WARNING: " + ps.Streams.Warning[e.Index].Message);
        ps.Streams.Information.DataAdded += (_, e) => Console.WriteLine(ps.Streams.Information[e.Index].MessageData);

        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, e) => Console.WriteLine(output[e.Index]?.ToString());
        Trace("invoke");
        try
        {
            ps.Invoke<PSObject>(null, output);
        }
        catch (RuntimeException e)
        {
            Console.Error.WriteLine($"TERMINATING [{e.ErrorRecord?.FullyQualifiedErrorId}] {e.Message}");
            return 1;
        }
        Trace($"done; garbage collections of generation 0: {GC.CollectionCount(0)}");
        if (runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code) return code;
        return ps.HadErrors ? 1 : 0;
    }
}
