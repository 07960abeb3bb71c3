using System.Globalization;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.TestKernel;

/// <summary>
/// The test language: one command per line, blank lines and <c>#</c> comments ignored.
/// <code>
/// sleep &lt;seconds&gt;        wait (the main shell's sleep is interruptible)
/// print &lt;text&gt;           stream stdout "text\n"
/// eprint &lt;text&gt;          stream stderr "text\n"
/// display &lt;mime&gt; &lt;text&gt;  display_data {mime: text} (a *json mime is embedded as JSON)
/// result &lt;text&gt;          execute_result text/plain
/// error &lt;ename&gt; &lt;evalue&gt;  error output + error reply (stops the program)
/// input &lt;prompt&gt;         input_request on stdin; prints the value that came back
/// exit &lt;code&gt;            the process exits at once (no reply, no idle)
/// count                  prints this request's execution_count
/// pid                    prints the kernel's process id
/// linger &lt;seconds&gt;       after a later shutdown_reply, stay that long before exiting (a hung teardown)
/// subshell               prints header.subshell_id of this request, or "main"
/// fault &lt;kind&gt;           badsig | malformed | noreply | dupreply | noidle | silent | die (see README)
/// </code>
/// Faults are collected before the program runs and shape this request's reply and status messages.
/// </summary>
internal static class Interpreter
{
    public static ParsedProgram Parse(string code)
    {
        var lines = new List<(string Command, string Argument)>();
        var faults = new HashSet<Fault>();
        foreach (var raw in code.Split('\n'))
        {
            // Leading blanks are ignored; trailing ones are kept (they matter in an input prompt).
            var line = raw.TrimEnd('\r').TrimStart();
            if (line.Trim().Length == 0 || line.StartsWith('#')) continue;
            int space = line.IndexOf(' ');
            var command = space < 0 ? line : line[..space];
            var argument = space < 0 ? "" : line[(space + 1)..];
            if (command == "fault" && ParseFault(argument.Trim()) is { } fault) faults.Add(fault);
            lines.Add((command, argument));
        }
        return new ParsedProgram(lines, faults);
    }

    private static Fault? ParseFault(string name) => name switch
    {
        "badsig" => Fault.BadSig,
        "malformed" => Fault.Malformed,
        "noreply" => Fault.NoReply,
        "dupreply" => Fault.DupReply,
        "noidle" => Fault.NoIdle,
        "silent" => Fault.Silent,
        "die" => Fault.Die,
        "abort" => Fault.Abort,
        "ignorestdin" => Fault.IgnoreStdin,
        _ => null,
    };

    public static void Run(ParsedProgram program, ExecutionContext context)
    {
        foreach (var (command, argument) in program.Lines)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            switch (command)
            {
                case "sleep":
                    if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                        throw new CommandError("ValueError", $"sleep needs a number of seconds, got '{argument}'");
                    context.Sleep(TimeSpan.FromSeconds(seconds));
                    break;
                case "print":
                    context.Stream("stdout", argument + "\n");
                    break;
                case "eprint":
                    context.Stream("stderr", argument + "\n");
                    break;
                case "display":
                {
                    var (mime, text) = Split2(argument, "display <mime> <text>");
                    context.Publish("display_data", KernelServer.Content(w =>
                    {
                        w.WriteStartObject("data");
                        WriteMimeValue(w, mime, text);
                        w.WriteEndObject();
                        w.WriteStartObject("metadata"); w.WriteEndObject();
                        w.WriteStartObject("transient"); w.WriteEndObject();
                    }));
                    break;
                }
                case "result":
                    context.Publish("execute_result", KernelServer.Content(w =>
                    {
                        w.WriteNumber("execution_count", context.ExecutionCount);
                        w.WriteStartObject("data"); w.WriteString("text/plain", argument); w.WriteEndObject();
                        w.WriteStartObject("metadata"); w.WriteEndObject();
                    }));
                    break;
                case "error":
                {
                    var (ename, evalue) = Split2(argument, "error <ename> <evalue>", allowEmptySecond: true);
                    throw new CommandError(ename, evalue);
                }
                case "input":
                {
                    var value = context.Input(argument, password: false);
                    context.Stream("stdout", value + "\n");
                    break;
                }
                case "exit":
                    if (!int.TryParse(argument, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exitCode))
                        throw new CommandError("ValueError", $"exit needs an integer code, got '{argument}'");
                    KernelServer.Log($"exit {exitCode} requested by {context.Request.MsgId}");
                    Environment.Exit(exitCode);
                    break;
                case "linger":
                    if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var linger) || linger < 0)
                        throw new CommandError("ValueError", $"linger needs a number of seconds, got '{argument}'");
                    KernelServer.ShutdownLinger = TimeSpan.FromSeconds(linger);
                    break;
                case "pid":
                    context.Stream("stdout", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
                    break;
                case "count":
                    context.Stream("stdout", context.ExecutionCount.ToString(CultureInfo.InvariantCulture) + "\n");
                    break;
                case "subshell":
                    context.Stream("stdout", (context.Request.Header.SubshellId ?? "main") + "\n");
                    break;
                case "fault":
                    var fault = ParseFault(argument.Trim())
                        ?? throw new CommandError("ValueError", $"unknown fault '{argument}' (badsig, malformed, noreply, dupreply, noidle, silent, die, abort, ignorestdin)");
                    if (fault == Fault.Die)
                    {
                        KernelServer.Log($"fault die requested by {context.Request.MsgId}");
                        Environment.Exit(3);
                    }
                    break; // the others were collected by Parse and act on the reply/status messages
                default:
                    throw new CommandError("UnknownCommand", $"unknown command '{command}'");
            }
        }
    }

    private static void WriteMimeValue(Utf8JsonWriter w, string mime, string text)
    {
        if (mime.EndsWith("json", StringComparison.Ordinal))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                w.WritePropertyName(mime);
                doc.RootElement.WriteTo(w);
                return;
            }
            catch (JsonException) { /* not JSON: send it as text */ }
        }
        w.WriteString(mime, text);
    }

    private static (string, string) Split2(string argument, string usage, bool allowEmptySecond = false)
    {
        int space = argument.IndexOf(' ');
        if (space <= 0)
        {
            if (allowEmptySecond && argument.Length > 0) return (argument, "");
            throw new CommandError("ValueError", $"usage: {usage}");
        }
        return (argument[..space], argument[(space + 1)..]);
    }
}

