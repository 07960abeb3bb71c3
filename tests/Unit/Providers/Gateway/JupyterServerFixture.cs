using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace JupyterKernels.Tests.Gateway;

/// <summary>A real jupyter-server on 127.0.0.1 with a random token, in temp dirs; killed (with its kernels) on dispose.</summary>
public sealed class JupyterServer : IAsyncDisposable
{
    private Process? _process;
    private readonly string _root;

    private JupyterServer(int port, string token, string root, (string Cert, string Key)? tls = null, (string ClientCa, string ProbeCertPem)? clientAuth = null)
    {
        Port = port;
        Token = token;
        _root = root;
        _tls = tls;
        _clientAuth = clientAuth;
    }

    private readonly (string Cert, string Key)? _tls;
    private readonly (string ClientCa, string ProbeCertPem)? _clientAuth;

    public int Port { get; }
    public string Token { get; }
    /// <summary>The server process (to freeze it with SIGSTOP).</summary>
    public int? Pid => _process?.Id;
    public string Url => $"{(_tls is null ? "http" : "https")}://127.0.0.1:{Port}/";
    public string RootDir => Path.Combine(_root, "root");

    /// <param name="tls">Serve HTTPS with this certificate and key (PEM files).</param>
    /// <param name="clientAuth">Require client certificates from this CA; the probe authenticates with the given PEM (cert + key).</param>
    public static async Task<JupyterServer> StartAsync(int? port = null, string? token = null, string? root = null, (string Cert, string Key)? tls = null,
        (string ClientCa, string ProbeCertPem)? clientAuth = null)
    {
        root ??= Directory.CreateTempSubdirectory("jk-gw-").FullName;
        var server = new JupyterServer(port ?? FreePort(), token ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant(), root, tls, clientAuth);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Starts the same server again (same port, token and dirs) after <see cref="KillAsync"/>.</summary>
    public async Task LaunchAsync()
    {
        foreach (var d in new[] { "root", "runtime", "data", "config", "kernels" }) Directory.CreateDirectory(Path.Combine(_root, d));
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", $"--ServerApp.port={Port}", "--ServerApp.port_retries=0",
                     $"--ServerApp.token={Token}", $"--ServerApp.root_dir={RootDir}", "--ServerApp.open_browser=False",
                     // Only a private (empty) kernelspec dir: the server then lists exactly ipykernel's native python3
                     // (ensure_native_kernel), never whatever else the machine has installed.
                     $"--KernelSpecManager.kernel_dirs=['{Path.Combine(_root, "kernels")}']" })
            psi.ArgumentList.Add(a);
        if (Environment.UserName == "root") psi.ArgumentList.Add("--allow-root");
        if (_tls is { } tls)
        {
            psi.ArgumentList.Add($"--ServerApp.certfile={tls.Cert}");
            psi.ArgumentList.Add($"--ServerApp.keyfile={tls.Key}");
        }
        if (_clientAuth is { } auth) psi.ArgumentList.Add($"--ServerApp.client_ca={auth.ClientCa}");
        psi.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(_root, "runtime");
        psi.Environment["JUPYTER_DATA_DIR"] = Path.Combine(_root, "data");
        psi.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(_root, "config");
        psi.Environment["JUPYTER_PLATFORM_DIRS"] = "0";
        psi.Environment.Remove("JUPYTER_GATEWAY_URL");
        psi.Environment.Remove("PYTHONPATH");
        var log = new System.Text.StringBuilder();
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // The readiness probe only asks whether the server answers; certificate checks are the tests' business.
        var probe = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        if (_clientAuth is { } client) probe.ClientCertificates.Add(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(client.ProbeCertPem));
        using var http = new HttpClient(probe) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited) break;
            try
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, Url + "api/status");
                req.Headers.TryAddWithoutValidation("Authorization", "token " + Token);
                using var resp = await http.SendAsync(req);
                if (resp.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(100);
        }
        await KillAsync();
        string text; lock (log) text = log.ToString();
        throw new InvalidOperationException("jupyter_server did not start:\n" + text.Replace(Token, "***"));
    }

    public async Task KillAsync()
    {
        var p = _process;
        _process = null;
        if (p is null) return;
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        p.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>One server shared by the tests that do not break it.</summary>
public sealed class JupyterServerFixture : IAsyncLifetime
{
    public JupyterServer Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await JupyterServer.StartAsync();
    public async Task DisposeAsync() { if (Server is not null) await Server.DisposeAsync(); }
}

[CollectionDefinition("jupyter-server")]
public sealed class JupyterServerCollection : ICollectionFixture<JupyterServerFixture> { }
