using System.Text.RegularExpressions;

namespace JupyterKernels.Providers;

/// <summary>
/// The registry of kernel providers: "local" (always present, spec names never prefixed) and named remote
/// providers persisted in <c>jupyterkernels_providers.json</c>. Resolves prefixed spec names, lists specs from all
/// providers concurrently (one failing provider gives a warning, never hides the others) and maps kernel records
/// to their provider. Thread-safe: reads are lock-free over an immutable snapshot.
/// </summary>
internal sealed partial class KernelProviders : IAsyncDisposable
{
    public const string LocalName = "local";
    public const string FileName = ProvidersFile.FileName;
    /// <summary>Default display-name suffix; {0} is the provider name.</summary>
    public const string DefaultDisplayNameSuffixFormat = " ({0})";

    private readonly IKernelProvider _local;
    private readonly string? _filePath;
    private readonly IRemoteProviderFactory _remote;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <param name="Persisted">False for providers defined by the environment (JUPYTER_GATEWAY_URL): never written to the file.</param>
    private sealed record Entry(ProviderRegistration Registration, IKernelProvider Provider, string Suffix, bool Persisted = true);

    private sealed record Snapshot(IReadOnlyList<string> Order, IReadOnlyDictionary<string, Entry> ByName)
    {
        public static readonly Snapshot Empty = new(Array.Empty<string>(), new Dictionary<string, Entry>(StringComparer.Ordinal));
    }

