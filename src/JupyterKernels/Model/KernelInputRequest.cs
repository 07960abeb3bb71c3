namespace JupyterKernels;

/// <summary>
/// The kernel asks for input (stdin <c>input_request</c>). It arrives in the output stream so the cmdlet can
/// prompt on the pipeline thread; answer with <see cref="RespondAsync"/> (exactly once).
/// </summary>
public sealed class KernelInputRequest : KernelOutput
{
    private readonly Func<string, CancellationToken, ValueTask> _respond;
    private int _answered;

    public KernelInputRequest(Func<string, CancellationToken, ValueTask> respond) => _respond = respond;

    public required string Prompt { get; init; }
    /// <summary>True for passwords: do not echo.</summary>
    public bool Password { get; init; }

    /// <summary>The answer that means end of input: the kernel's input() raises EOFError (jupyter_client sends it on EOFError).</summary>
    public const string EndOfInput = "\u0004";

    /// <summary>Sends the answer; <see cref="EndOfInput"/> means EOF.</summary>
    public ValueTask RespondAsync(string value, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
            throw new InvalidOperationException("This input request was already answered.");
        return _respond(value, cancellationToken);
    }

    public override string ToString() => Prompt;
}
