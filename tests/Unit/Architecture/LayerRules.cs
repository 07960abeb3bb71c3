using System.Reflection;
using System.Reflection.Emit;

namespace JupyterKernels.Tests.Architecture;

/// <summary>
/// Finds every reference from one type to another inside an assembly — base type, interfaces, fields, properties,
/// method and constructor signatures, attributes, and the IL of every method body (calls, field accesses, object
/// creations, casts, typeof) — and reports those that go from a lower layer to a higher one.
/// Nested and compiler-generated types (lambdas, async state machines) count as their outermost declaring type.
/// </summary>
internal static class LayerRules
{
    /// <summary>The core's layers, lowest first; a namespace belongs to the longest prefix that matches it.
    /// The root namespace <c>JupyterKernels</c> holds Model, Errors and Common: the bottom, used by every layer.</summary>
    public static readonly string[] CoreLayers =
    {
        "JupyterKernels",
        "JupyterKernels.Transport",
        "JupyterKernels.Messaging",
        "JupyterKernels.Connections",
        "JupyterKernels.Kernelspecs",
        "JupyterKernels.Providers",
        "JupyterKernels.Store",
        "JupyterKernels.Sync",
        "JupyterKernels.Notebooks",
        "JupyterKernels.Service",
    };

    /// <summary>The layer index of <paramref name="ns"/> in <paramref name="layers"/>, or -1 when it belongs to none.
    /// The first (bottom) layer holds its namespace only; every other layer also holds its sub-namespaces.</summary>
    public static int LayerOf(string? ns, IReadOnlyList<string> layers)
    {
        if (ns is null) return -1;
        var best = -1;
        var bestLength = -1;
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            if ((ns == l || (i > 0 && ns.StartsWith(l + ".", StringComparison.Ordinal))) && l.Length > bestLength)
            {
                best = i;
                bestLength = l.Length;
            }
        }
        return best;
    }

    /// <summary>"From -> To (how)" for every reference of a type in a lower layer to a type in a higher one.</summary>
    public static IReadOnlyList<string> UpwardReferences(Assembly assembly, IReadOnlyList<string> layers)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            var fromLayer = LayerOf(from.Namespace, layers);
            if (fromLayer < 0) continue;
            foreach (var (target, how) in References(type))
            {
                foreach (var t in Expand(target))
                {
                    if (t.Assembly != assembly) continue;
                    var to = Outermost(t);
                    var toLayer = LayerOf(to.Namespace, layers);
                    if (toLayer > fromLayer)
                        found.Add($"{from.FullName} ({layers[fromLayer]}) -> {to.FullName} ({layers[toLayer]}) via {how}");
                }
            }
        }
        return found.ToList();
    }

    private static Type Outermost(Type t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    /// <summary>A type and everything it is built from: generic arguments, element types.</summary>
    private static IEnumerable<Type> Expand(Type? t)
    {
        if (t is null) yield break;
        if (t.HasElementType)
        {
            foreach (var e in Expand(t.GetElementType())) yield return e;
            yield break;
        }
        if (t.IsGenericParameter) yield break;
        if (t.IsGenericType)
        {
            yield return t.GetGenericTypeDefinition();
            foreach (var a in t.GetGenericArguments())
            foreach (var e in Expand(a)) yield return e;
            yield break;
        }
        yield return t;
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<(Type Target, string How)> References(Type type)
    {
        if (type.BaseType is { } b) yield return (b, "base type");
        foreach (var i in type.GetInterfaces()) yield return (i, "interface");
        foreach (var a in type.GetCustomAttributesData()) yield return (a.AttributeType, "attribute");
        foreach (var f in type.GetFields(All)) yield return (f.FieldType, $"field {f.Name}");
        foreach (var p in type.GetProperties(All)) yield return (p.PropertyType, $"property {p.Name}");
        foreach (var e in type.GetEvents(All)) if (e.EventHandlerType is { } h) yield return (h, $"event {e.Name}");
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) yield return (mi.ReturnType, $"{m.Name} return type");
            foreach (var p in m.GetParameters()) yield return (p.ParameterType, $"{m.Name} parameter {p.Name}");
            foreach (var target in BodyReferences(m)) yield return (target, $"{m.Name} body");
        }
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types a method's IL names through metadata tokens (members count as their declaring type).</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException) { il = null; }
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var module = method.Module;
        var pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos++];
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il[pos++]));
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: pos += 1; break;
                case OperandType.InlineVar: pos += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: pos += 8; break;
                case OperandType.InlineSwitch: pos += 4 + 4 * BitConverter.ToInt32(il, pos); break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                {
                    var token = BitConverter.ToInt32(il, pos);
                    pos += 4;
                    foreach (var t in ResolveToken(module, token, typeArgs, methodArgs)) yield return t;
                    break;
                }
                default: pos += 4; break; // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
            }
        }
    }

    private static IEnumerable<Type> ResolveToken(System.Reflection.Module module, int token, Type[]? typeArgs, Type[]? methodArgs)
    {
        MemberInfo? member;
        try { member = module.ResolveMember(token, typeArgs, methodArgs); }
        catch (ArgumentException) { return Array.Empty<Type>(); }
        var types = new List<Type>();
        if (member is Type type) types.Add(type);
        else if (member?.DeclaringType is { } declaring) types.Add(declaring);
        if (member is MethodInfo { IsGenericMethod: true } gm) types.AddRange(gm.GetGenericArguments());
        if (member is FieldInfo f) types.Add(f.FieldType);
        return types;
    }
}
