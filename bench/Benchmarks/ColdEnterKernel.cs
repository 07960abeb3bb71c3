using System.Diagnostics;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// The `cold` benchmark's interactive half: Enter-Kernel needs a console, so its pwsh runs in a pseudo-terminal
/// (<see cref="PtySession"/>). A cold row times a fresh process from its start to the first prompt on the screen
/// (then types `exit`); the Tab row times, in one session on a warm kernel, each Tab from the key to the completion
/// listing on the screen — what a person waits for — after an untimed first Tab.
/// </summary>
internal static class ColdEnterKernel
{
    private const string PromptMarker = "] In [";

    /// <summary>One fresh process: milliseconds from its start to the first prompt, and its CPU time (of the whole run).</summary>
    public static async Task<(double FirstPromptMs, double CpuMs)> FirstPromptAsync(string pwsh, string import, string kernelId,
        IReadOnlyDictionary<string, string> env, Func<double> childrenCpuMs, CancellationToken ct)
    {
        var cpu0 = childrenCpuMs();
        double firstPrompt;
        await using (var session = PtySession.Start(pwsh, new[] { "-NoProfile", "-Command", $"{import}; Enter-Kernel -Id {kernelId}" }, env))
        {
            var shown = await session.WaitForAsync(PromptMarker, 0, TimeSpan.FromSeconds(120), ct);
            firstPrompt = Stopwatch.GetElapsedTime(session.StartedAt, shown).TotalMilliseconds;
            session.Type("exit\r");
            var code = await session.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
            if (code != 0) throw new InvalidOperationException($"Enter-Kernel's pwsh exited {code}");
        }
        return (firstPrompt, childrenCpuMs() - cpu0);
    }

    /// <summary>Tab completions of `import o` in one Enter-Kernel session: the first (untimed by the median) and then
    /// <paramref name="count"/> more, each from the Tab to its listing on the screen.</summary>
    public static async Task<(double FirstMs, List<double> Warm)> TabCompletionAsync(string pwsh, string import, string kernelId,
        IReadOnlyDictionary<string, string> env, int count, CancellationToken ct)
    {
        await using var session = PtySession.Start(pwsh, new[] { "-NoProfile", "-Command", $"{import}; Enter-Kernel -Id {kernelId}" }, env);
        await session.WaitForAsync(PromptMarker, 0, TimeSpan.FromSeconds(120), ct);
        double first = 0;
        var warm = new List<double>(count);
        for (int i = 0; i <= count; i++)
        {
            var from = session.Length;
            session.Type("import o");
            await session.WaitForAsync("import o", from, TimeSpan.FromSeconds(30), ct);
            from = session.Length;
            var typed = Stopwatch.GetTimestamp();
            session.Type("\t");
            var shown = await session.WaitForAsync("ossaudiodev", from, TimeSpan.FromSeconds(30), ct);
            var ms = Stopwatch.GetElapsedTime(typed, shown).TotalMilliseconds;
            if (i == 0) first = ms; else warm.Add(ms);
            from = session.Length;
            session.Type("\u0015"); // Ctrl+U: the line is empty again
            await session.WaitForAsync(PromptMarker, from, TimeSpan.FromSeconds(30), ct);
            await Task.Delay(20, ct);
        }
        session.Type("exit\r");
        await session.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
        return (first, warm);
    }
}
