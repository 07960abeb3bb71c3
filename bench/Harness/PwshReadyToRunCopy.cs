using System.Diagnostics;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace JupyterKernels.Bench.Harness;

/// <summary>
/// A ReadyToRun copy of an IL-only pwsh folder (the PowerShell .NET tool), made by
/// build/PwshReadyToRun/PwshReadyToRun.csproj: PowerShell as the deb/rpm/tar.gz/msi packages ship it (their
/// assemblies are crossgen'd), the same version and files otherwise. Made once and cached under
/// bench/obj/pwsh-readytorun/&lt;version&gt;-&lt;key&gt;/ (key: the project file and the tool's folder), never in the NuGet cache.
/// </summary>
internal static class PwshReadyToRunCopy
{
    /// <summary>Returns the copy's pwsh, making the copy first if it is not cached yet.</summary>
    public static async Task<string> EnsureAsync(string repo, string dotnet, string toolPwsh, CancellationToken ct)
    {
        // build/PwshReadyToRun compiles for linux-x64; elsewhere the copy would be IL again and the column a lie.
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            throw new PlatformNotSupportedException("the ReadyToRun pwsh copy is made for linux-x64 only (build/PwshReadyToRun)");
        var toolDir = Path.GetDirectoryName(Path.GetFullPath(toolPwsh))!;
        var toolEngine = Path.Combine(toolDir, "System.Management.Automation.dll");
        if (!File.Exists(toolEngine)) throw new InvalidOperationException($"{toolDir} holds no System.Management.Automation.dll: not a pwsh folder");
        if (HasReadyToRunCode(toolEngine))
            throw new InvalidOperationException($"{toolPwsh} already has ReadyToRun code (an installed package, not the IL-only .NET tool): " +
                                                "the notebook benchmark compares the IL-only tool with a ReadyToRun copy of it");
        var project = Path.Combine(repo, "build", "PwshReadyToRun", "PwshReadyToRun.csproj");
        var version = (FileVersionInfo.GetVersionInfo(toolEngine).ProductVersion ?? "unknown").Split(' ', '+')[0];
        var dir = Path.Combine(repo, "bench", "obj", "pwsh-readytorun", $"{version}-{CacheKey(project, toolDir, toolEngine)}");
        var pwsh = Path.Combine(dir, Path.GetFileName(toolPwsh));
        var done = Path.Combine(dir, ".complete");
        if (File.Exists(done) && File.Exists(pwsh))
        {
            Console.WriteLine($"  ReadyToRun pwsh: cached {dir}");
            return pwsh;
        }

        Console.WriteLine($"  ReadyToRun pwsh: compiling the PowerShell assemblies of {toolDir} (untimed, once per version)...");
        var staging = dir + ".tmp-" + Environment.ProcessId;
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var sw = Stopwatch.StartNew();
        var (output, code) = await RunAsync(dotnet, new[]
        {
            "msbuild", project, "-restore", "-t:CompilePwshReadyToRun", "-nologo", "-v:m",
            $"-p:PwshDir={toolDir}", $"-p:PwshReadyToRunDir={staging}",
        }, TimeSpan.FromMinutes(15), ct);
        if (code != 0) throw new InvalidOperationException($"{Path.GetFileName(project)} failed ({code}):\n{output}");
        var engine = Path.Combine(staging, "System.Management.Automation.dll");
        if (!HasReadyToRunCode(engine)) throw new InvalidOperationException($"{engine} has no ReadyToRun code after {Path.GetFileName(project)}");
        File.WriteAllText(Path.Combine(staging, ".complete"), $"{toolDir}\n");
        // Copies of this version made by an older project file or from another tool folder are never used again.
        foreach (var stale in Directory.GetDirectories(Path.GetDirectoryName(dir)!, version + "-*").Where(d => d != staging))
            Directory.Delete(stale, recursive: true);
        Directory.Move(staging, dir);
        Console.WriteLine($"  ReadyToRun pwsh: {dir} ({sw.Elapsed.TotalSeconds:0} s)");
        return pwsh;
    }

    /// <summary>True when the image carries ReadyToRun (precompiled) code: its CLI header points at a ReadyToRun header.</summary>
    public static bool HasReadyToRunCode(string assembly)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        return pe.PEHeaders.CorHeader is { } cor && cor.ManagedNativeHeaderDirectory.Size > 0;
    }

    /// <summary>Changes when the project (what is compiled, how) or the tool's engine assembly changes.</summary>
    private static string CacheKey(string project, string toolDir, string toolEngine)
    {
        var info = new FileInfo(toolEngine);
        var text = File.ReadAllText(project) + "\n" + toolDir + "\n" + info.Length + "\n" + info.LastWriteTimeUtc.Ticks;
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
    }

    private static async Task<(string Output, int Code)> RunAsync(string file, string[] args, TimeSpan limit, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var (stdout, stderr, code) = await ChildProcess.RunAsync(psi, limit, ct);
        return (stdout + stderr, code);
    }
}
