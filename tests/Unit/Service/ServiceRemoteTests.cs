using System.Net.Http.Headers;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;
using JupyterKernels.Providers;
using JupyterKernels.Sync;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// Local and remote kernels side by side through the service, against a real jupyter-server: prefixed specs,
/// start/execute/stop over the WebSocket, rehydration by a new process, and Sync facing deletion, outage and
/// kernels started behind our back.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class ServiceRemoteTests : RemoteServiceTests
{
    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task<string> RunAsync(IKernelService service, string kernelId, string code)
    {
        var ct = Bound(60);
        var execution = await service.ExecuteAsync(kernelId, code, new ExecuteOptions(), ct);
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) if (o is KernelStreamOutput s) text.Append(s.Text);
        Assert.Equal("ok", (await execution.Completion.WaitAsync(ct)).Status);
        return text.ToString();
    }

    private async Task<HttpClient> RestAsync()
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Server.Token);
        await Task.CompletedTask;
        return http;
    }

    [Fact]
    public async Task Specs_of_local_and_remote_list_side_by_side_with_prefix_and_suffix()
    {
        var listing = await Service.GetKernelSpecsAsync(null, refresh: true, Bound());
        Assert.Empty(listing.Warnings);
        Assert.Contains(listing.Specs, s => s.Name == "python3" && s.Provider == "local");
        var remote = Assert.Single(listing.Specs, s => s.Name == "srv/python3");
        Assert.Equal("srv", remote.Provider);
        Assert.Equal("python3", remote.ProviderSpecName);
        Assert.EndsWith(" (srv)", remote.DisplayName);
        var providers = await Service.GetProvidersAsync(Bound());
        Assert.Equal(new[] { "local", "srv" }, providers.Select(p => p.Name));
    }

    [Fact]
    public async Task Remote_kernel_is_started_driven_by_a_new_process_interrupted_and_stopped()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        Assert.Equal("srv", kernel.Provider);
        // a started remote kernel is ready (not left Starting), and says which server kernel it is.
        Assert.Equal(KernelState.Idle, kernel.State);
        Assert.Equal(KernelState.Idle, (await Service.GetKernelAsync(kernel.Id, Bound())).State);
        Assert.NotNull(kernel.RemoteId);
        Assert.NotNull(kernel.Url);
        Assert.DoesNotContain(Server.Token, kernel.Url!);
        Assert.Equal("42\n", await RunAsync(Service, kernel.Id, "x = 6 * 7; print(x)"));

        await using (var other = Fixture.NewService())
        {
            Assert.Contains(await other.GetKernelsAsync(Bound()), k => k.Id == kernel.Id && k.Provider == "srv");
            Assert.Equal("42\n", await RunAsync(other, kernel.Id, "print(x)"));
        }

        var ct = Bound(60);
        var sleeping = await Service.ExecuteAsync(kernel.Id, "import time; time.sleep(30)", new ExecuteOptions(), ct);
        await Task.Delay(1000);
        await Service.InterruptKernelAsync(kernel.Id, ct);
        Assert.Equal("error", (await sleeping.Completion.WaitAsync(TimeSpan.FromSeconds(20), ct)).Status);

        var stopped = await Service.StopKernelAsync(kernel.Id, force: false, Bound());
        Assert.Equal((kernel.Id, KernelState.Stopped), (stopped.Id, stopped.State));
        Assert.Empty(await Service.GetKernelsAsync(Bound()));
        using var http = await RestAsync();
        var remoteId = kernel.RemoteId ?? kernel.Id;
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync($"api/kernels/{remoteId}")).StatusCode);
    }

    [Fact]
    public async Task Sync_reports_a_kernel_deleted_on_the_server_and_removes_it_with_RemoveDead()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        using var http = await RestAsync();
        Assert.True((await http.DeleteAsync($"api/kernels/{kernel.RemoteId ?? kernel.Id}")).IsSuccessStatusCode);

        var marked = await Collect(Service.SynchronizeAsync(new SyncOptions { Providers = new[] { "srv" } }, null, null, Bound()));
        Assert.Contains(marked, r => r.KernelId == kernel.Id && r.Action == SyncAction.MarkedDead);
        var removed = await Collect(Service.SynchronizeAsync(new SyncOptions { Providers = new[] { "srv" }, RemoveDead = true }, null, null, Bound()));
        Assert.Contains(removed, r => r.KernelId == kernel.Id && r.Action == SyncAction.Removed);
        Assert.Empty(await Service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task A_server_that_is_down_changes_nothing_and_is_reported_while_local_still_works()
    {
        var remote = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        var local = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        await Server.KillAsync();

        var results = await Collect(Service.SynchronizeAsync(new SyncOptions { RemoveDead = true }, null, null, Bound()));
        Assert.Contains(results, r => r.KernelId == remote.Id && r.Action == SyncAction.Failed);
        Assert.Contains(results, r => r.KernelId == local.Id && r.Action is SyncAction.Kept or SyncAction.Updated);
        var kernels = await Service.GetKernelsAsync(Bound());
        Assert.Equal(2, kernels.Count);
        Assert.NotEqual(KernelState.Dead, kernels.Single(k => k.Id == remote.Id).State);

        var listing = await Service.GetKernelSpecsAsync(null, refresh: true, Bound());
        Assert.Contains(listing.Specs, s => s.Name == "python3");
        var warning = Assert.Single(listing.Warnings);
        Assert.Equal("srv", warning.Provider);
        Assert.DoesNotContain(Server.Token, warning.Message);
        Assert.Equal("ok\n", await RunAsync(Service, local.Id, "print('ok')"));
    }

    [Fact]
    public async Task Adopt_records_a_kernel_started_behind_our_back_and_it_can_be_driven()
    {
        using var http = await RestAsync();
        var created = await http.PostAsync("api/kernels", new StringContent("{\"name\":\"python3\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode);
        var remoteId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        var plain = await Collect(Service.SynchronizeAsync(new SyncOptions { Providers = new[] { "srv" } }, null, null, Bound()));
        Assert.DoesNotContain(plain, r => r.Action == SyncAction.Adopted);
        var adopted = await Collect(Service.SynchronizeAsync(new SyncOptions { Providers = new[] { "srv" }, Adopt = true }, null, null, Bound()));
        var result = Assert.Single(adopted, r => r.Action == SyncAction.Adopted);
        var kernel = await Service.GetKernelAsync(result.KernelId, Bound());
        // an adopted kernel says which server kernel it is and where.
        Assert.Equal(remoteId, kernel.RemoteId);
        Assert.Equal($"{Server.Url.TrimEnd('/')}/api/kernels/{remoteId}", kernel.Url);
        Assert.Equal("adopted\n", await RunAsync(Service, kernel.Id, "print('adopted')"));
    }

    [Fact]
    public async Task Remote_sessions_are_mirrored_to_the_servers_api_sessions()
    {
        var session = await Service.NewSessionAsync("etl", "srv/python3", "etl.ipynb", "notebook", null, Bound());
        var kernel = await Service.GetKernelAsync(session.KernelId, Bound());
        using var http = await RestAsync();
        var sessions = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/sessions")).RootElement;
        var mirrored = Assert.Single(sessions.EnumerateArray());
        Assert.Equal("etl", mirrored.GetProperty("name").GetString());
        Assert.Equal(kernel.RemoteId ?? kernel.Id, mirrored.GetProperty("kernel").GetProperty("id").GetString());
        // Reuse does not mirror twice.
        Assert.Equal(session.KernelId, (await Service.NewSessionAsync("etl", "srv/python3", null, null, null, Bound())).KernelId);
        Assert.Single(System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/sessions")).RootElement.EnumerateArray());

        await Service.RemoveSessionAsync("etl", stopKernel: true, force: false, Bound());
        Assert.Empty(System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/sessions")).RootElement.EnumerateArray());
        Assert.Empty(await Service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task JUPYTER_GATEWAY_URL_defines_a_gateway_provider_that_is_never_persisted()
    {
        await using var service = Fixture.NewService(new Dictionary<string, string>
        {
            ["JUPYTER_GATEWAY_URL"] = Server.Url,
            ["JUPYTER_GATEWAY_AUTH_TOKEN"] = Server.Token,
        });
        var listing = await service.GetKernelSpecsAsync(null, refresh: true, Bound());
        Assert.Contains(listing.Specs, s => s.Name == "gateway/python3" && s.Provider == "gateway");
        Assert.True((await service.GetProvidersAsync(Bound())).Single(p => p.Name == "gateway").HasCredential);
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "gateway/python3" }, null, Bound());
        Assert.Equal("env\n", await RunAsync(service, kernel.Id, "print('env')"));
        await service.StopKernelAsync(kernel.Id, force: false, Bound());
        // Registering another provider rewrites the file: the environment's provider must not be written into it.
        await service.RegisterProviderAsync(new ProviderRegistration { Name = "other", Url = Server.Url }, Bound());
        var file = File.ReadAllText(Path.Combine(Fixture.Environment["JUPYTER_CONFIG_DIR"], "jupyterkernels_providers.json"));
        Assert.Contains("\"name\": \"other\"", file);
        Assert.DoesNotContain("\"name\": \"gateway\"", file);
        Assert.DoesNotContain(Server.Token, file);
    }

    [Fact]
    public async Task Kernelspec_logos_are_saved_for_local_and_remote_specs()
    {
        using var folder = new TempDirectory("jk-logos");
        var local = await Service.SaveKernelSpecResourcesAsync("python3", folder.Combine("local"), Bound());
        var remote = await Service.SaveKernelSpecResourcesAsync("srv/python3", folder.Combine("remote"), Bound());
        foreach (var files in new[] { local, remote })
        {
            Assert.Contains(files, f => Path.GetFileName(f) == "logo-64x64.png");
            Assert.DoesNotContain(files, f => Path.GetFileName(f) == "kernel.json");
        }
        // The server's copy is the same file as the one on disk.
        Assert.Equal(File.ReadAllBytes(Path.Combine(RealPython.KernelSpecDir, "python3", "logo-64x64.png")),
            File.ReadAllBytes(remote.Single(f => Path.GetFileName(f) == "logo-64x64.png")));
        var missing = await Assert.ThrowsAsync<KernelException>(() => Service.SaveKernelSpecResourcesAsync("srv/cobol", folder.Combine("x"), Bound()));
        Assert.Equal(ErrorIds.KernelSpecNotFound, missing.ErrorId);
    }

    [Fact]
    public async Task Kernelspec_resources_of_several_specs_go_to_one_folder_each_and_a_file_is_no_folder()
    {
        // saved together, two specs' logos must not overwrite each other.
        using var folder = new TempDirectory("jk-logos");
        var local = await Service.SaveKernelSpecResourcesAsync("python3", folder.Path, Bound());
        var remote = await Service.SaveKernelSpecResourcesAsync("srv/python3", folder.Path, Bound());
        Assert.Equal(Path.Combine(folder.Path, "python3", "logo-64x64.png"), local.Single(f => f.EndsWith("logo-64x64.png", StringComparison.Ordinal)));
        Assert.Equal(Path.Combine(folder.Path, "srv", "python3", "logo-64x64.png"), remote.Single(f => f.EndsWith("logo-64x64.png", StringComparison.Ordinal)));
        var file = folder.Combine("not-a-folder.txt");
        File.WriteAllText(file, "x");
        var error = await Assert.ThrowsAsync<KernelException>(() => Service.SaveKernelSpecResourcesAsync("python3", file, Bound()));
        Assert.Equal(ErrorIds.ResourcePathInvalid, error.ErrorId);
        Assert.Equal(KernelErrorCategory.InvalidArgument, error.Category);
    }

    [Fact]
    public async Task A_process_only_token_or_an_unset_variable_is_named_in_the_403_of_another_process()
    {
        // the token given with -Token stays in the registering process; the next process must be told
        // why the server refuses it, and how to fix it — likewise for a token variable that is not set.
        await Service.RegisterProviderAsync(new ProviderRegistration { Name = "mem", Url = Server.Url, Token = Server.Token }, Bound());
        var unset = "JK_UNSET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await Service.RegisterProviderAsync(new ProviderRegistration { Name = "envless", Url = Server.Url, TokenEnvironmentVariable = unset }, Bound());
        var here = await Service.GetKernelSpecsAsync("mem", refresh: true, Bound());
        Assert.Empty(here.Warnings);

        await using var other = Fixture.NewService();
        var listing = await other.GetKernelSpecsAsync(null, refresh: true, Bound());
        var mem = Assert.Single(listing.Warnings, w => w.Provider == "mem");
        Assert.Equal(ErrorIds.ProviderAuthenticationFailed, mem.ErrorId);
        Assert.Contains("-Token", mem.Message);
        Assert.Contains("-TokenEnvironmentVariable", mem.Message);
        var envless = Assert.Single(listing.Warnings, w => w.Provider == "envless");
        Assert.Contains($"'{unset}'", envless.Message);
        Assert.DoesNotContain(Server.Token, mem.Message + envless.Message);
        var start = await Assert.ThrowsAsync<KernelException>(() => other.StartKernelAsync(new StartKernelOptions { SpecName = "mem/python3" }, null, Bound()));
        Assert.Contains("-Token", start.Message);
    }

    [Fact]
    public async Task Wrong_token_is_a_clear_warning_without_the_token()
    {
        await Service.RegisterProviderAsync(new ProviderRegistration { Name = "bad", Url = Server.Url, Token = "wrong-" + Server.Token }, Bound());
        var listing = await Service.GetKernelSpecsAsync(null, refresh: true, Bound());
        var warning = Assert.Single(listing.Warnings);
        Assert.Equal("bad", warning.Provider);
        Assert.Equal(ErrorIds.ProviderAuthenticationFailed, warning.ErrorId);
        Assert.DoesNotContain(Server.Token, warning.Message);
        Assert.Contains(listing.Specs, s => s.Name == "srv/python3");
    }

    private static async Task<List<SyncResult>> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list;
    }
}
