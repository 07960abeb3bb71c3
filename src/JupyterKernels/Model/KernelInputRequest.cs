namespace JupyterKernels;

/// <summary>
/// The kernel asks for input (stdin <c>input_request</c>). It arrives in the output stream so the cmdlet can
/// prompt on the pipeline thread; answer with <see cref="RespondAsync"/> or refuse with <see cref="DeclineAsync"/>
/// (exactly once).
/// </summary>
public sealed class KernelInputRequest : KernelOutput
{
    private readonly Func<string, CancellationToken, ValueTask> _respond;
    private readonly Func<CancellationToken, ValueTask>? _decline;
    private int _answered;

    public KernelInputRequest(Func<string, CancellationToken, ValueTask> respond, Func<CancellationToken, ValueTask>? decline = null)
    {
        _respond = respond;
        _decline = decline;
    }

    public required string Prompt { get; init; }
    /// <summary>True for passwords: do not echo.</summary>
    public bool Password { get; init; }

    /// <summary>Sends the answer: the kernel's input() returns <paramref name="value"/>.</summary>
    public ValueTask RespondAsync(string value, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
            throw new InvalidOperationException("This input request was already answered.");
        return _respond(value, cancellationToken);
    }

    /// <summary>
    /// No answer can be given: the execution is abandoned and the kernel interrupted, so the cell ends instead of
    /// waiting for ever — the caller reports why, once (the interrupt's own KeyboardInterrupt is not an output).
    /// No text is sent as if typed: "\u0004" would reach input() as a one-character line, not as end of input.
    /// A subshell cannot be interrupted (the signal reaches the main shell): it gets an empty line.
    /// </summary>
    public ValueTask DeclineAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
            throw new InvalidOperationException("This input request was already answered.");
        return _decline is not null ? _decline(cancellationToken) : _respond("", cancellationToken);
    }

    public override string ToString() => Prompt;
}
