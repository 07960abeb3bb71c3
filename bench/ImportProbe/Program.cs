// ImportProbe MODE MODULE_DIR
//   none: does nothing (baseline: runtime start + this Main + exit)
//   load: what Import-Module JupyterKernels does with our assemblies, minus PowerShell itself:
//         1. AssemblyLoadContext.Default.LoadFromAssemblyPath(JupyterKernels.Cmdlets.dll) and JupyterKernels.dll;
//         2. the module initializer's work: DependencyResolver.Install(DependencyDirectoryFor(root)) by reflection
//            (that class uses no PowerShell types);
//         3. cmdlet discovery: the [Cmdlet] classes read from metadata (System.Reflection.Metadata), because
//            instantiating or even resolving them needs System.Management.Automation, which only PowerShell provides;
//         4. resolving the first command's (Get-KernelSpec) types that do not need PowerShell: every type of
//            JupyterKernels.dll (GetTypes), and the members of KernelSpec, KernelService, KernelProviders.
//         (After total_ms, informational: GetTypes of JupyterKernels.Cmdlets.dll, whose SMA-derived types fail.)
// Prints one JSON line with the phase times (ms, measured in-process).
using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Text.Json;

long start = Stopwatch.GetTimestamp();
var mode = args.Length > 0 ? args[0] : "none";
if (mode == "none")
{
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["mode"] = "none", ["total_ms"] = Stopwatch.GetElapsedTime(start).TotalMilliseconds }));
    return 0;
}
var dir = Path.GetFullPath(args[1]);
var result = new Dictionary<string, object> { ["mode"] = mode };
double Ms(ref long t) { long now = Stopwatch.GetTimestamp(); double ms = Stopwatch.GetElapsedTime(t, now).TotalMilliseconds; t = now; return ms; }
long t = start;

var cmdlets = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(dir, "JupyterKernels.Cmdlets.dll"));
var core = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(dir, "JupyterKernels.dll"));
result["load_ms"] = Ms(ref t);

var resolver = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.DependencyResolver", throwOnError: true)!;
var depDir = (string)resolver.GetMethod("DependencyDirectoryFor")!.Invoke(null, new object[] { dir })!;
resolver.GetMethod("Install")!.Invoke(null, new object[] { depDir });
result["resolver_ms"] = Ms(ref t);

var names = new List<string>();
using (var pe = new PEReader(File.OpenRead(Path.Combine(dir, "JupyterKernels.Cmdlets.dll"))))
{
    var md = pe.GetMetadataReader();
    foreach (var h in md.TypeDefinitions)
    {
        var td = md.GetTypeDefinition(h);
        foreach (var ah in td.GetCustomAttributes())
        {
            var a = md.GetCustomAttribute(ah);
            if (a.Constructor.Kind != HandleKind.MemberReference) continue;
            var parent = md.GetMemberReference((MemberReferenceHandle)a.Constructor).Parent;
            if (parent.Kind != HandleKind.TypeReference || md.GetString(md.GetTypeReference((TypeReferenceHandle)parent).Name) != "CmdletAttribute") continue;
            var blob = md.GetBlobReader(a.Value);
            blob.ReadUInt16(); // prolog
            var verb = blob.ReadSerializedString();
            var noun = blob.ReadSerializedString();
            names.Add($"{verb}-{noun}={md.GetString(td.Namespace)}.{md.GetString(td.Name)}");
        }
    }
}
result["discover_ms"] = Ms(ref t);
result["cmdlets"] = names.Count;

var coreTypes = core.GetTypes();
int members = 0;
foreach (var name in new[] { "JupyterKernels.KernelSpec", "JupyterKernels.Service.KernelService", "JupyterKernels.Service.IKernelService",
             "JupyterKernels.Providers.KernelSpecListing", "JupyterKernels.Providers.KernelProviders" })
{
    var type = core.GetType(name, throwOnError: true)!;
    members += type.GetMethods().Length + type.GetProperties().Length + type.GetConstructors().Length;
}
result["types_ms"] = Ms(ref t);
result["core_types"] = coreTypes.Length;
result["members_touched"] = members;
result["total_ms"] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

// Informational, outside total_ms: the Cmdlets assembly's own types. Without PowerShell the [Cmdlet] classes cannot
// load (their base type is in System.Management.Automation), so this phase pays failed probes that Import-Module
// would not pay; it is reported separately.
int cmdletTypesLoaded, cmdletTypesNeedingSma = 0;
try { cmdletTypesLoaded = cmdlets.GetTypes().Length; }
catch (ReflectionTypeLoadException e)
{
    cmdletTypesLoaded = e.Types.Count(x => x is not null);
    cmdletTypesNeedingSma = e.Types.Count(x => x is null);
}
result["cmdlets_assembly_gettypes_ms"] = Ms(ref t);
result["cmdlets_assembly_types_loaded"] = cmdletTypesLoaded;
result["cmdlets_assembly_types_needing_sma"] = cmdletTypesNeedingSma;
result["assemblies"] = AssemblyLoadContext.All.SelectMany(c => c.Assemblies).Select(a => a.GetName().Name!).Where(n => n.StartsWith("JupyterKernels") || n.StartsWith("Microsoft.Data") || n.StartsWith("SQLite")).OrderBy(n => n).ToArray();
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;