    /// <param name="local">The local provider (registered as "local").</param>
    /// <param name="providersFilePath">Where registrations are persisted; null = memory only.</param>
    /// <param name="displayNameSuffixFormat">Suffix for remote display names; {0} = provider name.</param>
    /// <param name="remote">Builds remote providers from registrations (the gateway provider, in the module).</param>
    public KernelProviders(IKernelProvider local, IRemoteProviderFactory remote, string? providersFilePath = null, string displayNameSuffixFormat = DefaultDisplayNameSuffixFormat)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        _local = local;
        _filePath = providersFilePath;
        DisplayNameSuffixFormat = displayNameSuffixFormat;
        _remote = remote;
    }

    public string DisplayNameSuffixFormat { get; }
    public string? ProvidersFilePath => _filePath;

    /// <summary>The providers file in a Jupyter config dir.</summary>
    public static string DefaultFilePath(string jupyterConfigDir) => Path.Combine(jupyterConfigDir, FileName);

    /// <summary>Creates the registry and loads the registrations from <c>{jupyterConfigDir}/jupyterkernels_providers.json</c>.</summary>
    public static async Task<KernelProviders> LoadAsync(IKernelProvider local, IRemoteProviderFactory remote, string jupyterConfigDir, CancellationToken cancellationToken,
        string displayNameSuffixFormat = DefaultDisplayNameSuffixFormat)
    {
        var registry = new KernelProviders(local, remote, DefaultFilePath(jupyterConfigDir), displayNameSuffixFormat);
        foreach (var r in await ProvidersFile.ReadAsync(registry._filePath!, cancellationToken).ConfigureAwait(false))
        {
            ValidateName(r.Name);
            registry.AddToSnapshot(r, force: true);
        }
        return registry;
    }

    // ---- registration -------------------------------------------------------------------------------------------

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    public static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !NamePattern().IsMatch(name))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                $"'{name}' is not a valid provider name: use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64).", name);
        if (string.Equals(name, LocalName, StringComparison.OrdinalIgnoreCase))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                $"'{LocalName}' is reserved for the local provider.", name);
    }

    /// <summary>Registers (or with Force replaces) a remote provider and persists it (without its token).</summary>
    public async Task<KernelProviderInfo> RegisterAsync(ProviderRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ValidateName(registration.Name);
        registration.CheckHeaderVariableNames();
        _remote.Validate(registration);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        Entry? replaced;
        try
        {
            if (!registration.Force && _snapshot.ByName.ContainsKey(registration.Name))
                throw new KernelException(ErrorIds.ProviderExists, KernelErrorCategory.ResourceExists,
                    $"A provider named '{registration.Name}' is already registered (use -Force to replace it).", registration.Name);
            replaced = AddToSnapshot(registration, registration.Force);
            await PersistAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { _writeLock.Release(); }
        if (replaced is not null) await replaced.Provider.DisposeAsync().ConfigureAwait(false);
        return Info(_snapshot.ByName[registration.Name]);
    }

    /// <summary>Removes a remote provider (ProviderNotFound when unknown; "local" cannot be removed).</summary>
    public async Task UnregisterAsync(string name, CancellationToken cancellationToken)
    {
        if (string.Equals(name, LocalName, StringComparison.OrdinalIgnoreCase))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidOperation, "The local provider cannot be unregistered.", name);
        Entry removed;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var s = _snapshot;
            if (!s.ByName.TryGetValue(name, out removed!)) throw NotFound(name);
            var dict = new Dictionary<string, Entry>(s.ByName, StringComparer.Ordinal);
            dict.Remove(name);
            _snapshot = new Snapshot(s.Order.Where(n => n != name).ToArray(), dict);
            await PersistAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { _writeLock.Release(); }
        await removed.Provider.DisposeAsync().ConfigureAwait(false);
    }

    private Entry? AddToSnapshot(ProviderRegistration registration, bool force)
    {
        var s = _snapshot;
        s.ByName.TryGetValue(registration.Name, out var old);
        if (old is not null && !force) throw new InvalidOperationException();
        var suffix = registration.DisplayNameSuffix ?? string.Format(System.Globalization.CultureInfo.InvariantCulture, DisplayNameSuffixFormat, registration.Name);
        var entry = new Entry(registration, _remote.Create(registration, suffix), suffix);
        var dict = new Dictionary<string, Entry>(s.ByName, StringComparer.Ordinal) { [registration.Name] = entry };
        var order = old is null ? s.Order.Append(registration.Name).ToArray() : s.Order;
        _snapshot = new Snapshot(order, dict);
        return old;
    }

    private Task PersistAsync(CancellationToken cancellationToken)
        => _filePath is null ? Task.CompletedTask
            : ProvidersFile.WriteAsync(_filePath, _snapshot.Order.Select(n => _snapshot.ByName[n]).Where(e => e.Persisted).Select(e => e.Registration), cancellationToken);

    /// <summary>The provider jupyter_server's own GatewayClient would use: when JUPYTER_GATEWAY_URL is set, a provider
    /// named "gateway" configured from the JUPYTER_GATEWAY_* variables (so existing setups work unchanged). It lives
    /// for this process only and is never written to the providers file; a registered "gateway" takes precedence.</summary>
    public const string EnvironmentProviderName = "gateway";

    public void AddEnvironmentProvider(Func<string, string?>? getEnvironmentVariable = null)
    {
        var suffix = string.Format(System.Globalization.CultureInfo.InvariantCulture, DisplayNameSuffixFormat, EnvironmentProviderName);
        var configured = _remote.FromEnvironment(EnvironmentProviderName, suffix, getEnvironmentVariable);
        if (configured is null || _snapshot.ByName.ContainsKey(EnvironmentProviderName)) return;
        var entry = new Entry(configured.Value.Registration, configured.Value.CreateProvider(), suffix, Persisted: false);
        var s = _snapshot;
        var dict = new Dictionary<string, Entry>(s.ByName, StringComparer.Ordinal) { [EnvironmentProviderName] = entry };
        _snapshot = new Snapshot(s.Order.Append(EnvironmentProviderName).ToArray(), dict);
    }

    // ---- lookup -------------------------------------------------------------------------------------------------

    public IKernelProvider Local => _local;

    /// <summary>All providers, local first, then in registration order.</summary>
    public IReadOnlyList<KernelProviderInfo> List()
    {
        var s = _snapshot;
        var list = new List<KernelProviderInfo>(s.Order.Count + 1) { new() { Name = LocalName, Kind = _local.Kind } };
        foreach (var n in s.Order) list.Add(Info(s.ByName[n]));
        return list;
    }

    public KernelProviderInfo GetInfo(string name)
        => string.Equals(name, LocalName, StringComparison.OrdinalIgnoreCase) ? new KernelProviderInfo { Name = LocalName, Kind = _local.Kind }
            : _snapshot.ByName.TryGetValue(name, out var e) ? Info(e) : throw NotFound(name);

    /// <summary>The provider named <paramref name="name"/> (ProviderNotFound when unknown).</summary>
    public IKernelProvider Get(string name)
        => TryGet(name, out var p) ? p : throw NotFound(name);

    public bool TryGet(string name, out IKernelProvider provider)
    {
        if (string.Equals(name, LocalName, StringComparison.OrdinalIgnoreCase)) { provider = _local; return true; }
        if (_snapshot.ByName.TryGetValue(name, out var e)) { provider = e.Provider; return true; }
        provider = null!;
        return false;
    }

    /// <summary>Splits a user spec name: <c>provider/name</c> goes to that provider, a bare name (or <c>local/name</c>) to local.</summary>
    public (IKernelProvider Provider, string ProviderSpecName) Resolve(string specName)
    {
        if (string.IsNullOrWhiteSpace(specName))
            throw new KernelException(ErrorIds.KernelSpecNotFound, KernelErrorCategory.InvalidArgument, "A kernelspec name is required.", specName);
        var slash = specName.IndexOf('/');
        if (slash < 0) return (_local, specName);
        var prefix = specName[..slash];
        var rest = specName[(slash + 1)..];
        if (rest.Length == 0)
            throw new KernelException(ErrorIds.KernelSpecNotFound, KernelErrorCategory.InvalidArgument, $"'{specName}' names no kernelspec after the provider.", specName);
        if (!TryGet(prefix, out var provider))
            throw new KernelException(ErrorIds.ProviderNotFound, KernelErrorCategory.ObjectNotFound,
                $"Kernelspec '{specName}' names provider '{prefix}', which is not registered (see Get-KernelProvider).", prefix);
        return (provider, rest);
    }

    /// <summary>The provider of a stored kernel (ProviderNotFound when it has been unregistered).</summary>
    public IKernelProvider GetProviderFor(KernelRecord kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return Get(string.IsNullOrEmpty(kernel.Provider) ? LocalName : kernel.Provider);
    }

    // ---- listing ------------------------------------------------------------------------------------------------

    /// <summary>Specs from every provider, queried concurrently; a failing provider adds one warning.</summary>
    /// <summary>
    /// Lists every provider's kernelspecs, all at once. Providers are independent: with a
    /// <paramref name="budget"/>, the listing ends when it is spent, with what the providers that answered gave and a
    /// ProviderTimeout warning for each one still silent (a server that accepts and never answers must not hold the
    /// local specs hostage). <paramref name="progress"/> hears, about once a second, which providers are awaited.
    /// </summary>
    public async Task<KernelSpecListing> ListKernelSpecsAsync(bool refresh, CancellationToken cancellationToken, IReadOnlyCollection<string>? only = null,
        TimeSpan? budget = null, IProgress<string>? progress = null)
    {
        var s = _snapshot;
        var providers = new List<(string Name, IKernelProvider Provider)>(s.Order.Count + 1) { (LocalName, _local) };
        foreach (var n in s.Order) providers.Add((n, s.ByName[n].Provider));
        if (only is not null) providers.RemoveAll(p => !only.Contains(p.Name, StringComparer.OrdinalIgnoreCase));

        var tasks = new Task<IReadOnlyList<KernelSpec>>[providers.Count];
        var remembered = new bool[providers.Count];
        for (int i = 0; i < providers.Count; i++)
        {
            // A provider that failed a moment ago is not asked again by a bounded listing (one that can do without it;
            // each ask may cost a whole timeout), unless refreshing. A listing of that provider alone asks it.
            if (!refresh && budget is not null && RecentFailure(providers[i].Name) is { } failure)
            {
                tasks[i] = Task.FromException<IReadOnlyList<KernelSpec>>(failure);
                remembered[i] = true;
                continue;
            }
            try { tasks[i] = providers[i].Provider.GetKernelSpecsAsync(refresh, cancellationToken); }
            catch (Exception e) { tasks[i] = Task.FromException<IReadOnlyList<KernelSpec>>(e); }
        }
        await WaitWithinBudgetAsync(tasks, providers.Select(p => p.Name).ToArray(), budget, progress, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var specs = new List<KernelSpec>();
        var warnings = new List<ProviderWarning>();
        for (int i = 0; i < tasks.Length; i++)
        {
            var t = tasks[i];
            if (t.IsCompletedSuccessfully)
            {
                specs.AddRange(t.Result);
                _failures.TryRemove(providers[i].Name, out _);
                continue;
            }
            if (!t.IsCompleted)
            {
                // Still running: it finishes (or fails) on its own, and a later listing may find it in the cache.
                _ = t.ContinueWith(static x => _ = x.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                var message = $"Provider '{providers[i].Name}' did not list its kernelspecs within {budget!.Value.TotalSeconds:0.#} s; they are left out " +
                    $"(Get-KernelSpec -Provider {providers[i].Name} waits for it alone).";
                NoteFailure(providers[i].Name, new KernelException(ErrorIds.ProviderTimeout, KernelErrorCategory.OperationTimeout, message, providers[i].Name));
                warnings.Add(new ProviderWarning(providers[i].Name, message, ErrorIds.ProviderTimeout));
                continue;
            }
            var e = t.Exception?.InnerException;
            if (e is KernelException failed && !remembered[i] && providers[i].Provider != _local) NoteFailure(providers[i].Name, failed);
            warnings.Add(e is KernelException ke
                ? new ProviderWarning(providers[i].Name, ke.Message, ke.ErrorId)
                : new ProviderWarning(providers[i].Name, $"Provider '{providers[i].Name}': listing kernelspecs failed: {e?.Message ?? "cancelled"}", ErrorIds.ProviderRequestFailed));
        }
        return new KernelSpecListing(specs, warnings);
    }

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    // ---- a short memory of failed providers -----------------------------------------------------------------------

    /// <summary>How long a remote provider that failed (unreachable, timed out, refused our token) is not asked again by
    /// listings that can do without it: a server that accepts and never answers would otherwise cost its whole timeout
    /// on every call. A refresh, and commands that need that provider, ask it again.</summary>
    public static readonly TimeSpan FailureMemory = TimeSpan.FromSeconds(30);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Until, KernelException Failure)> _failures = new(StringComparer.Ordinal);

    /// <summary>Remembers that <paramref name="name"/> failed now, for <see cref="FailureMemory"/>.</summary>
    public void NoteFailure(string name, KernelException failure)
    {
        if (failure.ErrorId is ErrorIds.ProviderUnreachable or ErrorIds.ProviderTimeout or ErrorIds.ProviderAuthenticationFailed)
            _failures[name] = (Environment.TickCount64 + (long)FailureMemory.TotalMilliseconds, failure);
    }

    /// <summary>True while <paramref name="name"/> failed less than <see cref="FailureMemory"/> ago.</summary>
    public bool RecentlyFailed(string name) => RecentFailure(name) is not null;

    private KernelException? RecentFailure(string name)
    {
        if (!_failures.TryGetValue(name, out var f)) return null;
        var left = f.Until - Environment.TickCount64;
        if (left > 0)
            return new KernelException(f.Failure.ErrorId, f.Failure.Category,
                $"{f.Failure.Message} (remembered: not asked again for {Math.Ceiling(left / 1000.0):0} s; -Refresh asks now)", name, f.Failure);
        _failures.TryRemove(new KeyValuePair<string, (long, KernelException)>(name, f));
        return null;
    }

    private static async Task WaitWithinBudgetAsync(Task[] tasks, string[] names, TimeSpan? budget, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(tasks);
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!all.IsCompleted)
        {
            var tick = ProgressInterval;
            if (budget is { } b)
            {
                var left = b - started.Elapsed;
                if (left <= TimeSpan.Zero) break;
                if (left < tick) tick = left;
            }
            await Task.WhenAny(all, Task.Delay(tick, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (all.IsCompleted) break;
            var waiting = names.Where((_, i) => !tasks[i].IsCompleted).Select(n => $"'{n}'");
            progress?.Report($"Waiting for provider {string.Join(", ", waiting)} ({started.Elapsed.TotalSeconds:0} s)");
        }
        if (all.IsCompleted)
        {
            try { await all.ConfigureAwait(false); }
            catch { /* inspected per task by the caller */ }
        }
    }

    private static KernelProviderInfo Info(Entry e) => new()
    {
        Name = e.Registration.Name,
        Kind = e.Provider.Kind,
        Url = e.Registration.Url,
        DisplayNameSuffix = e.Suffix,
        HasCredential = !string.IsNullOrEmpty(e.Registration.Token) || !string.IsNullOrEmpty(e.Registration.TokenEnvironmentVariable),
    };

    private static KernelException NotFound(string name)
        => new(ErrorIds.ProviderNotFound, KernelErrorCategory.ObjectNotFound, $"No provider named '{name}' is registered.", name);

    public async ValueTask DisposeAsync()
    {
        var s = _snapshot;
        _snapshot = Snapshot.Empty;
        foreach (var e in s.ByName.Values)
        {
            try { await e.Provider.DisposeAsync().ConfigureAwait(false); } catch { /* best effort */ }
        }
        _writeLock.Dispose();
    }
}
