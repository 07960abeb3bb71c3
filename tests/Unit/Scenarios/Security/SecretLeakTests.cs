using System.Collections;
using System.Reflection;
using System.Xml.Linq;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Security;

/// <summary>
/// A real local ipykernel (its connection key) and a real jupyter-server with a token: every string the public
/// objects produce (ToString and public properties of pipeline objects, exception messages with inner exceptions,
/// progress/warning/diagnostic texts, channel events) is scanned for the key and the tokens.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class SecretLeakTests(ITestOutputHelper output)
{
    private readonly List<(string Where, string Text)> _seen = new();

    private sealed class Sink<T>(Action<T> add) : IProgress<T>
    {
        public void Report(T value) => add(value);
    }

    /// <summary>Everything a sync says besides its results, as text.</summary>
    private sealed class SyncText(Action<string, string> add) : JupyterKernels.Sync.ISyncObserver
    {
        public void Progress(string activity) => add("sync progress", activity);
        public void Warning(KernelWarning warning) => add("sync warning", warning.Message);
        public void ProviderFailed(KernelException failure) => add("sync provider failed", failure.Message);
    }

    private void Text(string where, string? text)
    {
        if (text is null) return;
        lock (_seen) _seen.Add((where, text));
    }

    /// <summary>ToString plus every public property (one level into collections and dictionaries): what
    /// <c>Format-List *</c> would show for a pipeline object.</summary>
    private void Object(string where, object? o, bool properties = true)
    {
        if (o is null) return;
        Text(where, o.ToString());
        if (!properties || o is string) return;
        foreach (var p in o.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0) continue;
            object? v;
            try { v = p.GetValue(o); } catch (TargetInvocationException) { continue; }
            if (v is null) continue;
            Text($"{where}.{p.Name}", v.ToString());
            if (v is IDictionary d)
                foreach (DictionaryEntry e in d) { Text($"{where}.{p.Name}[key]", e.Key.ToString()); Text($"{where}.{p.Name}[value]", e.Value?.ToString()); }
            else if (v is IEnumerable items and not string)
                foreach (var item in items.Cast<object?>().Take(100)) Text($"{where}.{p.Name}[]", item?.ToString());
        }
    }

    private void Error(string where, Exception? e)
    {
        for (int depth = 0; e is not null; depth++, e = e.InnerException)
        {
            Text($"{where} (inner {depth}) message", e.Message);
            Text($"{where} (inner {depth}) ToString", e.ToString());
            if (e is KernelException k) { Text($"{where} ErrorId", k.ErrorId); Text($"{where} Target", k.Target?.ToString()); }
            foreach (DictionaryEntry entry in e.Data) Text($"{where} Data", $"{entry.Key}={entry.Value}");
        }
    }

    private async Task Expect(string where, Func<Task> action)
    {
        try { await action(); Text(where, "(no error)"); }
        catch (Exception e) { Error(where, e); }
    }

    private static CancellationToken Bound(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task No_connection_key_or_token_in_any_string_produced_by_public_objects_errors_or_diagnostics()
    {
        var wrongToken = "wrong-token-" + Guid.NewGuid().ToString("N");
        await using var server = await JupyterServer.StartAsync();
        await using var fixture = new ServiceFixture();
        var failing = fixture.Root.Combine("share", "kernels", "failing");
        Directory.CreateDirectory(failing);
        File.WriteAllText(Path.Combine(failing, "kernel.json"),
            "{\"argv\":[\"/bin/sh\",\"-c\",\"echo starting with $1 >&2; exit 1\",\"failing\",\"{connection_file}\"],\"display_name\":\"failing\",\"language\":\"sh\"}");
        var progress = new Sink<string>(t => Text("progress", t));
        string key;
        await using (var service = fixture.NewService())
        {
            var registration = new ProviderRegistration { Name = "srv", Url = server.Url, Token = server.Token };
            Object("registration", registration, properties: false); // an input object: its Token property is the input itself
            Object("provider", await service.RegisterProviderAsync(registration, Bound()));
            Object("provider-bad", await service.RegisterProviderAsync(new ProviderRegistration { Name = "bad", Url = server.Url, Token = wrongToken }, Bound()));
            foreach (var p in await service.GetProvidersAsync(Bound())) Object("providers", p);

            var listing = await service.GetKernelSpecsAsync(null, false, Bound());
            Object("listing", listing);
            foreach (var s in listing.Specs) Object("spec", s);

            var local = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, progress, Bound());
            var remote = await service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, progress, Bound());
            try
            {
                var file = Directory.GetFiles(fixture.Root.Combine("runtime"), "kernel-*.json").Single();
                var info = ConnectionFile.Read(file);
                key = info.Key;
                Assert.NotEmpty(key);
                Object("ConnectionInfo", info, properties: false);

                foreach (var k in new[] { local, remote }) Object("kernel", k);
                foreach (var k in await service.GetKernelsAsync(Bound())) Object("kernels", k);
                Object("kernel-by-id", await service.GetKernelAsync(local.Id, Bound()));

                foreach (var k in new[] { local, remote })
                {
                    var execution = await service.ExecuteAsync(k.Id, "import os; print('out'); display(1); 6*7", new ExecuteOptions(), Bound());
                    await foreach (var o in execution.Outputs.ReadAllAsync(Bound())) Object($"output {k.Provider}", o);
                    Object($"reply {k.Provider}", await execution.Completion.WaitAsync(Bound()));
                    var failingCell = await service.ExecuteAsync(k.Id, "raise ValueError('boom')", new ExecuteOptions(), Bound());
                    await foreach (var o in failingCell.Outputs.ReadAllAsync(Bound())) Object($"error output {k.Provider}", o);
                    await Expect($"timeout {k.Provider}", async () =>
                    {
                        var slow = await service.ExecuteAsync(k.Id, "import time; time.sleep(5)", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(0.5) }, Bound());
                        await slow.Completion.WaitAsync(Bound());
                    });
                }

                await foreach (var r in service.SynchronizeAsync(new SyncOptions { Adopt = true }, null, new SyncText(Text), Bound()))
                    Object("sync", r);

                await Expect("unknown spec", () => service.StartKernelAsync(new StartKernelOptions { SpecName = "nope" }, progress, Bound()));
                await Expect("failing spec", () => service.StartKernelAsync(new StartKernelOptions { SpecName = "failing", StartTimeout = TimeSpan.FromSeconds(20) }, progress, Bound()));
                await Expect("wrong token specs", async () => Object("bad listing", await service.GetKernelSpecsAsync("bad", true, Bound())));
                await Expect("wrong token start", () => service.StartKernelAsync(new StartKernelOptions { SpecName = "bad/python3" }, progress, Bound()));
                await Expect("unknown kernel", () => service.GetKernelAsync("no-such-kernel", Bound()));
                await Expect("unknown provider", () => service.UnregisterProviderAsync("no-such-provider", Bound()));

                await using (var store = await KernelStore.OpenAsync(fixture.DatabasePath))
                {
                    foreach (var record in await store.ListKernelsAsync())
                    {
                        Object("record", record, properties: false);
                        Object("record.ToKernel", record.ToKernel(record.Provider == "local" ? record.LocalData().View : record.RemoteData().View));
                    }
                }
            }
            finally
            {
                foreach (var k in new[] { local, remote })
                    await Expect($"stop {k.Provider}", () => service.StopKernelAsync(k.Id, force: false, Bound()));
            }
            await Expect("execute on stopped", () => service.ExecuteAsync(remote.Id, "1", new ExecuteOptions(), Bound()));
        }

        // The gateway layer directly: options, 404 and 401.
        var options = GatewayTestUtil.Options(server.Url, server.Token) with { HttpUser = "u", HttpPassword = "pw-" + server.Token };
        Object("GatewayOptions", options, properties: false);
        using (var client = new GatewayClient("srv", options))
            await Expect("404", () => client.GetKernelAsync(Guid.NewGuid().ToString(), Bound()));
        using (var client = new GatewayClient("bad", GatewayTestUtil.Options(server.Url, wrongToken)))
            await Expect("401", () => client.GetKernelSpecsAsync(Bound()));

        output.WriteLine($"{_seen.Count} strings scanned");
        Assert.Contains(_seen, s => s.Where.StartsWith("401") && s.Text.Contains(ErrorIds.ProviderAuthenticationFailed));
        Assert.Contains(_seen, s => s.Where.StartsWith("failing spec") && s.Text.Contains(ErrorIds.KernelExitedDuringStart));
        var leaks = _seen.Where(s => s.Text.Contains(key) || s.Text.Contains(server.Token) || s.Text.Contains(wrongToken)).ToList();
        Assert.True(leaks.Count == 0, "secret found in: " + string.Join("\n", leaks.Select(l => $"{l.Where}: {l.Text[..Math.Min(300, l.Text.Length)]}")));
    }

    [Fact]
    public async Task Local_client_diagnostics_and_channel_events_never_contain_the_key()
    {
        var texts = new List<string>();
        await using var fixture = new LocalKernelFixture();
        var record = await fixture.StartAsync();
        var info = ConnectionFile.Read(record.LocalData().ConnectionFile!);
        // A client with the wrong key: every kernel message fails verification and is reported.
        var wrongKey = "wrong-" + Guid.NewGuid().ToString("N");
        var channels = await ZmtpKernelChannels.ConnectAsync(info with { Key = wrongKey }, Guid.NewGuid().ToString("N"), Bound());
        channels.Event += (_, e) => { lock (texts) texts.Add(e.ToString()); };
        await using (var client = new KernelClient(record.Id, channels, fixture.Provider.GetClientOptions(record) with { HeartbeatTimeout = TimeSpan.FromMilliseconds(300) }))
        {
            client.Diagnostic += (_, t) => { lock (texts) texts.Add(t); };
            // A correct client runs code: its IOPub broadcast reaches the wrong-key client too, which must drop it.
            await using (var good = await fixture.ConnectAsync(record))
            {
                await Task.Delay(500); // the wrong-key SUB's subscription
                Assert.Equal("seen\n", (await ExecutionResult.RunAsync(good, "print('seen')", bound: TimeSpan.FromSeconds(20))).Stdout);
            }
            var error = await Assert.ThrowsAsync<KernelException>(() => client.WaitForReadyAsync(TimeSpan.FromSeconds(2), Bound()));
            lock (texts) texts.Add(error.ToString());
        }
        Assert.Contains(texts, t => t.Contains(nameof(ChannelEventKind.InvalidSignature)));
        Assert.DoesNotContain(texts, t => t.Contains(info.Key) || t.Contains(wrongKey));
        // The kernel's own log (stdout/stderr) does not carry the key either.
        Assert.DoesNotContain(info.Key, File.ReadAllText(Path.ChangeExtension(record.LocalData().ConnectionFile!, ".log")));
    }

    [Fact]
    public void Format_views_show_no_secret_property()
    {
        var path = Path.Combine(ModuleRoot(), "module", "Format.ps1xml");
        var doc = XDocument.Load(path);
        var shown = doc.Descendants().Where(e => e.Name.LocalName is "PropertyName" or "ScriptBlock" or "Label").Select(e => e.Value).ToList();
        Assert.NotEmpty(shown);
        var secretish = new[] { "Key", "Token", "Password", "Secret", "ConnectionInfo", "Credential\b" };
        var bad = shown.Where(v => secretish.Any(s => System.Text.RegularExpressions.Regex.IsMatch(v, $"(?i){s}(?!Id)") && !v.Equals("HasCredential", StringComparison.Ordinal))).ToList();
        Assert.True(bad.Count == 0, "view shows: " + string.Join(", ", bad));
        Assert.Contains("HasCredential", shown); // a provider shows that it has a credential, never the credential
    }

    private static string ModuleRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "module", "Format.ps1xml"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("module/Format.ps1xml not found above " + AppContext.BaseDirectory);
    }
}
