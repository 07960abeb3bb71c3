using System.Reflection;
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
}
