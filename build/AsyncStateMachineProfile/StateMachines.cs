using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace AsyncStateMachineProfile;

/// <summary>A type as a signature names it, with handles into the input assembly's metadata.</summary>
internal abstract record TypeSig;
internal sealed record PrimitiveSig(PrimitiveTypeCode Code) : TypeSig;
internal sealed record NamedSig(EntityHandle Handle, bool IsValueType) : TypeSig;
internal sealed record GenericSig(TypeSig Generic, ImmutableArray<TypeSig> Arguments) : TypeSig;
internal sealed record ArraySig(TypeSig Element) : TypeSig;
/// <summary>Generic parameters, pointers, modifiers: a box over these is not named.</summary>
internal sealed record UnsupportedSig : TypeSig;

/// <summary>Which framework box runs a state machine: <c>Builder</c> (a CoreLib type) nests <c>Box</c>; the box's
/// first type argument is <see cref="Result"/> (null: VoidTaskResult).</summary>
internal sealed record StateMachineBox(string Builder, string Box, TypeSig? Result, string[] Methods);

internal static class StateMachines
{
    // The members of each box that only interface dispatch reaches (name; "(Thread)" etc. say the parameters).
    private static readonly string[] AsyncBoxMethods =
        { "MoveNext()", "MoveNext(Thread)", "ExecuteFromThreadPool(Thread)", "static ExecutionContextCallback(object)", "ClearStateUponCompletion()", "static .cctor()", "get_Context()" };
    private static readonly string[] PoolingBoxMethods =
        { "MoveNext()", "System.Threading.IThreadPoolWorkItem.Execute()", "static ExecutionContextCallback(object)", "ReturnToCache()", "ClearStateUponCompletion()", "static .cctor()" };

    public static bool IsAsyncStateMachine(MetadataReader md, TypeDefinition type)
    {
        foreach (var i in type.GetInterfaceImplementations())
        {
            var iface = md.GetInterfaceImplementation(i).Interface;
            if (iface.Kind == HandleKind.TypeReference && md.GetString(md.GetTypeReference((TypeReferenceHandle)iface).Name) == "IAsyncStateMachine")
                return true;
        }
        return false;
    }

    /// <summary>A state machine of a generic method or in a generic type: its box cannot be named without type arguments.</summary>
    public static bool IsGeneric(MetadataReader md, TypeDefinition type)
    {
        for (var t = type; ; t = md.GetTypeDefinition(t.GetDeclaringType()))
        {
            if (t.GetGenericParameters().Count > 0) return true;
            if (t.GetDeclaringType().IsNil) return false;
        }
    }

    public static bool IsValueType(MetadataReader md, TypeDefinition type) =>
        type.BaseType.Kind == HandleKind.TypeReference && md.GetString(md.GetTypeReference((TypeReferenceHandle)type.BaseType).Name) is "ValueType" or "Enum";

    /// <summary>The box of a state machine, from the type of its <c>&lt;&gt;t__builder</c> field.</summary>
    public static StateMachineBox? BoxOf(MetadataReader md, TypeDefinition type)
    {
        foreach (var f in type.GetFields())
        {
            var field = md.GetFieldDefinition(f);
            if (md.GetString(field.Name) != "<>t__builder") continue;
            var sig = field.DecodeSignature(new SigDecoder(md), genericContext: null);
            var (name, result) = sig switch
            {
                NamedSig n => (NameOf(md, n.Handle), (TypeSig?)null),
                GenericSig { Generic: NamedSig g, Arguments.Length: 1 } gi => (NameOf(md, g.Handle), gi.Arguments[0]),
                _ => (null, null),
            };
            if (result is not null && !IsNameable(result)) return null;
            return name switch
            {
                "AsyncTaskMethodBuilder" or "AsyncValueTaskMethodBuilder" or "AsyncVoidMethodBuilder"
                    => new StateMachineBox("AsyncTaskMethodBuilder`1", "AsyncStateMachineBox`1", null, AsyncBoxMethods),
                "AsyncTaskMethodBuilder`1" or "AsyncValueTaskMethodBuilder`1"
                    => new StateMachineBox("AsyncTaskMethodBuilder`1", "AsyncStateMachineBox`1", result, AsyncBoxMethods),
                "PoolingAsyncValueTaskMethodBuilder"
                    => new StateMachineBox("PoolingAsyncValueTaskMethodBuilder`1", "StateMachineBox`1", null, PoolingBoxMethods),
                "PoolingAsyncValueTaskMethodBuilder`1"
                    => new StateMachineBox("PoolingAsyncValueTaskMethodBuilder`1", "StateMachineBox`1", result, PoolingBoxMethods),
                _ => null, // a custom builder: its box is its own business
            };
        }
        return null;
    }

    private static bool IsNameable(TypeSig sig) => sig switch
    {
        PrimitiveSig or NamedSig => true,
        GenericSig g => IsNameable(g.Generic) && g.Arguments.All(IsNameable),
        ArraySig a => IsNameable(a.Element),
        _ => false,
    };

    private static string? NameOf(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)handle).Name),
        HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)handle).Name),
        _ => null,
    };

    private sealed class SigDecoder : ISignatureTypeProvider<TypeSig, object?>
    {
        private readonly MetadataReader _md;
        public SigDecoder(MetadataReader md) => _md = md;
        public TypeSig GetPrimitiveType(PrimitiveTypeCode typeCode) => new PrimitiveSig(typeCode);
        public TypeSig GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => new NamedSig(handle, rawTypeKind == 0x11);
        public TypeSig GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => new NamedSig(handle, rawTypeKind == 0x11);
        public TypeSig GetGenericInstantiation(TypeSig genericType, ImmutableArray<TypeSig> typeArguments) => new GenericSig(genericType, typeArguments);
        public TypeSig GetSZArrayType(TypeSig elementType) => new ArraySig(elementType);
        public TypeSig GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public TypeSig GetArrayType(TypeSig elementType, ArrayShape shape) => new UnsupportedSig();
        public TypeSig GetByReferenceType(TypeSig elementType) => new UnsupportedSig();
        public TypeSig GetFunctionPointerType(MethodSignature<TypeSig> signature) => new UnsupportedSig();
        public TypeSig GetGenericMethodParameter(object? genericContext, int index) => new UnsupportedSig();
        public TypeSig GetGenericTypeParameter(object? genericContext, int index) => new UnsupportedSig();
        public TypeSig GetModifiedType(TypeSig modifier, TypeSig unmodifiedType, bool isRequired) => unmodifiedType;
        public TypeSig GetPinnedType(TypeSig elementType) => new UnsupportedSig();
        public TypeSig GetPointerType(TypeSig elementType) => new UnsupportedSig();
    }
}
