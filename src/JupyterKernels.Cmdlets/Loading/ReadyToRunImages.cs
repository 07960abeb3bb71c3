using System.Runtime.InteropServices;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>
/// Which file of a module assembly this process loads. Every folder of the module holds portable IL (IL-only PE
/// files, which every runtime on every OS and architecture loads); beside it, <c>readytorun/&lt;rid&gt;/</c> may hold
/// ReadyToRun images of the same assemblies compiled for one platform. A ReadyToRun image is a machine-specific PE
/// file: Windows maps it through the OS loader, which refuses a foreign machine type ("Format of the executable
/// (.exe) or library (.dll) is invalid"), so an image is only ever picked on the platform it was compiled for.
/// The root module (JupyterKernels.Cmdlets.dll) is loaded by PowerShell from the manifest's path, so it is IL
/// everywhere; the core and the dependencies come through the module's resolvers, which ask here.
/// No PowerShell types here: xunit checks the choice for every platform.
/// </summary>
public static class ReadyToRunImages
{
    /// <summary>The subfolder (of the folder that holds the IL) with one folder of images per RID.</summary>
    public const string FolderName = "readytorun";

    /// <summary>The file to load for <paramref name="fileName"/> in <paramref name="folder"/> on this process's platform.</summary>
    public static string Pick(string folder, string fileName) =>
        Pick(folder, fileName, RuntimeIdentifiers.ForThisProcess());

    /// <summary>
    /// The image under readytorun/&lt;rid&gt;/ for the first of <paramref name="rids"/> (most specific first) that has
    /// one, else the IL beside it.
    /// </summary>
    public static string Pick(string folder, string fileName, IEnumerable<string> rids)
    {
        foreach (var rid in rids)
        {
            var image = Path.Combine(folder, FolderName, rid, fileName);
            if (File.Exists(image)) return image;
        }
        return Path.Combine(folder, fileName);
    }
}

/// <summary>Runtime identifiers (as NuGet's runtimes/ folders and the SDK name them) of a platform, most specific first.</summary>
public static class RuntimeIdentifiers
{
    /// <summary>This process: e.g. linux-musl-x64 then linux-x64 on Alpine.</summary>
    public static IReadOnlyList<string> ForThisProcess()
    {
        var os = OperatingSystem.IsWindows() ? OSPlatform.Windows
            : OperatingSystem.IsMacOS() ? OSPlatform.OSX
            : OSPlatform.Linux;
        return For(os, RuntimeInformation.ProcessArchitecture, os == OSPlatform.Linux && IsMusl());
    }

    /// <summary>Any platform (tests name each one the module supports).</summary>
    public static IReadOnlyList<string> For(OSPlatform os, Architecture architecture, bool musl = false)
    {
        var arch = architecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        var list = new List<string>();
        if (os == OSPlatform.Windows)
        {
            list.Add("win-" + arch);
        }
        else if (os == OSPlatform.OSX)
        {
            list.Add("osx-" + arch);
        }
        else
        {
            if (musl) list.Add("linux-musl-" + arch);
            list.Add("linux-" + arch);
        }
        return list;
    }

    private static bool IsMusl()
    {
        if (RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase)) return true;
        try { return File.Exists("/etc/alpine-release"); } catch { return false; }
    }
}
