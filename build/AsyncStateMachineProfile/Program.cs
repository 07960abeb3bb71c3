// Writes a crossgen2 profile (.mibc) naming the framework's state-machine-box methods of every async method of an
// assembly (see the .csproj for why). Usage: AsyncStateMachineProfile <input.dll> <output.mibc>
//
// The .mibc format is crossgen2's (ILCompiler.ReadyToRun/IBC/MIbcProfileParser.cs in dotnet/runtime): a .NET assembly
// whose global method AssemblyDictionary holds "ldstr <group name>; ldtoken <group method>; pop", and each group method
// "ldtoken <method>; pop" per method. The group name lists the assemblies the entries need in the version bubble: only
// the input. A member that does not resolve (a framework without it) is skipped by crossgen2, so naming a few extra
// ones is harmless.
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using AsyncStateMachineProfile;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: AsyncStateMachineProfile <input.dll> <output.mibc>");
    return 2;
}
using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var input = pe.GetMetadataReader();
var writer = new ProfileWriter(input, Path.GetFileNameWithoutExtension(args[1]));
int machines = 0, methods = 0;
foreach (var handle in input.TypeDefinitions)
{
    var type = input.GetTypeDefinition(handle);
    if (!StateMachines.IsAsyncStateMachine(input, type) || StateMachines.IsGeneric(input, type)) continue;
    if (StateMachines.BoxOf(input, type) is not { } box) continue;
    methods += writer.AddBox(box, handle, type);
    machines++;
}
File.WriteAllBytes(args[1], writer.Serialize());
Console.WriteLine($"AsyncStateMachineProfile: {machines} async state machines, {methods} box methods -> {args[1]}");
return 0;
