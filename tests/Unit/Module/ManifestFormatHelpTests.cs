using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace JupyterKernels.Tests.Module;

/// <summary>The manifest, the format file, the MAML help and the folder layout of out/JupyterKernels/.</summary>
public sealed class ManifestFormatHelpTests : IClassFixture<ModuleLayout>
{
    private readonly ModuleLayout _layout;

    public ManifestFormatHelpTests(ModuleLayout layout) => _layout = layout;

    private List<CmdletInfo> Cmdlets => CmdletMetadataTests.GetCmdlets(_layout.Cmdlets);

    // ---------------------------------------------------------------- manifest

    /// <summary>Minimal reader for the manifest's hashtable literal: Key = 'value' and Key = @( 'a', 'b' ) entries.</summary>
    internal static Dictionary<string, List<string>> ReadManifest(string path)
    {
        var text = Regex.Replace(File.ReadAllText(path), @"(?m)#.*$", "");
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in Regex.Matches(text, @"(?<key>\b[A-Za-z]+)\s*=\s*(?:@\((?<arr>[^)]*)\)|'(?<str>[^']*)'|""(?<dstr>[^""]*)""|(?<bare>\$\w+|\*))"))
        {
            var key = m.Groups["key"].Value;
            if (result.ContainsKey(key)) continue;
            List<string> values;
            if (m.Groups["arr"].Success)
                values = Regex.Matches(m.Groups["arr"].Value, @"'([^']*)'|""([^""]*)""|(\*)").Select(v => v.Groups[1].Success ? v.Groups[1].Value : v.Groups[2].Success ? v.Groups[2].Value : "*").ToList();
            else if (m.Groups["str"].Success) values = new() { m.Groups["str"].Value };
            else if (m.Groups["dstr"].Success) values = new() { m.Groups["dstr"].Value };
            else values = new() { m.Groups["bare"].Value };
            result[key] = values;
        }
        return result;
    }

    [Fact]
    public void ManifestExportsExactlyTheCmdlets()
    {
        var manifest = ReadManifest(_layout.ManifestPath);
        var exported = manifest["CmdletsToExport"];
        Assert.DoesNotContain(exported, e => e.Contains('*'));
        Assert.Equal(Cmdlets.Select(c => c.Name).OrderBy(n => n), exported.OrderBy(n => n));
    }

    [Fact]
    public void ManifestHasNoWildcardsAndTheRequiredFields()
    {
        var manifest = ReadManifest(_layout.ManifestPath);
        foreach (var key in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" })
        {
            Assert.True(manifest.ContainsKey(key), key + " missing");
            Assert.DoesNotContain(manifest[key], v => v.Contains('*') || v == "$null");
        }
        Assert.Empty(manifest["FunctionsToExport"]);
        Assert.Empty(manifest["VariablesToExport"]);
        Assert.Equal("JupyterKernels.Cmdlets.dll", manifest["RootModule"].Single());
        Assert.True(File.Exists(Path.Combine(_layout.ModuleDir, manifest["RootModule"].Single())));
        Assert.Equal("7.4", manifest["PowerShellVersion"].Single());
        Assert.Equal(new[] { "Core" }, manifest["CompatiblePSEditions"]);
        Assert.True(Guid.TryParse(manifest["GUID"].Single(), out _));
        Assert.False(string.IsNullOrWhiteSpace(manifest["Description"].Single()));
        foreach (var format in manifest["FormatsToProcess"])
            Assert.True(File.Exists(Path.Combine(_layout.ModuleDir, format)), format);
        Assert.Contains("Jupyter", manifest["Tags"]);
        // A URL in the manifest is shown by Find-PSResource and the gallery as the project's: only real ones.
        var text = File.ReadAllText(_layout.ManifestPath);
        Assert.DoesNotMatch(@"(?i)example\.(invalid|com|org)|\.invalid\b|localhost", text);
    }

    // ---------------------------------------------------------------- format

    private static readonly string[] RequiredViewTypes =
    {
        "KernelSpec", "Kernel", "KernelStreamOutput", "KernelDisplayData", "KernelExecuteResult", "KernelClearOutput", "KernelError",
        "KernelRawMessage", "KernelExecuteReply", "KernelInputRequest", "KernelSubShell", "KernelSession", "SyncResult", "KernelProviderInfo",
        "NotebookRunResult", "NotebookParameter",
    };

    [Fact]
    public void FormatViewsNameExistingTypes()
    {
        var doc = XDocument.Load(_layout.FormatPath);
        var typeNames = doc.Descendants("TypeName").Select(e => e.Value.Trim()).ToList();
        Assert.NotEmpty(typeNames);
        var missing = typeNames.Where(n => _layout.Core.GetType(n) is null && _layout.Cmdlets.GetType(n) is null).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void EveryOutputTypeHasAView()
    {
        var doc = XDocument.Load(_layout.FormatPath);
        var viewed = doc.Descendants("TypeName").Select(e => e.Value.Trim()).ToHashSet();
        var required = RequiredViewTypes.Select(t => "JupyterKernels." + t)
            .Concat(Cmdlets.SelectMany(c => CmdletMetadataTests.OutputTypes(c.Type)).Where(t => t.FullName != "System.Void" && !CmdletMetadataTests.FormattedByPowerShell.Contains(t.FullName!)).Select(t => t.FullName!))
            .Distinct();
        Assert.Empty(required.Where(r => !viewed.Contains(r)));
    }

    [Fact]
    public void ViewsNeverShowSecrets()
    {
        var doc = XDocument.Load(_layout.FormatPath);
        var secret = new Regex(@"(?i)^(key|token|password|secret)$");
        var bad = doc.Descendants().Where(e => e.Name.LocalName is "PropertyName" or "Label" && secret.IsMatch(e.Value.Trim())).Select(e => e.Value).ToList();
        bad.AddRange(doc.Descendants("ScriptBlock").Where(e => Regex.IsMatch(e.Value, @"(?i)\$_\.(Key|Token|Password|Secret)\b")).Select(e => e.Value));
        Assert.Empty(bad);
        // And the pipeline objects do not carry them at all.
        foreach (var t in RequiredViewTypes)
        {
            var type = _layout.Core.GetType("JupyterKernels." + t)!;
            Assert.DoesNotContain(type.GetProperties(), p => Regex.IsMatch(p.Name, "(?i)^(key|token|secret|signaturekey)$"));
        }
    }

    [Fact]
    public void StreamOutputViewShowsTheTextItself()
    {
        var doc = XDocument.Load(_layout.FormatPath);
        var view = doc.Descendants("View").Single(v => v.Element("Name")?.Value == "KernelStreamOutput");
        Assert.NotNull(view.Element("CustomControl"));
        // The text itself comes from OutputView.Render (its Pester tests read what the console shows).
        Assert.Equal("[JupyterKernels.Cmdlets.OutputView]::Render($_, $Host)", view.Descendants("ScriptBlock").Single().Value.Trim());
    }

    // ---------------------------------------------------------------- help

    [Fact]
    public void HelpCoversEveryCmdletAndParameter()
    {
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
        var doc = XDocument.Load(_layout.HelpPath);
        var commands = doc.Descendants(command + "command").ToDictionary(c => c.Element(command + "details")!.Element(command + "name")!.Value);
        var bad = new List<string>();
        foreach (var c in Cmdlets)
        {
            if (!commands.TryGetValue(c.Name, out var help)) { bad.Add($"{c.Name}: no help"); continue; }
            var synopsis = help.Element(command + "details")!.Element(maml + "description")?.Value;
            if (string.IsNullOrWhiteSpace(synopsis)) bad.Add($"{c.Name}: no synopsis");
            if (string.IsNullOrWhiteSpace(help.Element(maml + "description")?.Value)) bad.Add($"{c.Name}: no description");
            if (!help.Descendants(command + "example").Any(e => !string.IsNullOrWhiteSpace(e.Element(XName.Get("code", "http://schemas.microsoft.com/maml/dev/2004/10"))?.Value)))
                bad.Add($"{c.Name}: no example");
            var documented = help.Element(command + "parameters")!.Elements(command + "parameter").Select(p => p.Element(maml + "name")!.Value).ToHashSet();
            foreach (var p in c.Parameters())
                if (!documented.Contains(p.Name)) bad.Add($"{c.Name}: -{p.Name} undocumented");
        }
        Assert.Empty(bad);
    }

    // ---------------------------------------------------------------- layout

    [Theory]
    [InlineData("linux-x64", "libe_sqlite3.so")]
    [InlineData("osx-x64", "libe_sqlite3.dylib")]
    [InlineData("osx-arm64", "libe_sqlite3.dylib")]
    [InlineData("win-x64", "e_sqlite3.dll")]
    public void NativeSqliteIsShippedForRid(string rid, string file)
    {
        Assert.True(File.Exists(Path.Combine(_layout.DependencyDir, "runtimes", rid, "native", file)), $"{rid}/{file} missing");
    }

    [Fact]
    public void ThirdPartyAssembliesLiveInDependenciesOnly()
    {
        foreach (var dll in new[] { "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll", "SQLitePCLRaw.batteries_v2.dll", "SQLitePCLRaw.provider.e_sqlite3.dll" })
        {
            Assert.True(File.Exists(Path.Combine(_layout.DependencyDir, dll)), dll + " missing from dependencies/");
            Assert.False(File.Exists(Path.Combine(_layout.ModuleDir, dll)), dll + " must not be at the module root");
        }
        var rootDlls = Directory.GetFiles(_layout.ModuleDir, "*.dll").Select(Path.GetFileName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "JupyterKernels.Cmdlets.dll", "JupyterKernels.dll" }, rootDlls);
        Assert.False(File.Exists(Path.Combine(_layout.ModuleDir, "System.Management.Automation.dll")));
        Assert.Empty(Directory.GetFiles(_layout.ModuleDir, "*sqlite3*", SearchOption.TopDirectoryOnly));
    }
}
