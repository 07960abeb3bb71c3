using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace AsyncStateMachineProfile;

/// <summary>
/// The .mibc assembly: references to the input's state machines and to CoreLib's boxes, one group method listing the
/// box members (ldtoken + pop each), and AssemblyDictionary naming that group.
/// </summary>
internal sealed class ProfileWriter
{
    private readonly MetadataReader _input;
    private readonly string _inputName;
    private readonly MetadataBuilder _mb = new();
    private readonly InstructionEncoder _group = new(new BlobBuilder());
    private readonly AssemblyReferenceHandle _inputAssembly;
    private readonly AssemblyReferenceHandle _coreLib;
    private readonly TypeReferenceHandle _thread;
    private readonly TypeReferenceHandle _voidTaskResult;
    private readonly Dictionary<EntityHandle, EntityHandle> _types = new();
    private readonly Dictionary<string, AssemblyReferenceHandle> _assemblies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TypeReferenceHandle> _boxes = new(StringComparer.Ordinal);

    public ProfileWriter(MetadataReader input, string profileName)
    {
        _input = input;
        var definition = input.GetAssemblyDefinition();
        _inputName = input.GetString(definition.Name);
        _mb.AddModule(0, _mb.GetOrAddString(profileName + ".dll"), _mb.GetOrAddGuid(Guid.NewGuid()), default, default);
        _mb.AddAssembly(_mb.GetOrAddString(profileName), new Version(1, 0, 0, 0), default, default, 0, AssemblyHashAlgorithm.None);
        _inputAssembly = _mb.AddAssemblyReference(_mb.GetOrAddString(_inputName), definition.Version, default, default, 0, default);
        _coreLib = Assembly("System.Private.CoreLib", new Version(4, 0, 0, 0));
        _thread = TypeRef(_coreLib, "System.Threading", "Thread");
        _voidTaskResult = TypeRef(_coreLib, "System.Threading.Tasks", "VoidTaskResult");
    }

    /// <summary>Names the box members of one state machine; returns how many.</summary>
    public int AddBox(StateMachineBox box, TypeDefinitionHandle machineHandle, TypeDefinition machine)
    {
        var spec = new BlobBuilder();
        var arguments = new BlobEncoder(spec).TypeSpecificationSignature().GenericInstantiation(BoxType(box), 2, isValueType: false);
        if (box.Result is { } result) Encode(arguments.AddArgument(), result);
        else arguments.AddArgument().Type(_voidTaskResult, isValueType: true);
        arguments.AddArgument().Type(Translate(machineHandle), StateMachines.IsValueType(_input, machine));
        var boxSpec = _mb.AddTypeSpecification(_mb.GetOrAddBlob(spec));
        foreach (var method in box.Methods)
        {
            _group.OpCode(ILOpCode.Ldtoken);
            _group.Token(Member(boxSpec, method));
            _group.OpCode(ILOpCode.Pop);
        }
        return box.Methods.Length;
    }

    public byte[] Serialize()
    {
        _group.OpCode(ILOpCode.Ret);
        var il = new BlobBuilder();
        var bodies = new MethodBodyStreamEncoder(il);
        var voidSig = new BlobBuilder();
        new BlobEncoder(voidSig).MethodSignature().Parameters(0, r => r.Void(), _ => { });
        var signature = _mb.GetOrAddBlob(voidSig);

        var dictionary = new InstructionEncoder(new BlobBuilder());
        dictionary.LoadString(_mb.GetOrAddUserString(_inputName)); // the group's entries need only the input in the bubble
        dictionary.OpCode(ILOpCode.Ldtoken);
        dictionary.Token(MetadataTokens.MethodDefinitionHandle(2)); // the group, defined second below
        dictionary.OpCode(ILOpCode.Pop);
        dictionary.OpCode(ILOpCode.Ret);
        var first = _mb.AddMethodDefinition(MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL,
            _mb.GetOrAddString("AssemblyDictionary"), signature, bodies.AddMethodBody(dictionary, maxStack: 8), default);
        _mb.AddMethodDefinition(MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL,
            _mb.GetOrAddString("AsyncStateMachineBoxes"), signature, bodies.AddMethodBody(_group, maxStack: 8), default);
        _mb.AddTypeDefinition(default, default, _mb.GetOrAddString("<Module>"), default, MetadataTokens.FieldDefinitionHandle(1), first);

        var image = new ManagedPEBuilder(new PEHeaderBuilder(imageCharacteristics: Characteristics.Dll | Characteristics.ExecutableImage),
            new MetadataRootBuilder(_mb), il);
        var blob = new BlobBuilder();
        image.Serialize(blob);
        return blob.ToArray();
    }

