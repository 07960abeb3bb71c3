using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;

// Usage: HelpGen [repoRoot]
var root = args.Length > 0 ? Path.GetFullPath(args[0]) : FindRepoRoot();
var moduleDir = Path.Combine(root, "out", "JupyterKernels");
var cmdletsDll = Path.Combine(moduleDir, "JupyterKernels.Cmdlets.dll");
var smaDir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "powershellstandard.library", "5.1.0-preview-06", "lib", "netstandard2.0");
var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
    .Concat(Directory.GetFiles(smaDir, "*.dll"))
    .Concat(Directory.GetFiles(moduleDir, "*.dll"))
    .Concat(Directory.GetFiles(Path.Combine(moduleDir, "dependencies"), "*.dll"));
using var mlc = new MetadataLoadContext(new PathAssemblyResolver(paths));
var asm = mlc.LoadFromAssemblyPath(cmdletsDll);
var docs = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "docs", "help.json"))).RootElement;

XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
XNamespace dev = "http://schemas.microsoft.com/maml/dev/2004/10";
XNamespace msh = "http://msh";

XElement Para(string text) => new(maml + "para", text);
XElement Desc(string text) => new(maml + "description", text.Split("\n\n").Select(Para));

var helpItems = new XElement(msh + "helpItems", new XAttribute("schema", "maml"),
    new XAttribute(XNamespace.Xmlns + "maml", maml), new XAttribute(XNamespace.Xmlns + "command", command), new XAttribute(XNamespace.Xmlns + "dev", dev));

