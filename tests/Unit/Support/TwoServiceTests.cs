using JupyterKernels.Service;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// Two "processes" over one store: two service instances, each with its own store handle and its own connections,
/// sharing one isolated <see cref="ServiceFixture"/> (store file, Jupyter dirs). Disposed in reverse order.
/// </summary>
public abstract class TwoServiceTests : IAsyncLifetime
{
    protected ServiceFixture Fixture { get; } = new();
    protected KernelService A { get; private set; } = null!;
    protected KernelService B { get; private set; } = null!;

    public Task InitializeAsync()
    {
        A = Fixture.NewService();
        B = Fixture.NewService();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Fixture.DisposeAsync();
    }

    protected static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
