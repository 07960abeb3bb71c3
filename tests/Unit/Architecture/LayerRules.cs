using System.Reflection;

namespace JupyterKernels.Tests.Architecture;

/// <summary>
/// Finds every reference from one type to another — base type, interfaces, generic constraints, fields, properties,
/// events, method and constructor signatures, attributes (on the type and on every member and parameter, with the
/// types they name as arguments: <c>typeof</c>), and the IL of every method body (calls, field accesses, object
/// creations, casts, <c>typeof</c>, local variables, <c>catch</c> clauses) — and reports those that go from a lower
/// layer to a higher one, or sideways between two layers on the same level (siblings: Transport.Zmq and
/// Transport.Tcp, Providers.Local and Providers.Gateway).
/// Nested and compiler-generated types (lambdas, async state machines) count as their outermost declaring type.
/// </summary>
internal static class LayerRules
{
    /// <summary>The core's layers, lowest level first; the namespaces on one level are siblings that may not use each
    /// other. A namespace belongs to the longest layer name that is it or a prefix of it. The root namespace
    /// <c>JupyterKernels</c> holds Model, Errors and Common: the bottom, used by every layer.</summary>
    public static readonly string[][] CoreLayers =
    {
        new[] { "JupyterKernels" },
        new[] { "JupyterKernels.Processes" },
        new[] { "JupyterKernels.Transport.Sockets" },
        new[] { "JupyterKernels.Transport.Zmq", "JupyterKernels.Transport.Tcp" },
        new[] { "JupyterKernels.Messaging" },
        new[] { "JupyterKernels.Connections" },
        new[] { "JupyterKernels.Kernelspecs" },
        new[] { "JupyterKernels.Providers" },
        new[] { "JupyterKernels.Providers.Local", "JupyterKernels.Providers.Gateway" },
        new[] { "JupyterKernels.Store" },
        new[] { "JupyterKernels.Sync" },
        new[] { "JupyterKernels.Notebooks" },
        new[] { "JupyterKernels.Service" },
    };

    /// <summary>What the Cmdlets assembly may use of the core: the Service, and the model and errors (the root
    /// namespace). Everything else is reached through the Service.</summary>
    public static readonly string[] CmdletsMayUse = { "JupyterKernels", "JupyterKernels.Service" };

    /// <summary>One layer per name, lowest first, for callers that have no siblings.</summary>
    public static string[][] Levels(params string[] layers) => layers.Select(l => new[] { l }).ToArray();

    /// <summary>The level and layer name of <paramref name="ns"/>, or (-1, null) when it belongs to none. The bottom
    /// layer holds its namespace only; every other layer also holds its sub-namespaces.</summary>
    public static (int Level, string? Layer) LayerOf(string? ns, IReadOnlyList<string[]> levels)
    {
        if (ns is null) return (-1, null);
        (int, string?) best = (-1, null);
        var bestLength = -1;
        for (var i = 0; i < levels.Count; i++)
        {
            foreach (var l in levels[i])
            {
                if ((ns == l || (i > 0 && ns.StartsWith(l + ".", StringComparison.Ordinal))) && l.Length > bestLength)
                {
                    best = (i, l);
                    bestLength = l.Length;
                }
            }
        }
        return best;
    }

