namespace JupyterKernels.Cmdlets;

/// <summary>The keyboard and screen an interactive console edits on: keys one by one (Tab, arrows and Ctrl+C
/// included), text out (with VT escape sequences), the width lines wrap at.</summary>
internal interface ITerminal
{
    ConsoleKeyInfo ReadKey();
    void Write(string text);
    int Width { get; }

    /// <summary>While a cell runs: true once the user pressed Ctrl+C. Every other key typed meanwhile is kept, in
    /// order, for the next <see cref="ReadKey"/> (type-ahead).</summary>
    bool InterruptRequested();
}

/// <summary>
/// The process console with Ctrl+C read as a key (Console.TreatControlCAsInput), as PSReadLine reads it: at the prompt
/// it clears the line, while a cell runs it interrupts the cell, and never does it stop the command itself (which
/// would end the session). The previous setting is restored on dispose.
/// </summary>
internal sealed class SystemTerminal : ITerminal, IDisposable
{
    private readonly Queue<ConsoleKeyInfo> _typeAhead = new();
    private readonly bool _treatedControlCAsInput;

    public SystemTerminal()
    {
        _treatedControlCAsInput = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
    }

    public ConsoleKeyInfo ReadKey() => _typeAhead.Count > 0 ? _typeAhead.Dequeue() : Console.ReadKey(intercept: true);

    public void Write(string text)
    {
        Console.Out.Write(text);
        Console.Out.Flush();
    }

    public int Width
    {
        get
        {
            try { return Math.Max(Console.WindowWidth, 8); }
            catch (IOException) { return 80; }
        }
    }

    public bool InterruptRequested()
    {
        while (Console.KeyAvailable)
        {
            var key = Console.ReadKey(intercept: true);
            if (LineEditor.IsControlC(key)) return true;
            _typeAhead.Enqueue(key);
        }
        return false;
    }

    public void Dispose() => Console.TreatControlCAsInput = _treatedControlCAsInput;
}
