using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;
using JupyterKernels.Providers;

namespace JupyterKernels.Tests.Gateway;

/// <summary>
/// TLS against a real jupyter-server on https://127.0.0.1 with a certificate from a throwaway CA: validation is on
/// by default (an unknown CA is refused), a CA bundle makes it trusted for REST and the wss:// kernel channels, and
/// -SkipCertificateCheck turns validation off.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class GatewayTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _pki = new("jk-pki");
    private readonly ServiceFixture _fixture = new();
    private JupyterServer _server = null!;

    private string CaFile => _pki.Combine("ca.pem");

    public async Task InitializeAsync()
    {
        // CA, then a server certificate for 127.0.0.1 signed by it.
        await OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=jk test CA",
            "-keyout", _pki.Combine("ca.key"), "-out", CaFile, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        await OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", _pki.Combine("server.key"), "-out", _pki.Combine("server.csr"));
        File.WriteAllText(_pki.Combine("ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        await OpenSsl("x509", "-req", "-in", _pki.Combine("server.csr"), "-CA", CaFile, "-CAkey", _pki.Combine("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", _pki.Combine("ext.cnf"), "-out", _pki.Combine("server.pem"));
        _server = await JupyterServer.StartAsync(tls: (_pki.Combine("server.pem"), _pki.Combine("server.key")));
    }

    /// <summary>A client certificate (cert and key in one PEM) signed by the test CA.</summary>
    private async Task<string> ClientCertificateAsync()
    {
        await OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=jk client", "-keyout", _pki.Combine("client.key"), "-out", _pki.Combine("client.csr"));
        File.WriteAllText(_pki.Combine("client.cnf"), "extendedKeyUsage=clientAuth\n");
        await OpenSsl("x509", "-req", "-in", _pki.Combine("client.csr"), "-CA", CaFile, "-CAkey", _pki.Combine("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", _pki.Combine("client.cnf"), "-out", _pki.Combine("client.crt"));
        var pem = _pki.Combine("client.pem");
        File.WriteAllText(pem, File.ReadAllText(_pki.Combine("client.crt")) + File.ReadAllText(_pki.Combine("client.key")));
        return pem;
    }

    [Fact]
    public async Task A_server_that_requires_client_certificates_accepts_ours_and_refuses_none()
    {
        var clientPem = await ClientCertificateAsync();
        await using var strict = await JupyterServer.StartAsync(tls: (_pki.Combine("server.pem"), _pki.Combine("server.key")), clientAuth: (CaFile, clientPem));
        await using var service = _fixture.NewService();
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "nocert", Url = strict.Url, Token = strict.Token, CaBundlePath = CaFile }, Bound());
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "withcert", Url = strict.Url, Token = strict.Token, CaBundlePath = CaFile, ClientCertificatePath = clientPem }, Bound());
        var listing = await service.GetKernelSpecsAsync(null, refresh: true, Bound());
        Assert.Equal("nocert", Assert.Single(listing.Warnings).Provider);
        Assert.Contains(listing.Specs, s => s.Name == "withcert/python3");
    }

    [Fact(Timeout = 120_000)]
    public async Task Rest_and_wss_work_through_the_quickack_connector_with_TLS_layered_above_it()
    {
        // TLS is the handler's, over the stream our ConnectCallback returns: the CA bundle still decides trust.
        await using var provider = new Providers.Gateway.GatewayKernelProvider("tls",
            GatewayTestUtil.Options(_server.Url, _server.Token, o => o with { CaCertsPath = CaFile, ConnectTimeout = TimeSpan.FromSeconds(20) }));
        await QuickAckChecks.RestAndWebSocketAsync(provider, offerV1: true, Bound(110));
        await using var untrusted = new Providers.Gateway.GatewayKernelProvider("untrusted", GatewayTestUtil.Options(_server.Url, _server.Token));
        var refused = await Assert.ThrowsAsync<KernelException>(() => untrusted.GetKernelSpecsAsync(true, Bound(30)));
        Assert.Equal(ErrorIds.ProviderUnreachable, refused.ErrorId);
    }

    public async Task DisposeAsync()
    {
        await _fixture.DisposeAsync();
        await _server.DisposeAsync();
        _pki.Dispose();
    }

    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task OpenSsl(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync(Bound(30));
        Assert.True(p.ExitCode == 0, await err);
    }

    [Fact]
    public async Task Unknown_CA_is_refused_a_CA_bundle_is_trusted_for_REST_and_wss_and_skipping_the_check_works()
    {
        await using var service = _fixture.NewService();
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "untrusted", Url = _server.Url, Token = _server.Token }, Bound());
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "pinned", Url = _server.Url, Token = _server.Token, CaBundlePath = CaFile }, Bound());
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "unchecked", Url = _server.Url, Token = _server.Token, ValidateCertificate = false }, Bound());

        var listing = await service.GetKernelSpecsAsync(null, refresh: true, Bound());
        var refused = Assert.Single(listing.Warnings);
        Assert.Equal("untrusted", refused.Provider);
        Assert.DoesNotContain(_server.Token, refused.Message);
        Assert.Contains(listing.Specs, s => s.Name == "pinned/python3");
        Assert.Contains(listing.Specs, s => s.Name == "unchecked/python3");

        // The kernel channels go over wss:// with the same trust settings.
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "pinned/python3" }, null, Bound());
        Assert.StartsWith("https://", kernel.Url);
        var execution = await service.ExecuteAsync(kernel.Id, "print('over tls')", new ExecuteOptions(), Bound());
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(Bound())) if (o is KernelStreamOutput s) text.Append(s.Text);
        Assert.Equal("over tls\n", text.ToString());
        await service.StopKernelAsync(kernel.Id, force: false, Bound());

        // A CA bundle that cannot be read is refused when the provider is registered, and nothing is recorded.
        var bad = await Assert.ThrowsAsync<KernelException>(() => service.RegisterProviderAsync(
            new ProviderRegistration { Name = "broken", Url = _server.Url, CaBundlePath = _pki.Combine("missing.pem") }, Bound()));
        Assert.Equal(ErrorIds.ProviderInvalid, bad.ErrorId);
        Assert.DoesNotContain(await service.GetProvidersAsync(Bound()), p => p.Name == "broken");
    }
}
