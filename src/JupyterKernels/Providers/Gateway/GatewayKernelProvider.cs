using System.Collections.Concurrent;
using System.Globalization;
using JupyterKernels.Connections;

namespace JupyterKernels.Providers.Gateway;

/// <summary>
/// Kernels on a Jupyter Server / Kernel Gateway / Enterprise Gateway. Spec names are prefixed <c>{Name}/</c>
/// and display names get <see cref="DisplayNameSuffix"/>; the spec listing is cached for
/// <see cref="GatewayOptions.KernelSpecCacheTtl"/> (refresh bypasses it).
/// </summary>
internal sealed class GatewayKernelProvider : IKernelProvider, IKeepsSessions
{
    public const string KindName = "gateway";

    private readonly GatewayClient _client;
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly Func<IEnumerable<KeyValuePair<string, string>>> _processEnvironment;
    private readonly ConcurrentDictionary<string, byte> _knownKernels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _specLock = new(1, 1);
    private volatile SpecCache? _specs;

    private sealed record SpecCache(IReadOnlyList<KernelSpec> Specs, Task<IReadOnlyList<KernelSpec>> AsTask, long ExpiresAt);

    public GatewayKernelProvider(string name, GatewayOptions options, string? displayNameSuffix = null)
        : this(name, options, displayNameSuffix, null, null) { }

