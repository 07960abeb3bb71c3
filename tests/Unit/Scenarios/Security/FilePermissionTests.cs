using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Tests.Security;

/// <summary>Files that hold or lead to secrets are user-only (0600), and the directories we create for them 0700.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class FilePermissionTests
{
    private const UnixFileMode UserRw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode UserRwx = UserRw | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static void AssertUserOnly(string path)
    {
        var mode = File.GetUnixFileMode(path);
        Assert.True((mode & GroupOther) == 0, $"{path} is {Convert.ToString((int)mode, 8)}: group/other have access");
    }

    [Fact]
    public async Task Connection_file_kernel_log_and_runtime_dir_are_user_only()
    {
        await using var fixture = new LocalKernelFixture();
        var record = await fixture.StartAsync();
        var runtime = fixture.Root.Combine("runtime");
        Assert.Equal(UserRwx, File.GetUnixFileMode(runtime) & ~UnixFileMode.StickyBit);
        Assert.Equal(UserRw, File.GetUnixFileMode(record.LocalData().ConnectionFile!));
        AssertUserOnly(Path.ChangeExtension(record.LocalData().ConnectionFile!, ".log"));
        // The key is in the 0600 file only: never on the kernel's command line (world-readable in /proc).
        var key = ConnectionFile.Read(record.LocalData().ConnectionFile!).Key;
        Assert.NotEmpty(key);
        Assert.DoesNotContain(key, File.ReadAllText($"/proc/{record.LocalData().Pid}/cmdline"));
    }

    [Fact]
    public async Task Store_and_its_wal_and_shm_are_user_only_and_its_new_dir_is_0700()
    {
        using var root = new TempDirectory("jk-perm");
        var dir = root.Combine("newdir", "deeper");
        var db = Path.Combine(dir, "store.db");
        await using (var store = await KernelStore.OpenAsync(db))
        {
            await store.AddKernelAsync(new KernelRecord
            {
                Id = Guid.NewGuid().ToString(), Provider = "local", SpecName = "python3", CreatedAt = DateTimeOffset.UtcNow,
                ProviderData = new LocalKernelData { ConnectionInfoJson = "{\"key\":\"secret\"}" }.ToJson(),
            });
            Assert.True(File.Exists(db + "-wal"), "WAL mode: a -wal file while the store is open");
            foreach (var f in new[] { db, db + "-wal", db + "-shm" }.Where(File.Exists)) Assert.Equal(UserRw, File.GetUnixFileMode(f));
            Assert.Equal(UserRwx, File.GetUnixFileMode(dir));
        }
    }

    [Fact]
    public async Task Providers_file_is_user_only_and_never_holds_the_token()
    {
        using var root = new TempDirectory("jk-perm");
        var path = root.Combine("config", ProvidersFile.FileName);
        const string token = "tok-3e9b2c6f-never-written";
        await ProvidersFile.WriteAsync(path, [new ProviderRegistration { Name = "srv", Url = "http://127.0.0.1:1/", Token = token, TokenEnvironmentVariable = "SRV_TOKEN" }], CancellationToken.None);
        Assert.Equal(UserRw, File.GetUnixFileMode(path));
        var text = File.ReadAllText(path);
        Assert.DoesNotContain(token, text);
        Assert.Contains("SRV_TOKEN", text);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".*.tmp"));
    }
}
