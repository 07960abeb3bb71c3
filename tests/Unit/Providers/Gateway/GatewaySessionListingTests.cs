using JupyterKernels.Providers.Gateway;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;

namespace JupyterKernels.Tests.Gateway;

/// <summary>A server without a sessions API (Kernel Gateway answers 404) has no sessions; that is read from the
/// HTTP status, so another failure whose text happens to say 404 still reaches the caller.</summary>
[Trait("Category", "Integration")] // starts a local HTTP server
public sealed class GatewaySessionListingTests
{
    private static GatewayKernelProvider Provider(string url)
        => new("fake", Options(url, "tok", o => o with { RequestTimeout = TimeSpan.FromSeconds(5) }));

    [Fact(Timeout = 15_000)]
    public async Task NotFound_MeansNoSessions()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Json(404, "{\"message\": \"Not Found\", \"reason\": \"Not Found\"}"));
        await using var provider = Provider(server.Url);
        Assert.Empty(await provider.ListSessionsAsync(Timeout(10)));
    }

    [Fact(Timeout = 15_000)]
    public async Task ServerError_MentioningA404_IsAnError()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Json(500, "{\"message\": \"upstream answered 404 for /api/sessions\", \"reason\": \"Internal Server Error\"}"));
        await using var provider = Provider(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => provider.ListSessionsAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderRequestFailed, e.ErrorId);
        Assert.Contains("HTTP 500", e.Message);
    }
}
