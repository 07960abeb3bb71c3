using System.Reflection;
using System.Text;
using JupyterKernels.Service;

namespace JupyterKernels.Tests.Architecture;

/// <summary>
/// The core's public surface is what the cmdlets and a C# user of the core need (the service, its options, the model,
/// the errors): everything else is internal. It is pinned in PublicApi.txt beside this file, so a type or member that
/// becomes public, or stops being public, is a decision someone reads in the diff.
/// </summary>
public class PublicApiTests
{
    private const string Regenerate =
        "JK_UPDATE_PUBLIC_API=1 dotnet test tests/Unit -c Release --filter \"FullyQualifiedName~PublicApiTests\"";

    [Fact]
    public void Public_surface_matches_the_checked_in_listing()
    {
        var actual = PublicApi.Listing(typeof(KernelService).Assembly);
        var path = Path.Combine(RepoRoot(), "tests", "Unit", "Architecture", "PublicApi.txt");
        if (Environment.GetEnvironmentVariable("JK_UPDATE_PUBLIC_API") == "1")
        {
            File.WriteAllText(path, string.Join("\n", actual) + "\n");
            return;
        }
        var expected = File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : new List<string>();
        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"The public surface of JupyterKernels.dll differs from {path}:\n" +
            string.Concat(added.Select(l => "+ " + l + "\n")) + string.Concat(removed.Select(l => "- " + l + "\n")) +
            $"If the change is intended, regenerate the listing and commit it:\n  {Regenerate}");
    }

    [Fact]
    public void Listing_names_types_and_members_and_leaves_out_internals()
    {
        var lines = PublicApi.Listing(typeof(KernelService).Assembly);
        Assert.Contains(lines, l => l.StartsWith("class JupyterKernels.Service.KernelService :", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("JupyterKernels.Service.KernelService.ExecuteAsync(", StringComparison.Ordinal));
        Assert.Contains("enum JupyterKernels.KernelState", lines);
        Assert.Contains("JupyterKernels.KernelState.Idle = 2", lines);
        Assert.DoesNotContain(lines, l => l.Contains("JupyterKernels.Connections.KernelClient ", StringComparison.Ordinal) || l.EndsWith("JupyterKernels.Connections.KernelClient", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("JupyterKernels.Transport.", StringComparison.Ordinal));
        Assert.Equal(lines.OrderBy(l => l, StringComparer.Ordinal), lines);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "JupyterKernels.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("JupyterKernels.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One line per public (or protected, of an unsealed public type) type and member, sorted.</summary>
internal static class PublicApi
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static List<string> Listing(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetTypes().Where(IsVisible))
        {
            lines.Add($"{Kind(type)} {Name(type)}{Bases(type)}");
            foreach (var m in type.GetMembers(Declared).Where(m => Visible(m, type)))
            {
                var line = Member(type, m);
                if (line is not null) lines.Add(line);
            }
        }
        return lines.Distinct().OrderBy(l => l, StringComparer.Ordinal).ToList();
    }

    private static bool IsVisible(Type t) => t.IsPublic || (t.IsNestedPublic && IsVisible(t.DeclaringType!)) || (t.IsNestedFamily && IsVisible(t.DeclaringType!));

    private static bool Visible(MemberInfo m, Type owner) => m switch
    {
        MethodBase b => b.IsPublic || ((b.IsFamily || b.IsFamilyOrAssembly) && !owner.IsSealed),
        FieldInfo f => f.IsPublic || ((f.IsFamily || f.IsFamilyOrAssembly) && !owner.IsSealed),
        PropertyInfo p => p.GetAccessors(true).Any(a => Visible(a, owner)),
        EventInfo e => e.AddMethod is { } add && Visible(add, owner),
        Type => false, // nested types are listed as types
        _ => false,
    };

    private static string Kind(Type t) =>
        t.IsInterface ? "interface" : t.IsEnum ? "enum" : t.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(t) ? "delegate" : t.IsAbstract && t.IsSealed ? "static class" : "class";

    private static string Bases(Type t)
    {
        if (t.IsEnum) return "";
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && b != typeof(MulticastDelegate)) bases.Add(Name(b));
        bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string? Member(Type owner, MemberInfo m)
    {
        var prefix = Name(owner) + ".";
        switch (m)
        {
            case ConstructorInfo c:
                return $"{prefix}.ctor({Parameters(c)})";
            case MethodInfo mi when mi.IsSpecialName:
                return null; // property and event accessors, operators' names are listed through their owners
            case MethodInfo mi:
                var generic = mi.IsGenericMethodDefinition ? "<" + string.Join(", ", mi.GetGenericArguments().Select(a => a.Name)) + ">" : "";
                return $"{prefix}{mi.Name}{generic}({Parameters(mi)}) : {Name(mi.ReturnType)}{(mi.IsStatic ? " static" : "")}";
            case PropertyInfo p:
                var accessors = string.Join(" ", new[] { p.GetMethod, p.SetMethod }.Where(a => a is not null && Visible(a, owner))
                    .Select(a => a == p.GetMethod ? "get" : IsInit(p) ? "init" : "set"));
                var index = p.GetIndexParameters();
                var name = index.Length == 0 ? p.Name : $"this[{string.Join(", ", index.Select(i => Name(i.ParameterType)))}]";
                return $"{prefix}{name} : {Name(p.PropertyType)} {{ {accessors} }}";
            case FieldInfo f when owner.IsEnum:
                return f.IsSpecialName ? null : $"{prefix}{f.Name} = {Convert.ToInt64(f.GetRawConstantValue())}";
            case FieldInfo f:
                return $"{prefix}{f.Name} : {Name(f.FieldType)}{(f.IsLiteral ? " const" : f.IsStatic ? " static" : "")}{(f.IsInitOnly ? " readonly" : "")}";
            case EventInfo e:
                return $"{prefix}{e.Name} : event {Name(e.EventHandlerType!)}";
            default:
                return null;
        }
    }

    private static bool IsInit(PropertyInfo p) =>
        p.SetMethod?.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.FullName == "System.Runtime.CompilerServices.IsExternalInit") == true;

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.ParameterType.IsByRef ? (p.IsOut ? "out " : p.IsIn ? "in " : "ref ") : "") + Name(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)
        + (p.HasDefaultValue ? " = " + (p.DefaultValue?.ToString() ?? "null") : "")));

    private static string Name(Type t)
    {
        if (t.IsGenericParameter) return t.Name;
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        var baseName = t.IsNested ? Name(t.DeclaringType!) + "+" + t.Name : (t.Namespace is { } ns ? ns + "." : "") + t.Name;
        var tick = baseName.IndexOf('`');
        if (tick >= 0) baseName = baseName[..tick];
        if (!t.IsGenericType) return baseName;
        var args = t.GetGenericArguments();
        if (t.IsNested && t.DeclaringType!.IsGenericType) args = args.Skip(t.DeclaringType.GetGenericArguments().Length).ToArray();
        return args.Length == 0 ? baseName : baseName + "<" + string.Join(", ", args.Select(Name)) + ">";
    }
}
