using JupyterKernels.Kernelspecs;
using JupyterKernels.Service;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// A private "machine": Jupyter dirs, a store file and the Debian kernelspecs, shared by in-process
/// <see cref="KernelService"/> instances (each one is like a new PowerShell process) and by KernelCli processes.
/// Every kernel still recorded at dispose is stopped.
/// </summary>
public sealed class ServiceFixture : IAsyncDisposable
{
    public ServiceFixture()
    {
        Root = new TempDirectory("jk-svc");
        Environment = new Dictionary<string, string>
        {
            ["JUPYTER_RUNTIME_DIR"] = Root.Combine("runtime"),
            ["JUPYTER_DATA_DIR"] = Root.Combine("data"),
            ["JUPYTER_CONFIG_DIR"] = Root.Combine("config"),
            ["JUPYTER_PATH"] = Root.Combine("share"),
            ["JUPYTERKERNELS_DB"] = Root.Combine("data", "jupyterkernels.db"),
        };
        Directory.CreateDirectory(Root.Combine("share", "kernels"));
        var python3 = Root.Combine("share", "kernels", "python3");
        Directory.CreateDirectory(python3);
        foreach (var file in Directory.GetFiles(Path.Combine(RealPython.KernelSpecDir, "python3")))
            File.Copy(file, Path.Combine(python3, Path.GetFileName(file)));
        // Our protocol 5.5 test kernel, for what ipykernel 6 lacks (subshells).
        var testKernel = Root.Combine("share", "kernels", TestKernelSpec);
        Directory.CreateDirectory(testKernel);
        File.WriteAllText(Path.Combine(testKernel, "kernel.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["argv"] = new[] { JupyterKernels.TestKernel.TestKernelLocator.DotnetHost, JupyterKernels.TestKernel.TestKernelLocator.DllPath, "-f", "{connection_file}" },
            ["display_name"] = "Test kernel (protocol 5.5)",
            ["language"] = "testlang",
            ["interrupt_mode"] = "message",
        }));
    }

    public const string TestKernelSpec = "jk-testkernel";

    public TempDirectory Root { get; }

    /// <summary>The variables a child process needs to see the same machine (plus the real PATH etc.).</summary>
    public Dictionary<string, string> Environment { get; }

    public string DatabasePath => Environment["JUPYTERKERNELS_DB"];

    /// <summary>A new service instance over the same store and dirs: what a new PowerShell process would get.</summary>
    public KernelService NewService(IReadOnlyDictionary<string, string>? gatewayEnvironment = null, Func<KernelServiceOptions, KernelServiceOptions>? configure = null)
    {
        var vars = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        foreach (var (k, v) in Environment) vars[k] = v;
        var env = new FixedJupyterEnvironment(JupyterPlatform.Linux, Root.Path, vars);
        var paths = new JupyterPaths(env);
        var options = new KernelServiceOptions
        {
            DatabasePath = DatabasePath,
            Paths = paths,
            LocalProvider = new JupyterKernels.Providers.Local.LocalKernelProvider(paths, new KernelSpecCatalog(paths.KernelSpecDirs), env),
            // Never the real process's JUPYTER_GATEWAY_*: each test says what its "environment" holds.
            GetEnvironmentVariable = name => gatewayEnvironment is not null && gatewayEnvironment.TryGetValue(name, out var v) ? v : null,
        };
        return new KernelService(configure is null ? options : configure(options));
    }

    public async ValueTask DisposeAsync()
    {
        await using (var service = NewService())
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                foreach (var kernel in await service.GetKernelsAsync(cts.Token))
                {
                    try { await service.StopKernelAsync(kernel.Id, force: true, cts.Token); } catch (KernelException) { }
                }
            }
            catch (Exception) { /* best effort */ }
        }
        Root.Dispose();
    }
}
