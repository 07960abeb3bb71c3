using System.Reflection;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.TestKernel;

/// <summary>Options of <see cref="TestKernelHost.StartAsync"/>.</summary>
internal sealed record TestKernelStartOptions
{
    /// <summary>Start without subshell support (kernel_info has no "kernel subshells"; subshell requests go unanswered).</summary>
    public bool NoSubshells { get; init; }

    /// <summary>The kernelspec's interrupt_mode ("message" sends interrupt_request on control; "signal" sends SIGINT).</summary>
    public string InterruptMode { get; init; } = "message";

    /// <summary>Adjusts the client options the provider gives (e.g. a short IdleGrace).</summary>
    public Func<KernelClientOptions, KernelClientOptions>? ConfigureClient { get; init; }

    /// <summary>Attached to the client's channels before the client starts reading (bad signatures, malformed messages).</summary>
    public EventHandler<ChannelEvent>? OnChannelEvent { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Starts the test kernel through the real <see cref="LocalKernelProvider"/> (a kernelspec in a private temp dir,
/// argv <c>dotnet JupyterKernels.TestKernel.dll -f {connection_file}</c>) and connects a <see cref="KernelClient"/>.
/// For tests and for bench/ (e.g. subshell round trip while the main shell is busy vs main-shell round trip).
/// Dispose kills the kernel and deletes the temp dir.
/// </summary>
internal sealed class TestKernelHost : IAsyncDisposable
{
    public const string SpecName = "jk-testkernel";

    private readonly string _root;

    private TestKernelHost(string root, LocalKernelProvider provider, KernelRecord record, KernelClient client)
    {
        _root = root;
        Provider = provider;
        Record = record;
        Client = client;
    }

    public LocalKernelProvider Provider { get; }
    public KernelRecord Record { get; }
    public KernelClient Client { get; }
    public int? Pid => LocalKernelData.Of(Record).Pid;

    /// <summary>Starts a test kernel and returns a ready client (kernel_info answered, IOPub subscribed).</summary>
    public static async Task<TestKernelHost> StartAsync(TestKernelStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestKernelStartOptions();
        var root = Path.Combine(Path.GetTempPath(), $"jk-testkernel-{Guid.NewGuid():N}");
        var specDir = Path.Combine(root, "kernels");
        WriteSpec(specDir, options);
        var env = new FixedJupyterEnvironment(OperatingSystem.IsWindows() ? JupyterPlatform.Windows : JupyterPlatform.Linux, root,
            new Dictionary<string, string>
            {
                ["JUPYTER_RUNTIME_DIR"] = Path.Combine(root, "runtime"),
                ["JUPYTER_DATA_DIR"] = Path.Combine(root, "data"),
            });
        var provider = new LocalKernelProvider(new JupyterPaths(env), new KernelSpecCatalog(new[] { specDir }), ProcessJupyterEnvironment.Instance,
            new LocalProviderOptions { ShutdownWait = TimeSpan.FromSeconds(2), KillWait = TimeSpan.FromSeconds(3) });
        KernelRecord? record = null;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(options.StartTimeout + TimeSpan.FromSeconds(10));
            record = await provider.StartKernelAsync(new KernelStartRequest
            {
                KernelId = Guid.NewGuid().ToString(),
                SpecName = SpecName,
                StartTimeout = options.StartTimeout,
            }, cts.Token).ConfigureAwait(false);
            var client = await ConnectAsync(provider, record, options, cts.Token).ConfigureAwait(false);
            return new TestKernelHost(root, provider, record, client);
        }
        catch
        {
            if (record is not null) await KillQuietlyAsync(provider, record).ConfigureAwait(false);
            DeleteQuietly(root);
            throw;
        }
    }

    /// <summary>Another client of the same kernel (own session id).</summary>
    public Task<KernelClient> ConnectAsync(TestKernelStartOptions? options = null, CancellationToken cancellationToken = default)
        => ConnectAsync(Provider, Record, options ?? new TestKernelStartOptions(), cancellationToken);

    private static async Task<KernelClient> ConnectAsync(LocalKernelProvider provider, KernelRecord record, TestKernelStartOptions options, CancellationToken cancellationToken)
    {
        var channels = await provider.ConnectAsync(record, cancellationToken).ConfigureAwait(false);
        if (options.OnChannelEvent is { } handler) channels.Event += handler;
        var clientOptions = provider.GetClientOptions(record);
        if (options.ConfigureClient is { } configure) clientOptions = configure(clientOptions);
        var client = new KernelClient(record.Id, channels, clientOptions);
        try
        {
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    private static void WriteSpec(string specDir, TestKernelStartOptions options)
    {
        var dir = Path.Combine(specDir, SpecName);
        Directory.CreateDirectory(dir);
        var argv = new List<string> { TestKernelLocator.DotnetHost, TestKernelLocator.DllPath, "-f", "{connection_file}" };
        if (options.NoSubshells) argv.Add("--no-subshells");
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["argv"] = argv,
            ["display_name"] = "JupyterKernels test kernel",
            ["language"] = "testlang",
            ["interrupt_mode"] = options.InterruptMode,
            ["metadata"] = new Dictionary<string, object> { ["kernel_protocol_version"] = KernelServer.KernelProtocolVersion },
        });
        File.WriteAllText(Path.Combine(dir, "kernel.json"), json);
    }

    private static async Task KillQuietlyAsync(LocalKernelProvider provider, KernelRecord record)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await provider.ShutdownAsync(record, now: true, cts.Token).ConfigureAwait(false);
        }
        catch (Exception) { /* best effort */ }
    }

