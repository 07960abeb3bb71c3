using System.Diagnostics;
using System.Runtime;

namespace JupyterKernels;

/// <summary>
/// Where a fresh process's time goes (the cold runbook call): with <c>JUPYTERKERNELS_STARTUP_TRACE=1</c>
/// every <see cref="Mark"/> writes one line to stderr — milliseconds since the process started, since the previous
/// mark, the JIT-compiled method count and JIT time so far, the thread — and a last line at process exit. Off by
/// default: a disabled mark is one static bool test.
/// </summary>
public static class StartupTrace
{
    public const string EnvironmentVariable = "JUPYTERKERNELS_STARTUP_TRACE";

    /// <summary>True when the trace is on (read once per process).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    private static readonly object Gate = new();
    private static DateTime _processStart;
    private static double _last;

    public static void Mark(string label)
    {
        if (!Enabled) return;
        Write(label);
    }

    private static void Write(string label)
    {
        lock (Gate)
        {
            if (_processStart == default)
            {
                using var self = Process.GetCurrentProcess();
                _processStart = self.StartTime.ToUniversalTime();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Write("process exit");
            }
            double now = (DateTime.UtcNow - _processStart).TotalMilliseconds;
            Console.Error.WriteLine(
                $"jk-trace {now,8:0.0} ms (+{now - _last,6:0.0}) jit {JitInfo.GetCompiledMethodCount(),5} {JitInfo.GetCompilationTime().TotalMilliseconds,6:0.0} ms  t{Environment.CurrentManagedThreadId,-3} {label}");
            _last = now;
        }
    }
}
