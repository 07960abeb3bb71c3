using System.Diagnostics;
using System.Text;

namespace JupyterKernels.Bench.Harness;

/// <summary>
/// A program in a pseudo-terminal, for what needs a console (Enter-Kernel refuses redirected input): util-linux
/// `script` gives the child a pty of 120×40 and relays our writes to it as typed keys and its screen output to us.
/// The bench times how long until something shows (the first prompt, a completion listing), as a person would see it.
/// </summary>
internal sealed class PtySession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Task _reader;

    private PtySession(Process process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
    }

    public long StartedAt { get; private init; }

    public static PtySession Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var command = "stty cols 120 rows 40; exec " + string.Join(' ', new[] { file }.Concat(args).Select(Quote));
        var psi = new ProcessStartInfo("script") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-f", "-e", "-c", command, "/dev/null" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["TERM"] = "xterm";
        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start script(1)");
        return new PtySession(process) { StartedAt = started };
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        int n;
        while ((n = await _process.StandardOutput.ReadAsync(buffer, 0, buffer.Length)) > 0)
        {
            lock (_screen) _screen.Append(buffer, 0, n);
            _changed.Release();
        }
        _changed.Release();
    }

    /// <summary>What the program wrote so far (escape sequences included).</summary>
    public int Length { get { lock (_screen) return _screen.Length; } }

    /// <summary>Waits until <paramref name="text"/> appears at or after <paramref name="from"/>; the Stopwatch timestamp then.</summary>
    public async Task<long> WaitForAsync(string text, int from, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        while (true)
        {
            lock (_screen)
            {
                if (_screen.Length >= from && _screen.ToString(from, _screen.Length - from).Contains(text, StringComparison.Ordinal))
                    return Stopwatch.GetTimestamp();
            }
            if (_process.HasExited && _reader.IsCompleted)
                throw new InvalidOperationException($"the program ended before showing '{text}': {Tail()}");
            try { await _changed.WaitAsync(timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { throw new TimeoutException($"'{text}' did not show within {limit}: {Tail()}"); }
        }
    }

    private string Tail()
    {
        lock (_screen) return _screen.Length > 600 ? _screen.ToString(_screen.Length - 600, 600) : _screen.ToString();
    }

    public void Type(string keys)
    {
        _process.StandardInput.Write(keys);
        _process.StandardInput.Flush();
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (Exception) { }
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        _process.Dispose();
        _changed.Dispose();
    }
}
