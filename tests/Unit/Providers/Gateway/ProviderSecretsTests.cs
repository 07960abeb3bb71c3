using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Gateway;

/// <summary>No header value reaches the providers file; headers to keep are saved as the name of
/// the environment variable holding the value, read at use; a URL with NUL is refused.</summary>
public sealed class ProviderSecretsTests
{
    private static CancellationToken Timeout(int s) => new CancellationTokenSource(TimeSpan.FromSeconds(s)).Token;

    [Fact]
    public async Task Header_values_are_never_written_and_header_variables_are_saved_by_name_and_read_at_use()
    {
        using var temp = new TempDirectory("jk-hdr");
        var dir = temp.Path;
        await using (var registry = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5)))
        {
            await registry.RegisterAsync(new ProviderRegistration
            {
                Name = "gw", Url = "http://127.0.0.1:1/",
                Headers = new Dictionary<string, string> { ["X-Auth"] = "XAUTH-SECRET", ["X-Plain"] = "plain-VALUE" },
                HeaderEnvironmentVariables = new Dictionary<string, string> { ["X-Tenant"] = "JK_TENANT" },
            }, Timeout(5));
        }
        var text = await File.ReadAllTextAsync(Path.Combine(dir, KernelProviders.FileName));
        Assert.DoesNotContain("XAUTH-SECRET", text);
        Assert.DoesNotContain("plain-VALUE", text);
        Assert.Contains("\"header_envs\"", text);
        Assert.Contains("JK_TENANT", text);

        await using var again = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5));
        var registration = (await ProvidersFileReader.ReadAsync(dir)).Single();
        Assert.Empty(registration.Headers);
        Assert.Equal("JK_TENANT", registration.HeaderEnvironmentVariables["X-Tenant"]);
        var options = GatewayOptions.FromRegistration(registration, name => name == "JK_TENANT" ? "tenant-42-VALUE" : null);
        Assert.Equal("tenant-42-VALUE", options.Headers["X-Tenant"]);
        // The value read from the environment is a secret like the token: scrubbed from any text we show.
        Assert.Contains("tenant-42-VALUE", options.Secrets());
        Assert.Empty(GatewayOptions.FromRegistration(registration, _ => null).Headers);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/\0x")]
    [InlineData("http://127.0.0.1:9/a\nb")]
    public async Task A_url_with_a_control_character_is_refused_and_nothing_is_saved(string url)
    {
        using var temp = new TempDirectory("jk-hdr");
        var dir = temp.Path;
        await using var registry = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5));
        var e = await Assert.ThrowsAsync<KernelException>(() => registry.RegisterAsync(new ProviderRegistration { Name = "nul", Url = url }, Timeout(5)));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
        Assert.False(File.Exists(Path.Combine(dir, KernelProviders.FileName)));
    }

    [Theory]
    [InlineData("1ST")]
    [InlineData("MY-VAR")]
    [InlineData("A B")]
    [InlineData("")]
    public async Task A_header_variable_that_is_no_environment_variable_name_is_refused_and_nothing_is_saved(string variable)
    {
        using var temp = new TempDirectory("jk-hdr");
        var dir = temp.Path;
        await using var registry = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5));
        var e = await Assert.ThrowsAsync<KernelException>(() => registry.RegisterAsync(new ProviderRegistration
        {
            Name = "hdr", Url = "http://127.0.0.1:9/",
            HeaderEnvironmentVariables = new Dictionary<string, string> { ["X-Tenant"] = variable },
        }, Timeout(5)));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
        Assert.Contains("is not an environment variable name", e.Message);
        Assert.False(File.Exists(Path.Combine(dir, KernelProviders.FileName)));
        // A valid name is accepted.
        await registry.RegisterAsync(new ProviderRegistration
        {
            Name = "hdr", Url = "http://127.0.0.1:9/",
            HeaderEnvironmentVariables = new Dictionary<string, string> { ["X-Tenant"] = "_TENANT_2" },
        }, Timeout(5));
    }

    private static class ProvidersFileReader
    {
        public static Task<IReadOnlyList<ProviderRegistration>> ReadAsync(string dir)
            => ProvidersFile.ReadAsync(Path.Combine(dir, KernelProviders.FileName), Timeout(5));
    }
}
