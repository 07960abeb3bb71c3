using System.Diagnostics;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// A process run with JUPYTERKERNELS_TEST_REWRITE_PAUSE_MS holds every rewrite of an existing file with the new
/// contents complete in a temporary file (<c>.NAME.PID.RANDOM.tmp</c>) and the old file untouched. A first write (no
/// file yet) is not held: its temporary file lives only for moments, so a held one is one seen twice, 300 ms apart,
/// beside its target.
/// </summary>
public static class RewriteWindow
{
    public const string PauseVariable = "JUPYTERKERNELS_TEST_REWRITE_PAUSE_MS";

    /// <summary>Waits until <paramref name="process"/> holds a rewrite in <paramref name="folder"/>; returns its
    /// temporary file, or null when the process ended first.</summary>
    public static async Task<string?> WaitForHeldRewriteAsync(string folder, Process process, CancellationToken ct)
    {
        while (!process.HasExited)
        {
            var held = Directory.Exists(folder)
                ? Directory.GetFiles(folder, ".*.tmp").FirstOrDefault(t => File.Exists(TargetOf(t)))
                : null;
            if (held is not null)
            {
                await Task.Delay(300, ct);
                if (File.Exists(held)) return held;
            }
            else await Task.Delay(20, ct);
        }
        return null;
    }

    /// <summary>The file a temporary file <c>.NAME.PID.RANDOM.tmp</c> is to replace.</summary>
    public static string TargetOf(string temp)
    {
        var name = Path.GetFileName(temp)[1..];             // NAME.PID.RANDOM.tmp
        for (int i = 0; i < 3; i++) name = name[..name.LastIndexOf('.')];
        return Path.Combine(Path.GetDirectoryName(temp)!, name);
    }
}
