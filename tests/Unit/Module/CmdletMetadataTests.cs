using System.Reflection;

namespace JupyterKernels.Tests.Module;

/// <summary>Cmdlet design rules checked on the BUILT module (out/JupyterKernels/) through metadata only.</summary>
public sealed class CmdletMetadataTests : IClassFixture<ModuleLayout>
{
    /// <summary>Framework types PowerShell itself formats (FileSystem views), allowed as output as in Save-Module.</summary>
    internal static readonly HashSet<string> FormattedByPowerShell = new(StringComparer.Ordinal) { "System.IO.FileInfo" };

    // Approved verbs (PowerShell-Docs approved-verbs-for-windows-powershell-commands.md), all groups.
    public static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        // Common
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split",
        "Step", "Switch", "Undo", "Unlock", "Watch",
        // Communications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // Data
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export",
        "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        // Diagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // Lifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register",
        "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // Security
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        // Other
        "Use",
    };

    public static readonly string[] RequiredCommands =
    {
        "Get-KernelSpec", "Start-Kernel", "Get-Kernel", "Invoke-KernelCode", "Stop-Kernel", "Restart-Kernel", "Stop-KernelExecution",
        "New-KernelSubShell", "Get-KernelSubShell", "Remove-KernelSubShell", "Sync-KernelSession", "Get-KernelSession",
        "New-KernelSession", "Remove-KernelSession", "Get-KernelProvider", "Register-KernelProvider", "Unregister-KernelProvider",
        "Invoke-Notebook", "Get-NotebookParameter",
    };

    private static readonly string[] DestructiveVerbs = { "Stop", "Remove", "Unregister", "Restart", "Sync", "Start" };

    private readonly ModuleLayout _layout;

    public CmdletMetadataTests(ModuleLayout layout) => _layout = layout;

    internal static List<CmdletInfo> GetCmdlets(Assembly assembly) =>
        assembly.GetTypes()
            .Select(t => (t, a: t.GetCustomAttributesData().FirstOrDefault(d => d.AttributeType.FullName == "System.Management.Automation.CmdletAttribute")))
            .Where(x => x.a is not null)
            .Select(x => new CmdletInfo(x.t, (string)x.a!.ConstructorArguments[0].Value!, (string)x.a.ConstructorArguments[1].Value!, x.a))
            .OrderBy(c => c.Name)
            .ToList();

    private List<CmdletInfo> Cmdlets => GetCmdlets(_layout.Cmdlets);

    [Fact]
    public void AllRequiredCommandsExist()
    {
        var names = Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Empty(RequiredCommands.Where(r => !names.Contains(r)));
    }

    [Fact]
    public void EveryPSCmdletSubclassHasCmdletAttribute()
    {
        var cmdletTypes = Cmdlets.Select(c => c.Type).ToHashSet();
        var offenders = _layout.Cmdlets.GetTypes()
            .Where(t => !t.IsAbstract && IsSubclassOf(t, "System.Management.Automation.PSCmdlet") && !cmdletTypes.Contains(t))
            .Select(t => t.FullName).ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void VerbsAreApprovedAndNounsSingular()
    {
        var bad = new List<string>();
        foreach (var c in Cmdlets)
        {
            if (!ApprovedVerbs.Contains(c.Verb)) bad.Add($"{c.Name}: verb not approved");
            if (c.Noun.EndsWith("s", StringComparison.Ordinal) && !c.Noun.EndsWith("ss", StringComparison.Ordinal)) bad.Add($"{c.Name}: plural noun");
            // The module's nouns: Kernel* (kernels, specs, sessions, providers) and Notebook* (runs of notebooks).
            if (!c.Noun.StartsWith("Kernel", StringComparison.Ordinal) && !c.Noun.StartsWith("Notebook", StringComparison.Ordinal))
                bad.Add($"{c.Name}: noun should start with Kernel or Notebook");
        }
        Assert.Empty(bad);
    }

    [Fact]
    public void ClassNamesFollowVerbNounCommand()
    {
        var bad = Cmdlets.Where(c => c.Type.Name != c.Verb + c.Noun + "Command" || c.Type.Namespace != "JupyterKernels.Cmdlets" || !c.Type.IsSealed)
            .Select(c => $"{c.Name} is {c.Type.FullName}").ToList();
        Assert.Empty(bad);
    }

    [Fact]
    public void EveryCmdletIsDisposable()
    {
        Assert.Empty(Cmdlets.Where(c => !c.Type.GetInterfaces().Any(i => i.FullName == "System.IDisposable")).Select(c => c.Name));
    }

    [Fact]
    public void EveryCmdletHasOutputTypeThatExists()
    {
        var bad = new List<string>();
        foreach (var c in Cmdlets)
        {
            var outputs = OutputTypes(c.Type).ToList();
            if (outputs.Count == 0) { bad.Add($"{c.Name}: no [OutputType]"); continue; }
            foreach (var t in outputs)
            {
                if (t.FullName == "System.Void" || FormattedByPowerShell.Contains(t.FullName!)) continue;
                if (t.Assembly != _layout.Core && t.Assembly != _layout.Cmdlets) bad.Add($"{c.Name}: output type {t.FullName} is not one of ours");
                if (!t.IsPublic) bad.Add($"{c.Name}: output type {t.FullName} is not public");
            }
        }
        Assert.Empty(bad);
    }

    [Fact]
    public void ParameterSetsAreValid()
    {
        var bad = new List<string>();
        foreach (var c in Cmdlets)
        {
            var parameters = c.Parameters().ToList();
            var declaredSets = parameters.SelectMany(p => p.ParameterAttributes.Select(ParameterInfoMeta.SetOf)).Where(s => s != ParameterInfoMeta.AllSets).Distinct().ToList();
            var defaultSet = c.Named<string>("DefaultParameterSetName");
            // A default set that no parameter declares is legal (it holds the all-sets parameters only), e.g. NoToken.
            if (declaredSets.Count > 1 && defaultSet is null)
                bad.Add($"{c.Name}: several parameter sets but no DefaultParameterSetName");
            var sets = declaredSets.Count == 0 ? new List<string> { ParameterInfoMeta.AllSets } : declaredSets.ToList();
            if (defaultSet is not null && !sets.Contains(defaultSet)) sets.Add(defaultSet);
            foreach (var set in sets)
            {
                var inSet = parameters
                    .Select(p => (p, a: p.ParameterAttributes.FirstOrDefault(a => ParameterInfoMeta.SetOf(a) == set)
                                     ?? p.ParameterAttributes.FirstOrDefault(a => ParameterInfoMeta.SetOf(a) == ParameterInfoMeta.AllSets)))
                    .Where(x => x.a is not null).ToList();
                var positions = inSet.Select(x => (x.p.Name, Pos: CmdletInfo.NamedArg<int?>(x.a!, "Position"))).Where(x => x.Pos is not null && x.Pos >= 0).ToList();
                foreach (var dup in positions.GroupBy(x => x.Pos).Where(g => g.Count() > 1))
                    bad.Add($"{c.Name} [{set}]: position {dup.Key} used by {string.Join(", ", dup.Select(d => d.Name))}");
                var byValue = inSet.Where(x => CmdletInfo.NamedArg<bool>(x.a!, "ValueFromPipeline")).ToList();
                if (byValue.Count > 1)
                    bad.Add($"{c.Name} [{set}]: {byValue.Count} ValueFromPipeline parameters ({string.Join(", ", byValue.Select(b => b.p.Name))})");
            }
        }
        Assert.Empty(bad);
    }

    [Fact]
    public void StateChangingVerbsSupportShouldProcess()
    {
        var bad = Cmdlets.Where(c => DestructiveVerbs.Contains(c.Verb) && !c.Named<bool>("SupportsShouldProcess")).Select(c => c.Name).ToList();
        Assert.Empty(bad);
    }

    [Fact]
    public void GettersDoNotSupportShouldProcess()
    {
        Assert.Empty(Cmdlets.Where(c => c.Verb == "Get" && c.Named<bool>("SupportsShouldProcess")).Select(c => c.Name));
    }

    [Fact]
    public void EveryParameterHasHelpMessage()
    {
        var bad = Cmdlets.SelectMany(c => c.Parameters()
            .Where(p => !p.ParameterAttributes.Any(a => !string.IsNullOrWhiteSpace(CmdletInfo.NamedArg<string>(a, "HelpMessage"))))
            .Select(p => $"{c.Name} -{p.Name}")).ToList();
        Assert.Empty(bad);
    }

    // The parameter is named KernelId with alias Id: PowerShell binds a property by parameter name before aliases, so a
    // session or subshell piped in (both have their own Id next to KernelId) binds its kernel.
    [Theory]
    [InlineData("Stop-Kernel", "KernelId", "InputObject")]
    [InlineData("Restart-Kernel", "KernelId", "InputObject")]
    [InlineData("Stop-KernelExecution", "KernelId", "InputObject")]
    [InlineData("Invoke-KernelCode", "KernelId", "InputObject")]
    [InlineData("New-KernelSubShell", "KernelId", "InputObject")]
    [InlineData("Get-KernelSubShell", "KernelId", "InputObject")]
    public void KernelCmdletsBindKernelIdByPropertyNameAndKernelByValue(string command, string idParameter, string inputParameter)
    {
        var c = Cmdlets.Single(x => x.Name == command);
        var id = c.Parameters().Single(p => p.Name == idParameter);
        Assert.Contains(id.ParameterAttributes, a => CmdletInfo.NamedArg<bool>(a, "ValueFromPipelineByPropertyName"));
        var aliases = id.Attributes("System.Management.Automation.AliasAttribute")
            .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!));
        Assert.Contains("Id", aliases);
        var input = c.Parameters().Single(p => p.Name == inputParameter);
        Assert.Contains(input.ParameterAttributes, a => CmdletInfo.NamedArg<bool>(a, "ValueFromPipeline"));
        var element = input.Property.PropertyType.IsArray ? input.Property.PropertyType.GetElementType()! : input.Property.PropertyType;
        Assert.Equal("JupyterKernels.Kernel", element.FullName);
    }

    [Fact]
    public void StartKernelBindsSpecNameByPropertyName()
    {
        var c = Cmdlets.Single(x => x.Name == "Start-Kernel");
        var name = c.Parameters().Single(p => p.Name == "Name");
        Assert.Contains(name.ParameterAttributes, a => CmdletInfo.NamedArg<bool>(a, "ValueFromPipelineByPropertyName"));
        // KernelSpec has a Name property, so Get-KernelSpec | Start-Kernel binds.
        Assert.NotNull(_layout.Core.GetType("JupyterKernels.KernelSpec")!.GetProperty("Name"));
    }

    [Theory]
    [InlineData("Start-Kernel", "Name", "KernelSpecNameCompleter")]
    [InlineData("New-KernelSession", "KernelName", "KernelSpecNameCompleter")]
    [InlineData("Stop-Kernel", "KernelId", "KernelIdCompleter")]
    [InlineData("Invoke-KernelCode", "KernelId", "KernelIdCompleter")]
    [InlineData("Get-KernelSession", "Name", "KernelSessionNameCompleter")]
    [InlineData("Remove-KernelSession", "Name", "KernelSessionNameCompleter")]
    [InlineData("Unregister-KernelProvider", "Name", "KernelProviderNameCompleter")]
    [InlineData("Sync-KernelSession", "Provider", "KernelProviderNameCompleter")]
    public void ParametersHaveCompleters(string command, string parameter, string completer)
    {
        var p = Cmdlets.Single(x => x.Name == command).Parameters().Single(x => x.Name == parameter);
        var attr = p.Attributes("System.Management.Automation.ArgumentCompleterAttribute").Single();
        var type = (Type)attr.ConstructorArguments[0].Value!;
        Assert.Equal(completer, type.Name);
        Assert.Contains(type.GetInterfaces(), i => i.FullName == "System.Management.Automation.IArgumentCompleter");
    }

    [Fact]
    public void SecretsAreNeverPlainStringParameters()
    {
        var bad = Cmdlets.SelectMany(c => c.Parameters()
            .Where(p => (p.Name.Contains("Token", StringComparison.OrdinalIgnoreCase) && p.Name != "TokenEnvironmentVariable"
                        || p.Name.Contains("Password", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Secret", StringComparison.OrdinalIgnoreCase))
                        && p.Property.PropertyType.FullName == "System.String")
            .Select(p => $"{c.Name} -{p.Name}")).ToList();
        Assert.Empty(bad);
        var register = Cmdlets.Single(x => x.Name == "Register-KernelProvider").Parameters().ToDictionary(p => p.Name);
        Assert.Equal("System.Security.SecureString", register["Token"].Property.PropertyType.FullName);
        Assert.Equal("System.Management.Automation.PSCredential", register["Credential"].Property.PropertyType.FullName);
    }

    [Fact]
    public void InvokeKernelCodeHasTheDocumentedParameters()
    {
        var names = Cmdlets.Single(x => x.Name == "Invoke-KernelCode").Parameters().Select(p => p.Name).ToHashSet();
        foreach (var expected in new[] { "Code", "Path", "KernelId", "SubShellId", "InputObject", "SubShell", "Timeout", "Raw", "InputResponse", "NoStdin", "ContinueOnError", "Silent", "PassThru" })
            Assert.Contains(expected, names);
    }

    [Fact]
    public void ModuleInitializerImplementsImportAndCleanup()
    {
        var init = _layout.Cmdlets.GetTypes().Where(t => t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer")).ToList();
        Assert.Single(init);
        Assert.Contains(init[0].GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyCleanup");
    }

    [Fact]
    public void DependencyLoadContextHasNoPowerShellTypesInItsSignatures()
    {
        foreach (var name in new[] { "JupyterKernels.Cmdlets.Loading.DependencyLoadContext", "JupyterKernels.Cmdlets.Loading.DependencyResolver" })
        {
            var type = _layout.Cmdlets.GetType(name, throwOnError: true)!;
            var types = new List<Type> { type.BaseType! };
            foreach (var m in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                switch (m)
                {
                    case MethodBase mb:
                        types.AddRange(mb.GetParameters().Select(p => p.ParameterType));
                        if (mb is MethodInfo mi) types.Add(mi.ReturnType);
                        break;
                    case FieldInfo f: types.Add(f.FieldType); break;
                    case PropertyInfo p: types.Add(p.PropertyType); break;
                }
            }
            Assert.DoesNotContain(types, t => t.Assembly.GetName().Name == "System.Management.Automation");
        }
    }

    internal static IEnumerable<Type> OutputTypes(Type type) =>
        type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(c => c.Value is IEnumerable<CustomAttributeTypedArgument> arr ? arr.Select(v => v.Value) : new[] { c.Value })
            .OfType<Type>();

    private static bool IsSubclassOf(Type t, string baseFullName)
    {
        for (var b = t.BaseType; b is not null; b = b.BaseType)
            if (b.FullName == baseFullName) return true;
        return false;
    }
}
