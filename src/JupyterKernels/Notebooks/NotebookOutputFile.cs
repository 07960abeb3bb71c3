using System.Diagnostics;
using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// The output notebook of a run, written after every cell. The run thread serializes the notebook as it stands (cheap:
/// <see cref="NotebookWriter"/> keeps unchanged cells' text) and hands the text over; the file is written beside
/// the next cell's round trip, not in front of it. Writes are atomic and in order; when cells finish faster than the
/// disk takes them, the newest text replaces one still waiting (the file is never more than that one write behind).
/// The first and the last write of a run are made on the run thread (a write that fails is the run's error); the last
/// one durably.
/// </summary>
internal sealed class NotebookOutputFile
{
    /// <summary>
    /// Every write is atomic (a crash, a killed kernel or Ctrl+C leaves a whole notebook); it is also flushed to disk
    /// (fsync of the file and its folder) at most this often, and always at the end of the run. An fsync costs
    /// ~15 ms on an ordinary disk, three times a small cell's round trip: per cell it would triple a run.
    /// </summary>
    internal static readonly TimeSpan DurableInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long the last write waits for one in flight: a disk that slow is a failure to report.</summary>
    private static readonly TimeSpan InFlightLimit = TimeSpan.FromSeconds(60);

    private readonly string _path;
    private readonly NotebookWriter _writer = new();
    private readonly object _lock = new();
    private string? _pending;
    private bool _pendingDurable;
    private bool _writing;
    private KernelException? _failure;
    private long _lastDurable;

    public NotebookOutputFile(string path)
    {
        _path = path;
        _lastDurable = Stopwatch.GetTimestamp(); // the first durable write comes an interval into the run, or at its end
    }

    /// <summary>The cell changed since it was last written (see <see cref="NotebookWriter.CellChanged"/>).</summary>
    public void CellChanged(JsonObject cell) => _writer.CellChanged(cell);

    /// <summary>Queues the notebook as it stands for writing; throws the failure of an earlier queued write.</summary>
    public void Save(JsonObject root)
    {
        var text = _writer.Serialize(root);
        var durable = Stopwatch.GetElapsedTime(_lastDurable) >= DurableInterval;
        if (durable) _lastDurable = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (_failure is not null) throw _failure;
            _pending = text;
            _pendingDurable |= durable;
            if (_writing) return; // the writer takes the newest text when it is done
            _writing = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(_ => WriteQueued(), null);
    }

    /// <summary>Writes the notebook as it stands on this thread, after any write in flight.</summary>
    public void SaveNow(JsonObject root, bool durable)
    {
        var text = _writer.Serialize(root);
        lock (_lock)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(InFlightLimit.TotalSeconds * Stopwatch.Frequency);
            while (_writing)
            {
                var left = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
                if (left <= TimeSpan.Zero || !Monitor.Wait(_lock, left))
                    throw new KernelException(ErrorIds.NotebookWriteFailed, KernelErrorCategory.WriteError,
                        $"The output notebook '{_path}' was still being written after {InFlightLimit.TotalSeconds:0} s.", _path);
            }
            if (_failure is not null) throw _failure;
            _pending = null; // superseded by this text
        }
        NotebookWriter.WriteAtomically(_path, text, durable);
        if (durable) _lastDurable = Stopwatch.GetTimestamp();
    }

    private void WriteQueued()
    {
        while (true)
        {
            string text;
            bool durable;
            lock (_lock)
            {
                if (_pending is null)
                {
                    _writing = false;
                    Monitor.PulseAll(_lock);
                    return;
                }
                (text, durable) = (_pending, _pendingDurable);
                (_pending, _pendingDurable) = (null, false);
            }
            try
            {
                NotebookWriter.WriteAtomically(_path, text, durable);
            }
            catch (KernelException e)
            {
                lock (_lock)
                {
                    _failure ??= e;
                    _pending = null;
                    _writing = false;
                    Monitor.PulseAll(_lock);
                }
                return;
            }
        }
    }
}
