using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Tests.Gateway;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// A real jupyter-server registered as provider "srv" with an isolated service (<see cref="ServiceFixture"/>). The
/// token travels as users persist it: by the name of an environment variable, never the token itself.
/// </summary>
public abstract class RemoteServiceTests : IAsyncLifetime
{
    protected ServiceFixture Fixture { get; } = new();
    protected string TokenVariable { get; } = "JK_TEST_TOKEN_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
    protected JupyterServer Server { get; private set; } = null!;
    /// <summary>The service of "this process"; a test may replace it (a new process) after disposing it.</summary>
    protected KernelService Service { get; set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Server = await JupyterServer.StartAsync();
        Environment.SetEnvironmentVariable(TokenVariable, Server.Token);
        Service = Fixture.NewService();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await Service.RegisterProviderAsync(new ProviderRegistration { Name = "srv", Url = Server.Url, TokenEnvironmentVariable = TokenVariable }, cts.Token);
    }

    public virtual async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        await Fixture.DisposeAsync();
        await Server.DisposeAsync();
        Environment.SetEnvironmentVariable(TokenVariable, null);
    }
}
