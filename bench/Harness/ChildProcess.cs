using System.Diagnostics;

namespace JupyterKernels.Bench.Harness;

/// <summary>The bench's way to run another program to its end: both outputs read as they come (a full pipe never
/// stalls it), its whole tree killed if it outlives the limit.</summary>
internal static class ChildProcess
{
    public static async Task<(string Stdout, string Stderr, int ExitCode)> RunAsync(ProcessStartInfo psi, TimeSpan limit, CancellationToken ct)
    {
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        if (psi.RedirectStandardInput) p.StandardInput.Close(); // a child that reads its console gets EOF, never a wait
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { try { p.Kill(entireProcessTree: true); } catch (Exception) { } throw; }
        return (await stdout, await stderr, p.ExitCode);
    }
}