    private static void DeleteQuietly(string root)
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        await KillQuietlyAsync(Provider, Record).ConfigureAwait(false);
        DeleteQuietly(_root);
    }
}

/// <summary>Finds the <c>dotnet</c> host and the built test kernel.</summary>
internal static class TestKernelLocator
{
    /// <summary>JupyterKernels.TestKernel.dll in its own build output (next to its runtimeconfig.json).</summary>
    public static string DllPath
    {
        get
        {
            var assembly = typeof(TestKernelLocator).Assembly;
            var built = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TestKernelBuiltPath")?.Value;
            if (built is not null && File.Exists(built) && File.Exists(Path.ChangeExtension(built, ".runtimeconfig.json"))) return built;
            return assembly.Location;
        }
    }

    /// <summary>The dotnet host: DOTNET_HOST_PATH, the current process if it is dotnet, DOTNET_ROOT, well-known paths, PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
            var candidates = new List<string?>
            {
                Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
                Path.GetFileName(Environment.ProcessPath) == exe ? Environment.ProcessPath : null,
                Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? Path.Combine(root, exe) : null,
                "/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet", "/usr/local/share/dotnet/dotnet",
            };
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                candidates.Add(Path.Combine(dir, exe));
            return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c)) ?? exe;
        }
    }
}

/// <summary>Round-trip helpers for bench/: subshell execute while the main shell is busy vs a main-shell execute.</summary>
internal static class TestKernelBench
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>create_subshell_request on control; returns the new id.</summary>
    public static async Task<string> CreateSubshellAsync(KernelClient client, CancellationToken cancellationToken = default)
    {
        var reply = await client.RequestAsync(Messaging.KernelChannel.Control, "create_subshell_request", Messaging.RequestContent.Empty, Bound, cancellationToken).ConfigureAwait(false);
        return Messaging.ContentExtensions.GetStringOrNull(reply.Content, "subshell_id")
            ?? throw new InvalidOperationException("create_subshell_reply without subshell_id");
    }

    /// <summary>One execute round trip (request sent → reply and idle received, outputs drained).</summary>
    public static async Task<TimeSpan> RoundTripAsync(KernelClient client, string code = "print x", string? subshellId = null, CancellationToken cancellationToken = default)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var execution = await client.ExecuteAsync(code, new ExecuteOptions { SubShellId = subshellId, Timeout = Bound }, cancellationToken).ConfigureAwait(false);
        await foreach (var _ in execution.Outputs.ReadAllAsync(cancellationToken).ConfigureAwait(false)) { }
        await execution.Completion.ConfigureAwait(false);
        return sw.Elapsed;
    }

    /// <summary>Starts <c>sleep <paramref name="seconds"/></c> on the main shell (not awaited) so subshell round trips
    /// can be measured while it is busy. Await the returned task (or interrupt) when done.</summary>
    public static async Task<Task<KernelExecuteReply>> BusyMainShellAsync(KernelClient client, double seconds, CancellationToken cancellationToken = default)
    {
        var code = "sleep " + seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var execution = await client.ExecuteAsync(code, new ExecuteOptions { Timeout = TimeSpan.FromSeconds(seconds) + Bound }, cancellationToken).ConfigureAwait(false);
        return execution.Completion;
    }
}
