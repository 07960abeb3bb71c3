namespace JupyterKernels.Tests.Support;

/// <summary>A private temp folder, deleted at dispose: the one scratch folder of the tests.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "jk")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>A file name inside the folder (not created).</summary>
    public string File(string name) => Combine(name);

    /// <summary>Writes {Path}/{relative} ('/'-separated), creating the folders on the way; returns the full path.</summary>
    public string Write(string relative, string contents)
    {
        var full = Combine(relative.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, contents);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