    private TypeReferenceHandle BoxType(StateMachineBox box)
    {
        if (!_boxes.TryGetValue(box.Builder, out var handle))
            _boxes[box.Builder] = handle = TypeRef(TypeRef(_coreLib, "System.Runtime.CompilerServices", box.Builder), "", box.Box);
        return handle;
    }

    /// <summary>"[static ]Name(param, ...)": instance void by default; parameters are Thread, object or nothing.</summary>
    private MemberReferenceHandle Member(EntityHandle parent, string description)
    {
        var isStatic = description.StartsWith("static ", StringComparison.Ordinal);
        if (isStatic) description = description["static ".Length..];
        var open = description.IndexOf('(');
        var name = description[..open];
        var parameters = description[(open + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sig = new BlobBuilder();
        new BlobEncoder(sig).MethodSignature(isInstanceMethod: !isStatic).Parameters(parameters.Length, r => r.Void(), ps =>
        {
            foreach (var p in parameters)
            {
                var type = ps.AddParameter().Type();
                if (p == "Thread") type.Type(_thread, isValueType: false);
                else if (p == "object") type.Object();
                else throw new ArgumentException($"parameter type '{p}' is not known here", nameof(description));
            }
        });
        return _mb.AddMemberReference(parent, _mb.GetOrAddString(name), _mb.GetOrAddBlob(sig));
    }

    private void Encode(SignatureTypeEncoder encoder, TypeSig sig)
    {
        switch (sig)
        {
            case PrimitiveSig p:
                encoder.PrimitiveType(p.Code);
                break;
            case NamedSig n:
                encoder.Type(Translate(n.Handle), n.IsValueType);
                break;
            case GenericSig { Generic: NamedSig g } gi:
                var arguments = encoder.GenericInstantiation(Translate(g.Handle), gi.Arguments.Length, g.IsValueType);
                foreach (var a in gi.Arguments) Encode(arguments.AddArgument(), a);
                break;
            case ArraySig a:
                Encode(encoder.SZArray(), a.Element);
                break;
            default:
                throw new ArgumentException($"cannot name {sig}", nameof(sig));
        }
    }

    /// <summary>A type of the input (definition or reference) as a reference from the profile.</summary>
    private EntityHandle Translate(EntityHandle handle)
    {
        if (_types.TryGetValue(handle, out var done)) return done;
        EntityHandle result;
        if (handle.Kind == HandleKind.TypeDefinition)
        {
            var type = _input.GetTypeDefinition((TypeDefinitionHandle)handle);
            var declaring = type.GetDeclaringType();
            result = declaring.IsNil
                ? TypeRef(_inputAssembly, _input.GetString(type.Namespace), _input.GetString(type.Name))
                : TypeRef(Translate(declaring), "", _input.GetString(type.Name));
        }
        else if (handle.Kind == HandleKind.TypeReference)
        {
            var type = _input.GetTypeReference((TypeReferenceHandle)handle);
            EntityHandle scope = type.ResolutionScope.Kind switch
            {
                HandleKind.AssemblyReference => AssemblyOf((AssemblyReferenceHandle)type.ResolutionScope),
                HandleKind.TypeReference => Translate((TypeReferenceHandle)type.ResolutionScope),
                _ => _inputAssembly,
            };
            result = TypeRef(scope, _input.GetString(type.Namespace), _input.GetString(type.Name));
        }
        else throw new ArgumentException($"cannot reference a {handle.Kind}", nameof(handle));
        return _types[handle] = result;
    }

    private AssemblyReferenceHandle AssemblyOf(AssemblyReferenceHandle inputReference)
    {
        var reference = _input.GetAssemblyReference(inputReference);
        return Assembly(_input.GetString(reference.Name), reference.Version);
    }

    private AssemblyReferenceHandle Assembly(string name, Version version)
    {
        if (!_assemblies.TryGetValue(name, out var handle))
            _assemblies[name] = handle = _mb.AddAssemblyReference(_mb.GetOrAddString(name), version, default, default, 0, default);
        return handle;
    }

    private TypeReferenceHandle TypeRef(EntityHandle scope, string ns, string name) =>
        _mb.AddTypeReference(scope, _mb.GetOrAddString(ns), _mb.GetOrAddString(name));
}