    internal GatewayKernelProvider(string name, GatewayOptions options, string? displayNameSuffix,
        Func<string, string?>? getEnvironmentVariable, Func<IEnumerable<KeyValuePair<string, string>>>? processEnvironment)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _client = new GatewayClient(name, options);
        DisplayNameSuffix = displayNameSuffix ?? $" ({name})";
        _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
        _processEnvironment = processEnvironment ?? ProcessEnvironment;
    }

    public string Name { get; }
    public string Kind => KindName;

    public ProviderCapabilities Capabilities => ProviderCapabilities.None;
    public string DisplayNameSuffix { get; }
    public GatewayClient Client => _client;
    public GatewayOptions Options => _client.Options;

    // ---- kernelspecs --------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken)
    {
        var cache = _specs;
        if (!refresh && cache is not null && Environment.TickCount64 < cache.ExpiresAt) return cache.AsTask;
        return LoadSpecsAsync(refresh, cancellationToken);
    }

    private async Task<IReadOnlyList<KernelSpec>> LoadSpecsAsync(bool refresh, CancellationToken cancellationToken)
    {
        await _specLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cache = _specs;
            if (!refresh && cache is not null && Environment.TickCount64 < cache.ExpiresAt) return cache.Specs;
            var remote = await _client.GetKernelSpecsAsync(cancellationToken).ConfigureAwait(false);
            var specs = remote.Specs.Select(s => ToKernelSpec(s, s.Name == remote.Default)).ToArray();
            _specs = new SpecCache(specs, Task.FromResult<IReadOnlyList<KernelSpec>>(specs), Environment.TickCount64 + (long)Options.KernelSpecCacheTtl.TotalMilliseconds);
            return specs;
        }
        finally { _specLock.Release(); }
    }

    private KernelSpec ToKernelSpec(RemoteKernelSpec s, bool isDefault) => new()
    {
        Name = $"{Name}/{s.Name}",
        DisplayName = s.DisplayName + DisplayNameSuffix,
        Language = s.Language,
        Provider = Name,
        ProviderSpecName = s.Name,
        InterruptMode = s.InterruptMode,
        Argv = s.Argv,
        Env = s.Env,
        Resources = s.Resources,
        IsDefault = isDefault,
    };

    /// <summary>Downloads a spec's resources (logos, kernel.js/css) into <paramref name="folder"/>; returns the files
    /// written. <paramref name="specName"/> is the provider's spec name or the prefixed name.</summary>
    public async Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken)
    {
        var bare = specName.StartsWith(Name + "/", StringComparison.Ordinal) ? specName[(Name.Length + 1)..] : specName;
        var specs = await GetKernelSpecsAsync(false, cancellationToken).ConfigureAwait(false);
        var spec = specs.FirstOrDefault(s => s.ProviderSpecName == bare)
            ?? throw new KernelException(ErrorIds.KernelSpecNotFound, KernelErrorCategory.ObjectNotFound,
                $"Provider '{Name}' has no kernelspec '{bare}'.", specName);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var (_, url) in spec.Resources)
        {
            var fileName = Path.GetFileName(new Uri(new Uri("http://x/"), url).AbsolutePath);
            if (string.IsNullOrEmpty(fileName) || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || fileName is "." or "..") continue;
            var bytes = await _client.GetResourceAsync(url, cancellationToken).ConfigureAwait(false);
            if (bytes is null) continue;
            var target = Path.Combine(folder, fileName);
            await AtomicFile.WriteAsync(target, bytes, userOnly: false, durable: false, cancellationToken).ConfigureAwait(false);
            written.Add(target);
        }
        return written;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    public async Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bare = request.SpecName.StartsWith(Name + "/", StringComparison.Ordinal) ? request.SpecName[(Name.Length + 1)..] : request.SpecName;
        var launch = Options.LaunchTimeout ?? request.StartTimeout;
        var env = BuildStartEnvironment(request, launch);
        var clientId = Options.SendClientKernelId && IsCanonicalUuid(request.KernelId) ? request.KernelId : null;
        if (clientId is not null) env["KERNEL_ID"] = clientId;
        var timeout = launch + Options.LaunchTimeoutPad;
        if (timeout < Options.RequestTimeout) timeout = Options.RequestTimeout;
        var model = await _client.StartKernelAsync(bare, env, clientId, null, timeout, cancellationToken).ConfigureAwait(false);
        _knownKernels.TryAdd(model.Id, 0);
        var cached = _specs?.Specs.FirstOrDefault(s => s.ProviderSpecName == bare);
        var now = DateTimeOffset.UtcNow;
        return new KernelRecord
        {
            Id = request.KernelId,
            RemoteId = model.Id,
            Provider = Name,
            SpecName = $"{Name}/{(string.IsNullOrEmpty(model.Name) ? bare : model.Name)}",
            DisplayName = cached?.DisplayName ?? "",
            InterruptMode = cached?.InterruptMode ?? "signal",
            CreatedAt = now,
            LastSeenAt = now,
            LastActivityAt = model.LastActivity,
            State = model.State == KernelState.Unknown ? KernelState.Starting : model.State,
            Connections = model.Connections,
            Owner = $"{Environment.UserName}@{Environment.MachineName}",
            ProviderData = new RemoteKernelData { Url = _client.KernelUrl(model.Id).ToString() }.ToJson(),
        };
    }

    /// <summary>GatewayClient semantics: every KERNEL_* variable of this process plus the allow-listed names, then
    /// the request's own variables, then KERNEL_USERNAME (default http_user, else the OS user), KERNEL_LAUNCH_TIMEOUT
    /// and KERNEL_WORKING_DIR.</summary>
    internal Dictionary<string, string> BuildStartEnvironment(KernelStartRequest request, TimeSpan launchTimeout)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in _processEnvironment())
            if (k.StartsWith("KERNEL_", StringComparison.Ordinal)) env[k] = v;
        foreach (var name in Options.AllowedEnvs)
            if (_getEnvironmentVariable(name) is { } v) env[name] = v;
        foreach (var (k, v) in request.Environment) env[k] = v;
        if (!env.ContainsKey("KERNEL_USERNAME"))
            env["KERNEL_USERNAME"] = Options.KernelUsername ?? Options.HttpUser ?? Environment.UserName;
        env["KERNEL_LAUNCH_TIMEOUT"] = ((int)Math.Ceiling(launchTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(request.WorkingDirectory)) env["KERNEL_WORKING_DIR"] = request.WorkingDirectory;
        return env;
    }

    private static IEnumerable<KeyValuePair<string, string>> ProcessEnvironment()
    {
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) yield return new(k, v);
    }

    /// <summary>Enterprise Gateway accepts KERNEL_ID only as a canonical lowercase UUID.</summary>
    internal static bool IsCanonicalUuid(string id)
        => id.Length == 36 && Guid.TryParseExact(id, "D", out var g) && g.ToString("D") == id;

    public ProviderKernelView Describe(KernelRecord kernel) => RemoteKernelData.Of(kernel).View;

    private static string RemoteId(KernelRecord kernel) => kernel.RemoteId ?? kernel.Id;

    public async Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken)
        => await ConnectWebSocketAsync(kernel, null, cancellationToken).ConfigureAwait(false);

    /// <summary>Opens the channels; <paramref name="offerV1"/> false forces the legacy JSON framing.</summary>
    public async Task<WebSocketKernelChannels> ConnectWebSocketAsync(KernelRecord kernel, bool? offerV1, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var channels = await WebSocketKernelChannels.ConnectAsync(_client, RemoteId(kernel), null, offerV1, cancellationToken).ConfigureAwait(false);
        _knownKernels.TryAdd(RemoteId(kernel), 0);
        return channels;
    }

    public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken)
        => _client.InterruptKernelAsync(RemoteId(kernel), cancellationToken);

    /// <summary>A remote kernel has no process here: the heartbeat and the server tell its death; the server interrupts it.</summary>
    public KernelClientOptions GetClientOptions(KernelRecord kernel)
        => new() { Interrupt = new KernelInterrupt.ThroughServer(_client, RemoteId(kernel)) };

    public async Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        var timeout = (Options.LaunchTimeout ?? TimeSpan.FromSeconds(40)) + Options.LaunchTimeoutPad;
        if (timeout < Options.RequestTimeout) timeout = Options.RequestTimeout;
        var model = await _client.RestartKernelAsync(RemoteId(kernel), timeout, cancellationToken).ConfigureAwait(false);
        return Update(kernel, model);
    }

    /// <summary>DELETE; a kernel that is already gone (404) counts as shut down. <paramref name="now"/> has no remote meaning.</summary>
    public async Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken)
    {
        await _client.DeleteKernelAsync(RemoteId(kernel), cancellationToken).ConfigureAwait(false);
        _knownKernels.TryRemove(RemoteId(kernel), out _);
    }

    public async Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken)
    {
        RemoteKernel? model;
        try
        {
            model = await _client.TryGetKernelAsync(RemoteId(kernel), cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e)
        {
            return new KernelProbe(KernelLiveness.Unknown, e.Message);
        }
        if (model is null) return new KernelProbe(KernelLiveness.Gone, $"HTTP 404 from provider '{Name}': the kernel no longer exists");
        _knownKernels.TryAdd(model.Id, 0);
        return new KernelProbe(KernelLiveness.Alive, model.Reason is null ? $"execution_state {model.ExecutionState}" : $"execution_state {model.ExecutionState}: {model.Reason}")
        {
            State = model.State,
            LastActivity = model.LastActivity,
            Connections = model.Connections,
        };
    }

    /// <summary>GET /api/kernels; when the server forbids listing (KG/EG 403) the kernels this provider knows of are
    /// fetched one by one and the listing is marked incomplete.</summary>
    public Task MirrorSessionAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken)
        => GatewaySessionMirror.MirrorAsync(_client, session, kernel, _ => { }, cancellationToken);

    public Task RemoveSessionMirrorAsync(KernelSession session, KernelRecord kernel, CancellationToken cancellationToken)
        => GatewaySessionMirror.RemoveAsync(_client, session, kernel, _ => { }, cancellationToken);

    /// <summary>GET /api/sessions. A server without sessions (Kernel Gateway answers 404) has none.</summary>
    public async Task<IReadOnlyList<ProviderSession>> ListSessionsAsync(CancellationToken cancellationToken)
    {
        var sessions = await _client.TryListSessionsAsync(cancellationToken).ConfigureAwait(false);
        if (sessions is null) return Array.Empty<ProviderSession>();
        return sessions.Where(s => s.Kernel is not null)
            .Select(s => new ProviderSession(s.Name, s.Path, s.Type, ToProviderKernel(s.Kernel!)))
            .ToList();
    }

    public async Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken)
    {
        var all = await _client.ListKernelsAsync(cancellationToken).ConfigureAwait(false);
        if (all is not null)
            return new ProviderKernelListing(all.Select(ToProviderKernel).ToArray(), Complete: true);
        var found = new List<ProviderKernel>();
        foreach (var id in _knownKernels.Keys)
        {
            var model = await _client.TryGetKernelAsync(id, cancellationToken).ConfigureAwait(false);
            if (model is null) _knownKernels.TryRemove(id, out _);
            else found.Add(ToProviderKernel(model));
        }
        return new ProviderKernelListing(found, Complete: false);
    }

    /// <summary>Makes <see cref="ListKernelsAsync"/> probe this id when listing is forbidden (e.g. kernels from the store).</summary>
    public void TrackKernel(string remoteKernelId) => _knownKernels.TryAdd(remoteKernelId, 0);

    private ProviderKernel ToProviderKernel(RemoteKernel k) => new(k.Id, $"{Name}/{k.Name}")
    {
        ProviderData = new RemoteKernelData { Url = _client.KernelUrl(k.Id).ToString() }.ToJson(),
        State = k.State,
        LastActivity = k.LastActivity,
        Connections = k.Connections,
    };

    private static KernelRecord Update(KernelRecord kernel, RemoteKernel model) => kernel with
    {
        State = model.State == KernelState.Unknown ? kernel.State : model.State,
        LastActivityAt = model.LastActivity ?? kernel.LastActivityAt,
        LastSeenAt = DateTimeOffset.UtcNow,
        Connections = model.Connections,
    };

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _specLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
