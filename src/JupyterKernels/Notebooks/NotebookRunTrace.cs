using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace JupyterKernels.Notebooks;

/// <summary>
/// Where a run's time goes, per phase (for the notebook benchmark and for anyone asking why a run is slow). Off
/// unless JUPYTERKERNELS_NOTEBOOK_TRACE names a file; then each run appends one line to it: cells run, the run's wall
/// and CPU time (from planning to the kernel's stop), and wall milliseconds/count per phase.
/// </summary>
internal sealed class NotebookRunTrace
{
    public const string Variable = "JUPYTERKERNELS_NOTEBOOK_TRACE";

    public enum Phase { StartKernel, KernelInfo, FirstCell, Cell, Send, Outputs, Reply, Save, SaveNow, Observer, StopKernel }

    private readonly string? _file = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } f ? f : null;
    private readonly long[] _ticks = new long[Enum.GetValues<Phase>().Length];
    private readonly int[] _counts = new int[Enum.GetValues<Phase>().Length];
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;

    public bool Enabled => _file is not null;

    /// <summary>A timestamp to pass to <see cref="Add"/> (0 when tracing is off: no clock read).</summary>
    public long Start() => _file is null ? 0 : Stopwatch.GetTimestamp();

    public void Add(Phase phase, long started)
    {
        if (_file is null) return;
        _ticks[(int)phase] += Stopwatch.GetTimestamp() - started;
        _counts[(int)phase]++;
    }

    public int Cells { get; set; }

    public void Write()
    {
        if (_file is null) return;
        var cells = Cells;
        var line = new StringBuilder();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        line.Append(CultureInfo.InvariantCulture, $"cells={cells} wall_ms={Stopwatch.GetElapsedTime(_start).TotalMilliseconds:0.0} cpu_ms={cpu.TotalMilliseconds:0.0}");
        foreach (var phase in Enum.GetValues<Phase>())
            line.Append(CultureInfo.InvariantCulture, $" {phase}={_ticks[(int)phase] * 1000.0 / Stopwatch.Frequency:0.0}ms/{_counts[(int)phase]}");
        try { File.AppendAllText(_file, line.Append('\n').ToString()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a diagnostic only */ }
    }
}
