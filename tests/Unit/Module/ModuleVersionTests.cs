using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace JupyterKernels.Tests.Module;

/// <summary>
/// One version in one place: the built manifest's ModuleVersion and Prerelease are Directory.Build.props'
/// VersionPrefix and VersionSuffix, its ReleaseNotes are CHANGELOG.md's section of that version, and the module
/// folder (hence the package) carries the repository's LICENSE.
/// </summary>
public sealed class ModuleVersionTests : IClassFixture<ModuleLayout>
{
    private readonly ModuleLayout _layout;

    public ModuleVersionTests(ModuleLayout layout) => _layout = layout;

    private string Props(string name) =>
        XDocument.Load(Path.Combine(_layout.RepoRoot, "Directory.Build.props")).Descendants(name).Single().Value.Trim();

    /// <summary>The value of a single-quoted psd1 string field ('' is an escaped quote).</summary>
    private static string Field(string psd1, string name)
    {
        var m = Regex.Match(psd1, @"(?m)^\s*" + name + @"\s*=\s*'((?:[^']|'')*)'");
        Assert.True(m.Success, name + " missing");
        return m.Groups[1].Value.Replace("''", "'");
    }

    [Fact]
    public void ManifestVersionIsTheBuildVersion()
    {
        var manifest = File.ReadAllText(_layout.ManifestPath);
        Assert.Equal(Props("VersionPrefix"), Field(manifest, "ModuleVersion"));
        Assert.Equal(Props("VersionSuffix"), Field(manifest, "Prerelease"));
        Assert.Matches(@"^\d+\.\d+\.\d+$", Field(manifest, "ModuleVersion"));
    }

    [Fact]
    public void SourceManifestHoldsNoVersionOfItsOwn()
    {
        var source = File.ReadAllText(Path.Combine(_layout.RepoRoot, "module", "JupyterKernels.psd1"));
        Assert.Equal("0.0.0", Field(source, "ModuleVersion"));
        Assert.Equal("", Field(source, "ReleaseNotes"));
        Assert.Equal("", Field(source, "Prerelease"));
    }

    [Fact]
    public void ReleaseNotesAreTheChangelogSectionOfThisVersion()
    {
        var version = Props("VersionPrefix") + (Props("VersionSuffix") is { Length: > 0 } s ? "-" + s : "");
        var changelog = File.ReadAllText(Path.Combine(_layout.RepoRoot, "CHANGELOG.md")).Replace("\r\n", "\n");
        var section = Regex.Match(changelog, @"(?ms)^##\s+\[" + Regex.Escape(version) + @"\][^\n]*\n(.*?)(?=^## |\z)");
        Assert.True(section.Success, "CHANGELOG.md has no section for " + version);
        var notes = Field(File.ReadAllText(_layout.ManifestPath), "ReleaseNotes");
        Assert.Equal(section.Groups[1].Value.Trim(), notes.Replace("\r\n", "\n"));
        Assert.Contains("Invoke-KernelCode", notes);
    }

    [Fact]
    public void ModuleFolderShipsTheLicense()
    {
        var license = Path.Combine(_layout.ModuleDir, "LICENSE");
        Assert.True(File.Exists(license), license);
        var text = File.ReadAllText(license);
        Assert.Equal(File.ReadAllText(Path.Combine(_layout.RepoRoot, "LICENSE")), text);
        Assert.StartsWith("MIT License", text);
        Assert.Contains("Copyright (c) 2026 JupyterKernels contributors", text);
    }
}
