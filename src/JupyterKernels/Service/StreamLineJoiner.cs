namespace JupyterKernels.Service;

/// <summary>
/// Joins a kernel's stream chunks into whole lines for the console, as notebook frontends join them into one text:
/// kernels split a stream where they like (xeus-python sends <c>print("got", "Ada")</c> as four messages: "got", " ",
/// "Ada", "\n"; ipykernel's batching may cut a line in two under load), and printing each chunk as an object of its
/// own would print a line per chunk. Consecutive chunks of one stream (stdout or stderr) are held until a newline;
/// a partial line is let out when another output comes, when the kernel has been silent for a second (a
/// prompt or a progress bar without a newline still shows), and at the end. Not thread-safe: one drain's thread.
/// </summary>
public sealed class StreamLineJoiner
{
    private KernelStreamOutput? _first;
    private System.Text.StringBuilder? _held;
    private long _heldSince;

    /// <summary>How long a partial line is held while the kernel is silent before it is let out: long enough that a
    /// loaded machine's pause between one print's chunks does not cut the line, short enough for a prompt to show.</summary>
    public static readonly TimeSpan SilenceBeforePartialLine = TimeSpan.FromSeconds(1);

    /// <summary>What to write now for <paramref name="output"/>, in order: held text first when it must go, then the
    /// complete lines of a stream chunk, or the output itself.</summary>
    public IEnumerable<KernelOutput> Add(KernelOutput output)
    {
        if (output is not KernelStreamOutput stream)
        {
            if (Flush() is { } partial) yield return partial;
            yield return output;
            yield break;
        }
        if (_first is not null && (_first.Name != stream.Name || _first.ParentMsgId != stream.ParentMsgId))
        {
            if (Flush() is { } partial) yield return partial;
        }
        if (_first is null) _heldSince = Environment.TickCount64;
        _first ??= stream;
        (_held ??= new()).Append(stream.Text);
        var text = _held.ToString();
        var end = text.LastIndexOf('\n');
        if (end < 0) yield break;
        var lines = With(_first, text[..(end + 1)]);
        var rest = text[(end + 1)..];
        _held.Clear().Append(rest);
        if (rest.Length == 0) _first = null;
        else _heldSince = Environment.TickCount64;
        yield return lines;
    }

    /// <summary>The held partial line once it has waited <see cref="SilenceBeforePartialLine"/> (the caller's silent tick).</summary>
    public KernelStreamOutput? FlushIfSilent()
        => _first is not null && Environment.TickCount64 - _heldSince >= (long)SilenceBeforePartialLine.TotalMilliseconds ? Flush() : null;

    /// <summary>The held partial line, if any (then nothing is held).</summary>
    public KernelStreamOutput? Flush()
    {
        if (_first is null || _held is null || _held.Length == 0)
        {
            _first = null;
            return null;
        }
        var partial = With(_first, _held.ToString());
        _held.Clear();
        _first = null;
        return partial;
    }

    private static KernelStreamOutput With(KernelStreamOutput template, string text) => new()
    {
        KernelId = template.KernelId,
        KernelName = template.KernelName,
        ExecutionCount = template.ExecutionCount,
        OutputIndex = template.OutputIndex,
        ParentMsgId = template.ParentMsgId,
        SubShellId = template.SubShellId,
        Name = template.Name,
        Text = text,
    };
}
