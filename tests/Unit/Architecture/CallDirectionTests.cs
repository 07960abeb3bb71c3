using System.Reflection;
using System.Reflection.Emit;
using JupyterKernels.Connections;

namespace JupyterKernels.Tests.Architecture;

/// <summary>
/// What the layer test cannot see: a lower layer that calls a higher one through something the higher one hands it (a
/// callback in an options record, an interface set on it after construction). Names alone import downward there, yet
/// the call goes down and comes back up (a client's Ctrl+C calling its provider, which asked the Service for that very
/// client). These rules keep the two ways such loops were built from coming back. Fast: reflection only.
/// </summary>
public class CallDirectionTests
{
    private static readonly Assembly Core = typeof(KernelClient).Assembly;

    private static bool IsDelegate(Type t) => typeof(Delegate).IsAssignableFrom(t);

    /// <summary>The options a connection is built and run with are data: a callback there would let the client call
    /// whoever built the options (a provider, the Service) from inside its own calls.</summary>
    [Fact]
    public void Connection_options_carry_no_callbacks()
    {
        var callbacks = Core.GetTypes()
            .Where(t => t.Namespace == "JupyterKernels.Connections" && t.Name.EndsWith("Options", StringComparison.Ordinal))
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(p => IsDelegate(p.PropertyType))
                .Select(p => $"{t.Name}.{p.Name} ({p.PropertyType.Name})"))
            .ToList();
        Assert.True(callbacks.Count == 0, "Callbacks on the Connections layer's options: " + string.Join(", ", callbacks));
    }

    /// <summary>No type takes, after construction, something only a higher layer implements (the way the local provider
    /// once got the Service's connections): a dependency comes in through the constructor, from below or as data.</summary>
    [Fact]
    public void No_settable_property_takes_what_only_a_higher_layer_implements()
    {
        var found = SettersReachingUp(Core.GetTypes(), t => LayerRules.LayerOf(t.Namespace, LayerRules.CoreLayers).Level);
        Assert.True(found.Count == 0, "Settable properties through which a higher layer is called: " + string.Join(", ", found));
    }

    [Fact]
    public void Checker_sees_a_setter_that_takes_a_higher_layers_implementation()
    {
        var levels = new Dictionary<Type, int> { [typeof(LowProvider)] = 1, [typeof(ISource)] = 1, [typeof(HighService)] = 2 };
        var found = SettersReachingUp(levels.Keys, t => levels.TryGetValue(t, out var l) ? l : -1);
        Assert.Equal(new[] { $"{typeof(LowProvider).FullName}.{nameof(LowProvider.Source)} ({nameof(ISource)})" }, found);
    }

    private static List<string> SettersReachingUp(IEnumerable<Type> types, Func<Type, int> level)
    {
        var all = types.ToArray();
        var found = new List<string>();
        foreach (var type in all.Where(t => level(t) >= 0))
        {
            foreach (var p in type.GetProperties(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                var setter = p.SetMethod;
                if (setter is null || !setter.IsPublic && !setter.IsAssembly) continue;
                if (setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit")) continue; // init: part of construction
                var target = p.PropertyType;
                if (IsDelegate(target) || target.IsInterface && all.Any(i => !i.IsInterface && target.IsAssignableFrom(i) && level(i) > level(type)))
                    found.Add($"{type.FullName}.{p.Name} ({target.Name})");
            }
        }
        return found;
    }

    internal interface ISource { }
    internal sealed class HighService : ISource { }
    internal sealed class LowProvider
    {
        public ISource? Source { get; set; }
        public TimeSpan Wait { get; set; }
        public ISource? Given { get; init; }
    }

    /// <summary>The checker sees what it looks for: the shape the local provider's connections once had.</summary>
    [Fact]
    public void Checker_sees_a_callback_on_options()
    {
        var sample = typeof(SampleOptions).GetProperties().Where(p => IsDelegate(p.PropertyType)).Select(p => p.Name);
        Assert.Equal(new[] { nameof(SampleOptions.Interrupt) }, sample);
    }

    private sealed record SampleOptions
    {
        public Func<CancellationToken, Task>? Interrupt { get; init; }
        public TimeSpan Timeout { get; init; }
    }

    /// <summary>
    /// A lower layer never waits for a higher one's answer: a method that settles a task someone awaits
    /// (TaskCompletionSource's SetResult, TrySetException...) is called only from its own layer or below. A higher
    /// layer that fed such a method would be answering a question the lower one asked it (a client raising an event,
    /// then waiting for the Service to report back what the store says) — the lower layer reports what it saw, and the
    /// higher one maps the result on its way up.
    /// </summary>
    [Fact]
    public void No_higher_layer_settles_what_a_lower_layer_waits_for()
    {
        var found = AnswersFromAbove(Core.GetTypes(), t => LayerRules.LayerOf(t.Namespace, LayerRules.CoreLayers).Level);
        Assert.True(found.Count == 0, "Methods that settle a lower layer's wait, called from a higher layer: " + string.Join(", ", found));
    }

    [Fact]
    public void Checker_sees_a_higher_layer_answering_a_lower_ones_wait()
    {
        var levels = new Dictionary<Type, int> { [typeof(AskingClient)] = 1, [typeof(AnsweringService)] = 2 };
        var found = AnswersFromAbove(levels.Keys, t => levels.TryGetValue(t, out var l) ? l : -1);
        Assert.Equal(new[] { $"{typeof(AnsweringService).FullName}.{nameof(AnsweringService.Decide)} -> {typeof(AskingClient).FullName}.{nameof(AskingClient.ReportVerdict)}" }, found);
    }

    private static readonly HashSet<string> Settlers = new(StringComparer.Ordinal)
        { "SetResult", "TrySetResult", "SetException", "TrySetException", "SetCanceled", "TrySetCanceled" };

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static List<string> AnswersFromAbove(IEnumerable<Type> types, Func<Type, int> level)
    {
        // Lambdas and async state machines count as the type they are written in.
        static Type Outermost(Type t)
        {
            while (t.DeclaringType is not null && t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false)) t = t.DeclaringType;
            return t;
        }
        static IEnumerable<MethodBase> Methods(Type t) => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared));
        static IEnumerable<Type> WithNested(Type t) => new[] { t }.Concat(t.GetNestedTypes(Declared).SelectMany(WithNested));
        var all = types.SelectMany(WithNested).Distinct().ToArray();
        // A method of a type in a layer that settles a TaskCompletionSource itself (directly in its body).
        var settling = all.Where(t => level(Outermost(t)) >= 0)
            .SelectMany(Methods)
            .Where(m => m is MethodInfo && CalledMethods(m).Any(c => c.DeclaringType is { } d
                && (d == typeof(TaskCompletionSource) || d.IsGenericType && d.GetGenericTypeDefinition() == typeof(TaskCompletionSource<>))
                && Settlers.Contains(c.Name)))
            .ToHashSet();
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var caller in all.SelectMany(Methods))
        {
            var from = Outermost(caller.DeclaringType!);
            if (level(from) < 0) continue;
            foreach (var callee in CalledMethods(caller))
            {
                if (!settling.Contains(callee)) continue;
                var to = Outermost(callee.DeclaringType!);
                if (level(from) > level(to))
                    found.Add($"{from.FullName}.{OwnName(caller)} -> {to.FullName}.{callee.Name}");
            }
        }
        return found.ToList();
    }

    /// <summary>A method's name as written: a lambda or an async method's state machine names the method it is in.</summary>
    private static string OwnName(MethodBase m)
    {
        for (var t = m.DeclaringType; t is not null; t = t.DeclaringType)
        {
            if (t.Name.StartsWith('<') && t.Name.IndexOf('>') is > 1 and var end) return t.Name[1..end];
        }
        return m.Name.StartsWith('<') && m.Name.IndexOf('>') is > 1 and var close ? m.Name[1..close] : m.Name;
    }

    /// <summary>The methods a method's IL calls (call, callvirt, newobj, ldftn).</summary>
    private static IEnumerable<MethodBase> CalledMethods(MethodBase method)
    {
        var typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        foreach (var (kind, token) in IlTokens.Of(method))
        {
            if (kind != OperandType.InlineMethod) continue;
            MethodBase? callee = null;
            try { callee = method.Module.ResolveMethod(token, typeArgs, methodArgs); }
            catch (ArgumentException) { }
            if (callee is MethodInfo { IsGenericMethod: true } generic && !generic.IsGenericMethodDefinition) callee = generic.GetGenericMethodDefinition();
            if (callee?.DeclaringType is { IsGenericType: true, IsGenericTypeDefinition: false } owner && owner.Assembly == method.Module.Assembly)
                callee = MethodBase.GetMethodFromHandle(callee.MethodHandle, owner.GetGenericTypeDefinition().TypeHandle);
            if (callee is not null) yield return callee;
        }
    }

    /// <summary>The shape a client's restart verdict once had: it asks (an event), waits, and its owner answers.</summary>
    internal sealed class AskingClient
    {
        private TaskCompletionSource<string?>? _verdict;
        public event EventHandler<string>? Gone;
        public void ReportVerdict(string? verdict) => _verdict?.TrySetResult(verdict);
        public Task<string?> AskAsync() { _verdict = new(); Gone?.Invoke(this, "gone"); return _verdict.Task; }
    }

    internal sealed class AnsweringService
    {
        public void Decide(AskingClient client) => client.ReportVerdict("restarted");
    }
}
