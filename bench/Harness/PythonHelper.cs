using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace JupyterKernels.Bench.Harness;

/// <summary>
/// One long-lived helper process (/usr/bin/python3 bench/python/&lt;script&gt;.py) driven by JSON lines: the harness
/// writes a command, the helper answers one line. Timing happens inside Python. Disposal closes stdin (the helper
/// shuts down whatever it started), then kills the process tree if it lingers.
/// </summary>
internal sealed class PythonHelper : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _disposed;

    private PythonHelper(Process process, string script)
    {
        _process = process;
        Script = script;
    }

    public string Script { get; }
    public int Pid => _process.Id;

    public static async Task<PythonHelper> StartAsync(BenchContext ctx, string script, CancellationToken ct)
    {
        var info = new ProcessStartInfo(BenchContext.Python)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = ctx.PythonDir,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(Path.Combine(ctx.PythonDir, script));
        // Kernels jupyter_client starts put their connection files in our private runtime dir, which is also how the
        // safety net recognises leftovers. PYTHONPATH/PYENV from the caller's shell must not leak into Debian's python.
        info.Environment["JUPYTER_RUNTIME_DIR"] = ctx.PythonRuntimeDir;
        info.Environment["JUPYTER_DATA_DIR"] = Path.Combine(ctx.Root, "pydata");
        info.Environment["PYTHONUNBUFFERED"] = "1";
        info.Environment.Remove("PYTHONPATH");
        info.Environment.Remove("PYTHONHOME");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {script}");
        var helper = new PythonHelper(process, script);
        ctx.Track(helper);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (helper._stderr)
            {
                if (helper._stderr.Length > 20_000) helper._stderr.Remove(0, 10_000);
                helper._stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var ready = await helper.ReadAnswerAsync(timeout.Token).ConfigureAwait(false);
        if (ready["ready"]?.GetValue<bool>() != true) throw new InvalidOperationException($"{script} did not start: {ready}");
        return helper;
    }

    /// <summary>Sends a command and returns its answer; throws with the helper's stderr tail on failure.</summary>
    public async Task<JsonObject> CallAsync(string cmd, object? args, TimeSpan timeout, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var command = args is null ? new JsonObject() : JsonSerializer.SerializeToNode(args)!.AsObject();
            command["cmd"] = cmd;
            await _process.StandardInput.WriteLineAsync(command.ToJsonString().AsMemory(), ct).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(ct).ConfigureAwait(false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            JsonObject answer;
            try
            {
                answer = await ReadAnswerAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{Script} {cmd}: no answer within {timeout.TotalSeconds:0} s.{Tail()}");
            }
            if (answer["ok"]?.GetValue<bool>() != true)
                throw new InvalidOperationException($"{Script} {cmd} failed: {answer["error"]}{Tail()}");
            return answer;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<JsonObject> ReadAnswerAsync(CancellationToken ct)
    {
        var line = await _process.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{Script} exited (code {(_process.HasExited ? _process.ExitCode : -1)}).{Tail()}");
        return JsonNode.Parse(line)!.AsObject();
    }

    private string Tail()
    {
        lock (_stderr)
        {
            var text = _stderr.ToString().Trim();
            if (text.Length == 0) return "";
            if (text.Length > 2000) text = text[^2000..];
            return Environment.NewLine + "  python stderr: " + text.Replace("\n", "\n  ");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            // EOF on stdin: the helper runs its cleanups (shuts down kernels it started) and exits.
            try { _process.StandardInput.Close(); } catch (Exception) { }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                try { _process.Kill(entireProcessTree: true); } catch (Exception) { }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Synchronous last resort (process exit handler).</summary>
    public void KillNow()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (Exception) { }
    }
}
