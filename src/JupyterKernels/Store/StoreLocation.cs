using JupyterKernels.Kernelspecs;

namespace JupyterKernels.Store;

/// <summary>
/// The folder of the default store (when neither a path nor JUPYTERKERNELS_DB names one). Elsewhere: the Jupyter data
/// dir. On Windows that dir is Roaming (%APPDATA%\jupyter), which roaming and redirected profiles keep on a file share,
/// where SQLite's WAL (shared memory beside the file) is not safe; the store goes to %LOCALAPPDATA%\JupyterKernels
/// instead, and a store found in the Roaming data dir is moved there once (with its -wal and -shm files, so nothing
/// committed is lost). A JUPYTER_DATA_DIR the user set is the user's choice, and is kept.
/// </summary>
internal static class StoreLocation
{
    public const string WindowsFolderName = "JupyterKernels";

    public static string DataDirectory(JupyterPaths paths, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Platform != JupyterPlatform.Windows
            || getEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 }
            || getEnvironmentVariable(KernelStore.PathEnvironmentVariable) is { Length: > 0 }
            || getEnvironmentVariable("LOCALAPPDATA") is not { Length: > 0 } localAppData)
            return paths.DataDir;
        var local = Path.Combine(localAppData, WindowsFolderName);
        return MoveOnce(paths.DataDir, local) ? local : paths.DataDir;
    }

    /// <summary>
    /// Moves the store from <paramref name="from"/> to <paramref name="to"/> unless <paramref name="to"/> has one already.
    /// False when a store stays where it was (in use by another process, or the move failed): it is used there this
    /// time, and moved by a later process.
    /// </summary>
    public static bool MoveOnce(string from, string to)
    {
        var source = Path.Combine(from, KernelStore.FileName);
        var target = Path.Combine(to, KernelStore.FileName);
        if (File.Exists(target) || !File.Exists(source) || string.Equals(Path.GetFullPath(source), Path.GetFullPath(target), StringComparison.OrdinalIgnoreCase))
            return true;
        Directory.CreateDirectory(to);
        var moved = new List<(string From, string To)>();
        try
        {
            // The WAL first and the database last: a reader never finds the database without the log it needs.
            foreach (var suffix in new[] { "-wal", "" })
            {
                if (!File.Exists(source + suffix)) continue;
                File.Move(source + suffix, target + suffix);
                moved.Add((source + suffix, target + suffix));
            }
            try { if (File.Exists(source + "-shm")) File.Delete(source + "-shm"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // In use (Windows refuses to move an open file) or not ours to move: put back what went, keep the old place.
            for (int i = moved.Count - 1; i >= 0; i--)
                try { File.Move(moved[i].To, moved[i].From); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return false;
        }
    }
}