internal sealed record ParsedProgram(IReadOnlyList<(string Command, string Argument)> Lines, IReadOnlySet<Fault> Faults);

internal enum Fault { BadSig, Malformed, NoReply, DupReply, NoIdle, Silent, Die, Abort, IgnoreStdin }

/// <summary>A failed command: becomes an IOPub error and an error execute_reply.</summary>
internal sealed class CommandError : Exception
{
    public CommandError(string ename, string evalue) : base($"{ename}: {evalue}")
    {
        Ename = ename;
        Evalue = evalue;
    }

    public string Ename { get; }
    public string Evalue { get; }
    public IReadOnlyList<string> Traceback => new[] { "Traceback (test kernel):", $"{Ename}: {Evalue}" };
}

/// <summary>What a running program can do: publish with the request as parent, sleep, read input.</summary>
internal sealed class ExecutionContext
{
    private readonly KernelServer _kernel;
    private readonly bool _mute;

    public ExecutionContext(KernelServer kernel, ShellWorker shell, JupyterMessage request, bool allowStdin, bool mute, CancellationToken cancellationToken)
    {
        _kernel = kernel;
        Shell = shell;
        Request = request;
        AllowStdin = allowStdin;
        _mute = mute;
        CancellationToken = cancellationToken;
    }

    public ShellWorker Shell { get; }
    public JupyterMessage Request { get; }
    public bool AllowStdin { get; }
    /// <summary>Fault ignorestdin: ask for input even when the request said allow_stdin false.</summary>
    public bool IgnoreAllowStdin { get; init; }
    /// <summary>Cancelled by an interrupt (main shell only).</summary>
    public CancellationToken CancellationToken { get; }
    public int ExecutionCount { get; set; }

    public void Publish(string msgType, JsonElement content)
    {
        if (!_mute) _kernel.Publish(msgType, content, Request.Header);
    }

    public void Stream(string name, string text)
        => Publish("stream", KernelServer.Content(w => { w.WriteString("name", name); w.WriteString("text", text); }));

    public void Sleep(TimeSpan duration)
    {
        if (CancellationToken.WaitHandle.WaitOne(duration)) CancellationToken.ThrowIfCancellationRequested();
    }

    public string Input(string prompt, bool password)
    {
        if (!AllowStdin && !IgnoreAllowStdin) throw new CommandError("StdinNotImplementedError", "input was called, but this frontend does not support input requests.");
        var value = _kernel.RequestInput(Request, prompt, password, CancellationToken);
        if (value == "\x04") throw new CommandError("EOFError", "EOF when reading a line");
        return value;
    }
}
