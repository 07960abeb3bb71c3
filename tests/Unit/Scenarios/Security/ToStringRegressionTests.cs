using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Tests.Security;

/// <summary>Found by SecretLeakTests: records printed their secrets through the compiler-generated ToString.</summary>
public sealed class ToStringRegressionTests
{
    [Fact]
    public void KernelRecord_ToString_hides_the_connection_info_json()
    {
        var data = new LocalKernelData { ConnectionInfoJson = "{\"key\":\"s3cr3t-key\"}", Pid = 7 };
        var record = new KernelRecord { Id = "k1", Provider = "local", SpecName = "python3", ProviderData = data.ToJson() };
        Assert.DoesNotContain("s3cr3t-key", record.ToString());
        Assert.Contains("k1", record.ToString());
        Assert.Contains("(hidden)", record.ToString());
        // The local provider's own data prints without the key too.
        Assert.DoesNotContain("s3cr3t-key", data.ToString());
        Assert.Contains("(hidden)", data.ToString());
        Assert.DoesNotContain("s3cr3t-key", LocalKernelData.Of(record).ToString());
    }

    [Fact]
    public void ProviderRegistration_ToString_hides_the_token_and_header_values()
    {
        var registration = new ProviderRegistration
        {
            Name = "srv", Url = "http://h/", Token = "s3cr3t-token",
            Headers = new Dictionary<string, string> { ["X-Api-Key"] = "s3cr3t-header" },
        };
        var text = registration.ToString();
        Assert.DoesNotContain("s3cr3t-token", text);
        Assert.DoesNotContain("s3cr3t-header", text);
        Assert.Contains("X-Api-Key", text);
    }
}