    /// <summary>"From -> To (how)" for every reference of a type in a lower layer to a type in a higher one, or to a
    /// sibling layer on the same level.</summary>
    public static IReadOnlyList<string> UpwardReferences(Assembly assembly, IReadOnlyList<string[]> levels)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            var (fromLevel, fromLayer) = LayerOf(from.Namespace, levels);
            if (fromLevel < 0) continue;
            foreach (var (target, how) in References(type))
            {
                foreach (var t in Expand(target))
                {
                    if (t.Assembly != assembly) continue;
                    var to = Outermost(t);
                    var (toLevel, toLayer) = LayerOf(to.Namespace, levels);
                    if (toLevel > fromLevel || (toLevel == fromLevel && toLayer != fromLayer))
                        found.Add($"{from.FullName} ({fromLayer}) -> {to.FullName} ({toLayer}) via {how}");
                }
            }
        }
        return found.ToList();
    }

    /// <summary>
    /// "From -> To (how)" for every type of the assembly named <paramref name="coreName"/> that the assembly at
    /// <paramref name="userPath"/> (another assembly, such as the cmdlets) names outside the namespaces it may use
    /// (each with its sub-namespaces, except the root). Read from metadata, so the user may depend on assemblies this
    /// process cannot load (System.Management.Automation): every type of another assembly named in a signature, a
    /// field, a local, a catch clause, a constraint or the IL is a row of the TypeRef table; a <c>typeof</c> in an
    /// attribute argument is a serialized name, read through <paramref name="userInContext"/>'s attributes.
    /// <paramref name="alsoAllowedTypes"/> names further types the user may use by full name.
    /// </summary>
    public static IReadOnlyList<string> ReferencesOutside(string userPath, Assembly userInContext, string coreName, IReadOnlyList<string> allowed,
        IReadOnlySet<string>? alsoAllowedTypes = null)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var levels = Levels(allowed.ToArray());
        bool Outside(string? ns, string fullName) => LayerOf(ns, levels).Level < 0 && alsoAllowedTypes?.Contains(fullName) != true;

        using (var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(userPath)))
        {
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            foreach (var h in md.TypeReferences)
            {
                // A nested type's scope is its enclosing type: the outermost one says the assembly and namespace.
                var tr = md.GetTypeReference(h);
                var outer = tr;
                while (outer.ResolutionScope.Kind == System.Reflection.Metadata.HandleKind.TypeReference)
                    outer = md.GetTypeReference((System.Reflection.Metadata.TypeReferenceHandle)outer.ResolutionScope);
                if (outer.ResolutionScope.Kind != System.Reflection.Metadata.HandleKind.AssemblyReference) continue;
                var asm = md.GetAssemblyReference((System.Reflection.Metadata.AssemblyReferenceHandle)outer.ResolutionScope);
                if (md.GetString(asm.Name) != coreName) continue;
                var ns = md.GetString(outer.Namespace);
                if (Outside(ns, $"{ns}.{md.GetString(outer.Name)}")) found.Add($"{Path.GetFileNameWithoutExtension(userPath)} -> {ns}.{md.GetString(outer.Name)} via type reference");
            }
        }
        foreach (var type in userInContext.GetTypes())
        {
            var from = Outermost(type);
            foreach (var t in AttributeArguments(type).SelectMany(Expand))
            {
                if (t.Assembly.GetName().Name != coreName) continue;
                var to = Outermost(t);
                if (Outside(to.Namespace, to.FullName!)) found.Add($"{from.FullName} -> {to.FullName} via attribute argument");
            }
        }
        return found.ToList();
    }

    /// <summary>
    /// The full names of the types a user of <paramref name="entry"/> namespaces' public types meets: those public
    /// types, and every type of the same assembly their public members name (parameters, results, properties, fields,
    /// events, base types), followed through the types found, as a C# caller of the service follows them.
    /// </summary>
    public static IReadOnlySet<string> PublicClosure(Assembly core, IReadOnlyList<string> entry)
    {
        var levels = Levels(entry.ToArray());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Type>(core.GetTypes().Where(t => t.IsPublic && LayerOf(t.Namespace, levels).Level >= 0));
        while (queue.Count > 0)
        {
            var type = queue.Dequeue();
            if (!seen.Add(type.FullName!)) continue;
            var named = new List<Type>();
            if (type.BaseType is { } b) named.Add(b);
            named.AddRange(type.GetInterfaces());
            const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var m in type.GetMethods(Public).Cast<MethodBase>().Concat(type.GetConstructors(Public)))
            {
                if (m is MethodInfo mi) named.Add(mi.ReturnType);
                named.AddRange(m.GetParameters().Select(p => p.ParameterType));
            }
            named.AddRange(type.GetProperties(Public).Select(p => p.PropertyType));
            named.AddRange(type.GetFields(Public).Select(f => f.FieldType));
            named.AddRange(type.GetEvents(Public).Where(e => e.EventHandlerType is not null).Select(e => e.EventHandlerType!));
            named.AddRange(type.GetNestedTypes(BindingFlags.Public));
            foreach (var t in named.SelectMany(Expand))
                if (t.Assembly == core && !seen.Contains(t.FullName!)) queue.Enqueue(t);
        }
        return seen;
    }

    /// <summary>The types named as arguments of the attributes on a type, its members and their parameters.</summary>
    private static IEnumerable<Type> AttributeArguments(Type type)
    {
        var holders = new List<IEnumerable<CustomAttributeData>> { type.GetCustomAttributesData() };
        foreach (var m in type.GetMembers(All))
        {
            holders.Add(m.GetCustomAttributesData());
            if (m is MethodBase mb)
                foreach (var p in mb.GetParameters()) holders.Add(p.GetCustomAttributesData());
        }
        return holders.SelectMany(h => h.SelectMany(a => a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue))))
            .SelectMany(TypesIn);
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
        foreach (var c in Constraints(type.IsGenericTypeDefinition ? type.GetGenericArguments() : Type.EmptyTypes))
            yield return (c, "generic constraint");
        foreach (var a in Attributes(type.GetCustomAttributesData())) yield return (a, "attribute");
        foreach (var f in type.GetFields(All))
        {
            yield return (f.FieldType, $"field {f.Name}");
            foreach (var a in Attributes(f.GetCustomAttributesData())) yield return (a, $"field {f.Name} attribute");
        }
        foreach (var p in type.GetProperties(All))
        {
            yield return (p.PropertyType, $"property {p.Name}");
            foreach (var a in Attributes(p.GetCustomAttributesData())) yield return (a, $"property {p.Name} attribute");
        }
        foreach (var e in type.GetEvents(All)) if (e.EventHandlerType is { } h) yield return (h, $"event {e.Name}");
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi)
            {
                yield return (mi.ReturnType, $"{m.Name} return type");
                foreach (var a in Attributes(mi.ReturnParameter.GetCustomAttributesData())) yield return (a, $"{m.Name} return attribute");
            }
            if (m.IsGenericMethodDefinition)
                foreach (var c in Constraints(m.GetGenericArguments())) yield return (c, $"{m.Name} generic constraint");
            foreach (var a in Attributes(m.GetCustomAttributesData())) yield return (a, $"{m.Name} attribute");
            foreach (var p in m.GetParameters())
            {
                yield return (p.ParameterType, $"{m.Name} parameter {p.Name}");
                foreach (var a in Attributes(p.GetCustomAttributesData())) yield return (a, $"{m.Name} parameter {p.Name} attribute");
            }
            foreach (var target in BodyReferences(m)) yield return (target, $"{m.Name} body");
            foreach (var (target, how) in BodyDeclarations(m)) yield return (target, $"{m.Name} {how}");
        }
    }

    private static IEnumerable<Type> Constraints(Type[] genericParameters) =>
        genericParameters.SelectMany(g => g.GetGenericParameterConstraints());

    /// <summary>An attribute's type and every type it names in its arguments (<c>typeof(X)</c>, arrays of them).</summary>
    private static IEnumerable<Type> Attributes(IEnumerable<CustomAttributeData> attributes)
    {
        foreach (var a in attributes)
        {
            yield return a.AttributeType;
            foreach (var arg in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue)))
            foreach (var t in TypesIn(arg)) yield return t;
        }
    }

    private static IEnumerable<Type> TypesIn(CustomAttributeTypedArgument arg)
    {
        if (arg.Value is Type t) yield return t;
        else if (arg.Value is IEnumerable<CustomAttributeTypedArgument> items)
            foreach (var item in items)
            foreach (var inner in TypesIn(item)) yield return inner;
    }

    /// <summary>What a method body declares rather than names in its IL: local variables and caught exception types.</summary>
    private static IEnumerable<(Type Target, string How)> BodyDeclarations(MethodBase method)
    {
        MethodBody? body;
        try { body = method.GetMethodBody(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException) { body = null; }
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return (local.LocalType, "local variable");
        foreach (var clause in body.ExceptionHandlingClauses)
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause) yield return (clause.CatchType, "catch clause");
    }

    /// <summary>The types a method's IL names through metadata tokens (members count as their declaring type).</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        foreach (var (_, token) in IlTokens.Of(method))
            foreach (var t in ResolveToken(method.Module, token, typeArgs, methodArgs)) yield return t;
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
