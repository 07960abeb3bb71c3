using System.Text;
using JupyterKernels.Providers;
using Xunit;

namespace JupyterKernels.Tests;

public sealed class ProvidersFileTests
{
    private static byte[] File(string timeout) => Encoding.UTF8.GetBytes(
        $$"""{ "version": 1, "providers": [ { "name": "srv", "url": "http://127.0.0.1:8888", "request_timeout": {{timeout}} } ] }""");

    [Fact]
    public void A_timeout_in_seconds_is_read()
        => Assert.Equal(TimeSpan.FromSeconds(42.5), Assert.Single(ProvidersFile.Parse(File("42.5"), "p.json")).RequestTimeout);

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void A_timeout_that_is_not_positive_leaves_the_default(string timeout)
        => Assert.Null(Assert.Single(ProvidersFile.Parse(File(timeout), "p.json")).RequestTimeout);

    [Theory]
    [InlineData("8888888888888888888888888820")] // found by fuzzing: TimeSpan.FromSeconds overflowed
    [InlineData("3000000")] // past the ~24.8 days a .NET timer can wait
    public void A_timeout_longer_than_any_wait_is_ProviderInvalid_naming_the_field_and_the_file(string timeout)
    {
        var e = Assert.Throws<KernelException>(() => ProvidersFile.Parse(File(timeout), "p.json"));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
        Assert.Contains("request_timeout", e.Message);
        Assert.Contains("p.json", e.Message);
    }
}
