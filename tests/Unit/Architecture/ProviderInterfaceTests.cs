using System.Reflection;
using JupyterKernels.Providers;

namespace JupyterKernels.Tests.Architecture;

/// <summary>
/// The provider interface is what every provider implements for real; what only one kind does is a role interface a
/// caller asks for (<c>provider is IKeepsSessions</c>). A default body on the interface is how a member that does
/// nothing (or throws NotImplemented) for one of the two providers comes back, so none is allowed. Fast: reflection only.
/// </summary>
public class ProviderInterfaceTests
{
    private static readonly Assembly Core = typeof(IKernelProvider).Assembly;

    /// <summary>The interfaces of the Providers layer's own namespace: the core one, its roles, the remote factory.</summary>
    private static IEnumerable<Type> ProviderInterfaces()
        => Core.GetTypes().Where(t => t.IsInterface && t.Namespace == typeof(IKernelProvider).Namespace);

    private static List<string> DefaultBodied(IEnumerable<Type> interfaces)
        => interfaces.SelectMany(i => i.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsAbstract)
                .Select(m => $"{i.Name}.{m.Name}"))
            .ToList();

    [Fact]
    public void IKernelProvider_has_no_default_bodied_members()
    {
        var found = DefaultBodied(new[] { typeof(IKernelProvider) });
        Assert.True(found.Count == 0, "Default bodies on IKernelProvider (move the member to a role interface): " + string.Join(", ", found));
    }

    [Fact]
    public void No_interface_of_the_Providers_layer_has_default_bodied_members()
    {
        var interfaces = ProviderInterfaces().ToList();
        Assert.Contains(typeof(IKeepsSessions), interfaces);
        var found = DefaultBodied(interfaces);
        Assert.True(found.Count == 0, "Default bodies on provider interfaces: " + string.Join(", ", found));
    }

    [Fact]
    public void Checker_sees_a_default_bodied_member()
    {
        Assert.Equal(new[] { $"{nameof(ISample)}.{nameof(ISample.Nothing)}", $"{nameof(ISample)}.get_{nameof(ISample.Empty)}" },
            DefaultBodied(new[] { typeof(ISample) }).Order(StringComparer.Ordinal));
    }

    internal interface ISample
    {
        Task Real(CancellationToken cancellationToken);
        Task Nothing(CancellationToken cancellationToken) => Task.CompletedTask;
        IReadOnlyList<string> Empty => Array.Empty<string>();
    }

    /// <summary>A role nothing implements is a member nobody needs; each one has a real provider behind it.</summary>
    [Fact]
    public void Every_role_is_taken_by_a_real_provider()
    {
        var providers = Core.GetTypes().Where(t => !t.IsAbstract && typeof(IKernelProvider).IsAssignableFrom(t)).ToList();
        Assert.Equal(2, providers.Count);
        var roles = ProviderInterfaces().Where(i => i != typeof(IKernelProvider) && i != typeof(IRemoteProviderFactory)).ToList();
        Assert.True(roles.Count >= 8, "roles: " + string.Join(", ", roles.Select(r => r.Name)));
        var untaken = roles.Where(r => !providers.Any(r.IsAssignableFrom)).Select(r => r.Name).ToList();
        Assert.True(untaken.Count == 0, "Roles no provider takes: " + string.Join(", ", untaken));
    }
}