var cmdletTypes = asm.GetTypes()
    .Select(t => (Type: t, Attr: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute")))
    .Where(x => x.Attr is not null && !x.Type.IsAbstract)
    .OrderBy(x => (string)x.Attr!.ConstructorArguments[1].Value! + x.Attr.ConstructorArguments[0].Value)
    .ToList();

var missing = new List<string>();
foreach (var (type, attr) in cmdletTypes)
{
    var verb = (string)attr!.ConstructorArguments[0].Value!;
    var noun = (string)attr.ConstructorArguments[1].Value!;
    var name = $"{verb}-{noun}";
    if (!docs.TryGetProperty(name, out var doc)) { missing.Add(name); continue; }

    var parameters = new List<(string Name, Type PropType, List<CustomAttributeData> ParamAttrs, string[] Aliases, bool Wildcards)>();
    foreach (var prop in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
    {
        var pattrs = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
        if (pattrs.Count == 0) continue;
        var aliases = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
            .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!)).ToArray();
        var wildcards = prop.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "System.Management.Automation.SupportsWildcardsAttribute");
        parameters.Add((prop.Name, prop.PropertyType, pattrs, aliases, wildcards));
    }
    static T? Named<T>(CustomAttributeData a, string n) => a.NamedArguments.Where(x => x.MemberName == n).Select(x => (T?)x.TypedValue.Value).FirstOrDefault();
    static string SetOf(CustomAttributeData a) => Named<string>(a, "ParameterSetName") ?? "__AllParameterSets";
    var supportsShouldProcess = attr.NamedArguments.Any(a => a.MemberName == "SupportsShouldProcess" && (bool)a.TypedValue.Value!);
    var sets = parameters.SelectMany(p => p.ParamAttrs.Select(SetOf)).Where(s => s != "__AllParameterSets").Distinct().ToList();
    // The default set first, as Get-Command -Syntax shows it; it may be named by the cmdlet alone (a set of the
    // parameters in all sets, e.g. Register-KernelProvider without credentials).
    if (Named<string>(attr, "DefaultParameterSetName") is { } defaultSet)
    {
        sets.Remove(defaultSet);
        sets.Insert(0, defaultSet);
    }
    if (sets.Count == 0) sets.Add("__AllParameterSets");

    string TypeName(Type t)
    {
        var u = t.IsGenericType && t.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? t.GetGenericArguments()[0] : t;
        return u.Name switch { "SwitchParameter" => "SwitchParameter", _ => u.Name };
    }
    string HelpText(List<CustomAttributeData> pa) => pa.Select(a => Named<string>(a, "HelpMessage")).FirstOrDefault(h => !string.IsNullOrEmpty(h)) ?? "";

    // A switch takes no value: in a syntax item it has no parameterValue, so Get-Help shows [-Force], not
    // [-Force <SwitchParameter>] (platyPS writes it so); the parameter list keeps it, shown as -Force [<SwitchParameter>].
    XElement? ValueElement(bool isSwitch, bool inSyntax, string typeName) => isSwitch && inSyntax ? null
        : new XElement(command + "parameterValue", new XAttribute("required", isSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), typeName);

    XElement ParamElement(string pName, Type pType, CustomAttributeData? a, List<CustomAttributeData> all, string[] aliases, bool wildcards, bool inSyntax)
    {
        var mandatory = a is not null && Named<bool>(a, "Mandatory");
        var position = a is null ? int.MinValue : Named<int?>(a, "Position") ?? int.MinValue;
        var byValue = all.Any(x => Named<bool>(x, "ValueFromPipeline"));
        var byName = all.Any(x => Named<bool>(x, "ValueFromPipelineByPropertyName"));
        var pipeline = byValue && byName ? "True (ByValue, ByPropertyName)" : byValue ? "True (ByValue)" : byName ? "True (ByPropertyName)" : "False";
        var isSwitch = TypeName(pType) == "SwitchParameter";
        return new XElement(command + "parameter",
            new XAttribute("required", mandatory ? "true" : "false"), new XAttribute("variableLength", "true"), new XAttribute("globbing", wildcards ? "true" : "false"),
            new XAttribute("pipelineInput", pipeline), new XAttribute("position", position == int.MinValue ? "named" : position.ToString()),
            new XAttribute("aliases", aliases.Length == 0 ? "none" : string.Join(", ", aliases)),
            new XElement(maml + "name", pName),
            Desc(HelpText(all)),
            ValueElement(isSwitch, inSyntax, TypeName(pType)),
            new XElement(dev + "type", new XElement(maml + "name", pType.FullName)),
            new XElement(dev + "defaultValue", isSwitch ? "False" : "None"));
    }

    var syntax = new XElement(command + "syntax");
    foreach (var set in sets)
    {
        var item = new XElement(command + "syntaxItem", new XElement(maml + "name", name));
        // In the order Get-Command -Syntax shows them: positional ones by position, then mandatory named, then the rest.
        var inSet = parameters
            .Select(p => (p, a: p.ParamAttrs.FirstOrDefault(x => SetOf(x) == set) ?? p.ParamAttrs.FirstOrDefault(x => SetOf(x) == "__AllParameterSets")))
            .Where(x => x.a is not null)
            .Select((x, index) => (x.p, x.a, index, position: Named<int?>(x.a!, "Position"), mandatory: Named<bool>(x.a!, "Mandatory")))
            .OrderBy(x => x.position is null ? 1 : 0).ThenBy(x => x.position ?? 0)
            .ThenBy(x => x.position is null && x.mandatory ? 0 : 1).ThenBy(x => x.index);
        foreach (var (p, a, _, _, _) in inSet)
            item.Add(ParamElement(p.Name, p.PropType, a, p.ParamAttrs, p.Aliases, p.Wildcards, inSyntax: true));
        if (supportsShouldProcess)
        {
            item.Add(CommonSwitch("WhatIf", "Shows what would happen if the cmdlet runs. The cmdlet is not run.", inSyntax: true));
            item.Add(CommonSwitch("Confirm", "Prompts you for confirmation before running the cmdlet.", inSyntax: true));
        }
        syntax.Add(item);
    }
    XElement CommonSwitch(string n, string d, bool inSyntax) => new(command + "parameter",
        new XAttribute("required", "false"), new XAttribute("variableLength", "true"), new XAttribute("globbing", "false"),
        new XAttribute("pipelineInput", "False"), new XAttribute("position", "named"), new XAttribute("aliases", n == "WhatIf" ? "wi" : "cf"),
        new XElement(maml + "name", n), Desc(d),
        ValueElement(isSwitch: true, inSyntax, "SwitchParameter"),
        new XElement(dev + "type", new XElement(maml + "name", "System.Management.Automation.SwitchParameter")),
        new XElement(dev + "defaultValue", "False"));

    var paramList = new XElement(command + "parameters");
    foreach (var p in parameters.OrderBy(p => p.Name))
        paramList.Add(ParamElement(p.Name, p.PropType, p.ParamAttrs.FirstOrDefault(), p.ParamAttrs, p.Aliases, p.Wildcards, inSyntax: false));
    if (supportsShouldProcess)
    {
        paramList.Add(CommonSwitch("Confirm", "Prompts you for confirmation before running the cmdlet.", inSyntax: false));
        paramList.Add(CommonSwitch("WhatIf", "Shows what would happen if the cmdlet runs. The cmdlet is not run.", inSyntax: false));
    }

    var outputTypes = type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
        .SelectMany(a => a.ConstructorArguments.SelectMany(c => c.Value is IEnumerable<CustomAttributeTypedArgument> arr ? arr.Select(v => v.Value) : new[] { c.Value }))
        .Select(v => v is Type t ? t.FullName : v?.ToString()).Where(v => v is not null).ToList();

    var inputTypes = parameters.Where(p => p.ParamAttrs.Any(a => Named<bool>(a, "ValueFromPipeline") || Named<bool>(a, "ValueFromPipelineByPropertyName")))
        .Select(p => p.PropType.IsArray ? p.PropType.GetElementType()!.FullName : p.PropType.FullName).Distinct().ToList();

    var examples = new XElement(command + "examples");
    var i = 1;
    foreach (var ex in doc.GetProperty("examples").EnumerateArray())
    {
        examples.Add(new XElement(command + "example",
            new XElement(maml + "title", $"-------------------------- Example {i++}: {ex.GetProperty("title").GetString()} --------------------------"),
            new XElement(dev + "code", ex.GetProperty("code").GetString()),
            new XElement(dev + "remarks", Para(ex.GetProperty("remarks").GetString() ?? ""))));
    }

    helpItems.Add(new XElement(command + "command",
        new XAttribute(XNamespace.Xmlns + "maml", maml), new XAttribute(XNamespace.Xmlns + "command", command), new XAttribute(XNamespace.Xmlns + "dev", dev),
        new XElement(command + "details",
            new XElement(command + "name", name),
            new XElement(command + "verb", verb),
            new XElement(command + "noun", noun),
            new XElement(maml + "description", Para(doc.GetProperty("synopsis").GetString()!))),
        Desc(doc.GetProperty("description").GetString()!),
        syntax,
        paramList,
        new XElement(command + "inputTypes", inputTypes.Select(t => new XElement(command + "inputType", new XElement(dev + "type", new XElement(maml + "name", t))))),
        new XElement(command + "returnValues", outputTypes.Select(t => new XElement(command + "returnValue", new XElement(dev + "type", new XElement(maml + "name", t))))),
        new XElement(maml + "alertSet", new XElement(maml + "alert", Para(doc.TryGetProperty("notes", out var n) ? n.GetString() ?? "" : ""))),
        examples,
        new XElement(command + "relatedLinks", (doc.TryGetProperty("related", out var rel) ? rel.EnumerateArray().Select(r => r.GetString()!) : Enumerable.Empty<string>())
            .Select(r => new XElement(maml + "navigationLink", new XElement(maml + "linkText", r), new XElement(maml + "uri"))))));
}

if (missing.Count > 0)
{
    Console.Error.WriteLine("docs/help.json has no entry for: " + string.Join(", ", missing));
    return 1;
}
var target = Path.Combine(root, "module", "en-US", "JupyterKernels.Cmdlets.dll-Help.xml");
Directory.CreateDirectory(Path.GetDirectoryName(target)!);
new XDocument(new XDeclaration("1.0", "utf-8", null), helpItems).Save(target);
Console.WriteLine($"Wrote {target} ({cmdletTypes.Count} cmdlets)");
return 0;

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "JupyterKernels.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}
