using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>Servers that are down, hang or refuse our token: a provider the user named fails loudly, a local name
/// never waits for remote providers, a failed provider is not asked again on every call, and a failed start leaves
/// no record behind.</summary>
[Trait("Category", "Integration")] // starts servers
public sealed class ProviderFailureTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private readonly FakeHttpServer _hanging = new(_ => FakeResponse.Hang);
    private KernelService _service = null!;

    private static CancellationToken Bound(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async Task InitializeAsync()
    {
        _service = _fixture.NewService();
        await _service.RegisterProviderAsync(new ProviderRegistration { Name = "hang", Url = _hanging.Url, Token = "t", RequestTimeout = TimeSpan.FromSeconds(4) }, Bound());
        await _service.RegisterProviderAsync(new ProviderRegistration { Name = "down", Url = $"http://127.0.0.1:{JupyterServer.FreePort()}/", Token = "t" }, Bound());
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _fixture.DisposeAsync();
        await _hanging.DisposeAsync();
    }

    [Fact]
    public async Task A_named_provider_that_is_unreachable_is_an_error_and_all_providers_stay_a_warning()
    {
        var e = await Assert.ThrowsAsync<KernelException>(() => _service.GetKernelSpecsAsync("down", refresh: true, Bound()));
        Assert.Equal(ErrorIds.ProviderUnreachable, e.ErrorId);
        Assert.Contains("'down'", e.Message);
        var all = await _service.GetKernelSpecsAsync(null, refresh: true, Bound(), budget: TimeSpan.FromSeconds(2));
        Assert.Contains(all.Specs, s => s.Name == "python3");
        Assert.Contains(all.Warnings, w => w.Provider == "down" && w.ErrorId == ErrorIds.ProviderUnreachable);
    }

    [Fact]
    public async Task A_local_spec_name_does_not_wait_for_a_provider_that_never_answers()
    {
        var clock = Stopwatch.StartNew();
        var listing = await _service.GetKernelSpecsAsync(null, refresh: false, Bound(), onlyProviders: new[] { KernelProviders.LocalName });
        Assert.Contains(listing.Specs, s => s.Name == "python3");
        Assert.Empty(listing.Warnings.Where(w => w.Provider is "hang" or "down"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_provider_that_failed_is_not_asked_again_at_once_unless_refreshing()
    {
        var first = await _service.GetKernelSpecsAsync(null, refresh: false, Bound(), budget: TimeSpan.FromSeconds(2));
        Assert.Contains(first.Warnings, w => w.Provider == "hang" && w.ErrorId == ErrorIds.ProviderTimeout);
        var asked = _hanging.Requests.Count;

        var clock = Stopwatch.StartNew();
        var second = await _service.GetKernelSpecsAsync(null, refresh: false, Bound(), budget: TimeSpan.FromSeconds(2));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the second listing took {clock.Elapsed}");
        Assert.Contains(second.Warnings, w => w.Provider == "hang" && w.Message.Contains("not asked again"));
        Assert.Equal(asked, _hanging.Requests.Count);
    }

    [Fact]
    public async Task A_remote_start_that_times_out_leaves_no_record()
    {
        await Assert.ThrowsAsync<KernelException>(() => _service.StartKernelAsync(
            new StartKernelOptions { SpecName = "hang/python3", StartTimeout = TimeSpan.FromSeconds(2) }, null, Bound(90)));
        Assert.Empty(await _service.GetKernelsAsync(Bound()));
    }
}
