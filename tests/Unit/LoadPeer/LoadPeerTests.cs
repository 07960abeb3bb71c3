using JupyterKernels.Connections;
using JupyterKernels.LoadPeer;
using JupyterKernels.Messaging;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.LoadPeer;

/// <summary>The multi-kernel load peer (NetMQ, one poller) serves many kernels in one process: each one driven by our
/// KernelClient through its connection file answers kernel_info and execute correctly, with its own key and its own
/// execution count, and no reply or output lands on another kernel's client.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class LoadPeerTests : IAsyncLifetime
{
    private const int Kernels = 20;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private LoadPeerProcess _peer = null!;
    private readonly List<KernelClient> _clients = new();

    public async Task InitializeAsync()
    {
        _peer = await LoadPeerProcess.StartAsync(Kernels, TimeSpan.FromSeconds(60));
        using var cts = new CancellationTokenSource(Bound);
        var connected = await Task.WhenAll(_peer.ConnectionFiles.Select(file => ConnectAsync(file, cts.Token)));
        _clients.AddRange(connected);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        await _peer.DisposeAsync();
    }

    /// <summary>As the product connects to a local kernel's connection file: read it, open our ZMTP channels, wait for kernel_info.</summary>
    private static async Task<KernelClient> ConnectAsync(string connectionFile, CancellationToken cancellationToken)
    {
        var info = await ConnectionFile.ReadAsync(connectionFile, cancellationToken);
        var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), cancellationToken);
        var client = new KernelClient(Path.GetFileNameWithoutExtension(connectionFile), channels, new KernelClientOptions());
        await client.WaitForReadyAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return client;
    }

    [Fact]
    public void Every_kernel_has_its_own_ports_and_key()
    {
        var infos = _peer.ConnectionFiles.Select(ConnectionFile.Read).ToList();
        Assert.Equal(Kernels, infos.Select(i => i.Key).Distinct().Count());
        var perKernelPorts = infos.SelectMany(i => new[] { i.ShellPort, i.IOPubPort, i.ControlPort, i.HbPort }).ToList();
        Assert.Equal(perKernelPorts.Count, perKernelPorts.Distinct().Count());
        Assert.All(infos, i => Assert.Equal("hmac-sha256", i.SignatureScheme));
    }

    [Fact]
    public async Task Kernel_info_answers_on_shell_and_control_with_the_peer_identity()
    {
        using var cts = new CancellationTokenSource(Bound);
        foreach (var client in _clients)
        {
            Assert.Equal("5.3", client.Info!.ProtocolVersion);
            Assert.Equal(VirtualKernel.Implementation, client.Info.Implementation);
            var onShell = await client.GetKernelInfoAsync(TimeSpan.FromSeconds(10), cts.Token, KernelChannel.Shell);
            Assert.Equal("loadlang", onShell.LanguageName);
            Assert.Contains($"virtual kernel {client.KernelId["kernel-".Length..]}", onShell.Banner);
        }
    }

    [Fact]
    public async Task Concurrent_executes_on_every_kernel_are_correct_and_never_crossed()
    {
        // Three requests per kernel in flight at once on all kernels; each value names its kernel and its round.
        var runs = _clients.SelectMany((client, k) => Enumerable.Range(0, 3).Select(round => (client, k, round))).ToList();
        var results = await Task.WhenAll(runs.Select(async r =>
        {
            var code = r.round == 2 ? $"print({r.k} * 1000 + {r.round})" : $"{r.k} * 1000 + {r.round}";
            return (r.client, r.k, r.round, result: await ExecutionResult.RunAsync(r.client, code, bound: Bound));
        }));
        foreach (var (client, k, round, result) in results)
        {
            Assert.Equal("ok", result.Reply.Status);
            var expected = (k * 1000 + round).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (round == 2) Assert.Equal(expected + "\n", result.Stdout);
            else Assert.Equal(expected, result.ResultText);
        }
        // Each kernel counted exactly its own three executions.
        foreach (var (client, k) in _clients.Select((c, k) => (c, k)))
        {
            var counts = results.Where(r => r.k == k).Select(r => r.result.Reply.ExecutionCount).OrderBy(c => c).ToList();
            Assert.Equal(new int?[] { 1, 2, 3 }, counts);
        }
    }

    [Fact]
    public async Task An_error_is_an_error_reply_and_shutdown_closes_only_that_kernel()
    {
        var failed = await ExecutionResult.RunAsync(_clients[0], "1 // 0", bound: Bound);
        Assert.Equal("error", failed.Reply.Status);
        Assert.Equal("ZeroDivisionError", Assert.Single(failed.Errors).Ename);

        using var cts = new CancellationTokenSource(Bound);
        Assert.True(await _clients[1].ShutdownAsync(restart: false, TimeSpan.FromSeconds(10), cts.Token));
        var other = await ExecutionResult.RunAsync(_clients[2], "6 * 7", bound: Bound);
        Assert.Equal("42", other.ResultText);
        Assert.False(_peer.HasExited);
    }
}

/// <summary>What a virtual kernel evaluates (no process needed).</summary>
public sealed class TrivialCodeTests
{
    [Theory]
    [InlineData("1", "1", null)]
    [InlineData("2 * (3 + 4) - 5", "9", null)]
    [InlineData("-7 // 2", "-4", null)]
    [InlineData("-7 % 3", "2", null)]
    [InlineData("print(40 + 2)", null, "42\n")]
    [InlineData("x + 1", null, null)]
    public void Trivial_code_follows_python_integer_semantics(string code, string? value, string? printed)
    {
        var outcome = TrivialCode.Run(code);
        Assert.Equal(value, outcome.Value);
        Assert.Equal(printed, outcome.Printed);
        Assert.Equal(value is null && printed is null, outcome.Error is not null);
    }
}
