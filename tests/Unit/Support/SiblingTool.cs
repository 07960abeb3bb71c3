using System.Diagnostics;

namespace JupyterKernels.Tests.Support;

/// <summary>Runs a console project built beside the tests (tests/&lt;Name&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Name&gt;.dll) as a separate process.</summary>
public static class SiblingTool
{
    public static string DotnetHost => JupyterKernels.TestKernel.TestKernelLocator.DotnetHost;

    public static string DllPath(string name)
    {
        // .../tests/Unit/bin/<Configuration>/net10.0/ → .../tests/<name>/bin/<Configuration>/net10.0/<name>.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var tests = baseDir.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, name, "bin", configuration, framework, name + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{name} is not built at {path}");
        return path;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string name, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath(name));
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException($"{name} {string.Join(' ', args)} did not finish within {timeout}"); }
        return (process.ExitCode, await stdout, await stderr);
    }
}
