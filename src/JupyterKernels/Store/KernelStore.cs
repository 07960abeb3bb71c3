using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>
/// The SQLite database that remembers kernels, sessions and subshells across processes.
/// <para>
/// One file per user (<see cref="DefaultPath"/>), created 0600 before SQLite opens it, WAL journal, typed (STRICT)
/// tables, versioned migrations through <c>PRAGMA user_version</c>, marked with <c>PRAGMA application_id</c>.
/// Every write is one <c>BEGIN IMMEDIATE</c> transaction (the write lock is taken up front, so a transaction never
/// fails half-way with SQLITE_BUSY on lock upgrade); SQLite's busy handler waits <see cref="KernelStoreOptions.BusyTimeout"/>
/// and we retry the whole transaction with jittered back-off for <see cref="KernelStoreOptions.RetryBudget"/>
/// before reporting <see cref="ErrorIds.StoreUnavailable"/>. Only parameterised SQL.
/// </para>
/// <para>
/// One partial class, one file per concern: <c>KernelStore.Files.cs</c> (the file created user-only, its header
/// checked), <c>.Migrations.cs</c> (schema versions), <c>.Transactions.cs</c> (connections, retries, transactions,
/// column conversions), <c>.Kernels.cs</c> (kernel records and the synchronizer's batch), <c>.Sessions.cs</c> (the
/// session-claim protocol), <c>.SubShells.cs</c>. Parts of one type rather than one class per table because every
/// part shares the one connection string and the one retry/transaction policy, and callers keep one handle.
/// </para>
/// Thread-safe: each operation uses its own (pooled) connection.
/// </summary>
internal sealed partial class KernelStore : IAsyncDisposable
{
    /// <summary>"JKrn" — marks our files (PRAGMA application_id).</summary>
    public const int ApplicationId = 0x4A4B726E;
    public const string FileName = "jupyterkernels.db";
    public const string PathEnvironmentVariable = "JUPYTERKERNELS_DB";

    private static readonly string[] OurTables = { "kernels", "sessions", "subshells", "executions" };
    private static readonly object InitLock = new();
    private static bool _sqliteInitialized;

    private readonly string _connectionString;
    private readonly KernelStoreOptions _options;
    /// <summary>Opened on a read-only file system: reads only (immutable), every write is StoreUnavailable.</summary>
    private bool _readOnlyFileSystem;
    private int _disposed;

    private KernelStore(string path, string connectionString, KernelStoreOptions options)
    {
        Path = path;
        _connectionString = connectionString;
        _options = options;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>{dataDir}/jupyterkernels.db</summary>
    internal static string DefaultPath(string dataDir) => System.IO.Path.Combine(dataDir, FileName);

    /// <summary>The path <see cref="OpenAsync"/> uses: <paramref name="path"/>, else <c>JUPYTERKERNELS_DB</c>, else
    /// <see cref="DefaultPath"/> of <paramref name="dataDir"/> (null = LocalApplicationData/JupyterKernels).</summary>
    public static string ResolvePath(string? path, string? dataDir = null)
    {
        if (!string.IsNullOrWhiteSpace(path)) return System.IO.Path.GetFullPath(path);
        var env = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return System.IO.Path.GetFullPath(env);
        dataDir ??= System.IO.Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
            "JupyterKernels");
        return System.IO.Path.GetFullPath(DefaultPath(dataDir));
    }

    /// <summary>Opens (creating or migrating) the store.</summary>
    /// <exception cref="KernelException">StoreTooNew (written by a newer version; nothing touched), StoreInvalid (not
    /// SQLite, corrupted, or another application's database; nothing touched), StoreUnavailable (I/O, permissions,
    /// still locked after the retry budget).</exception>
    public static async Task<KernelStore> OpenAsync(string? path, KernelStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KernelStoreOptions();
        StartupTrace.Mark("store open");
        var fullPath = ResolvePath(path, options.DataDirectory);
        EnsureSqlite();
        StartupTrace.Mark("store: SQLite initialized");
        var target = options.TargetSchemaVersion ?? SchemaVersion;
        if (target < 1 || target > SchemaVersion) throw new ArgumentOutOfRangeException(nameof(options));

        if (DiagnoseFileSystem(fullPath) is { Kind: FileSystemFaultKind.ReadOnly })
            return await OpenReadOnlyFileSystemAsync(fullPath, target, options).ConfigureAwait(false);
        CreateFileUserOnly(fullPath);
        CheckHeader(fullPath);
        AlignSideFileModes(fullPath);

        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        var store = new KernelStore(fullPath, cs, options);
        try
        {
            // Read-only look first: a newer or foreign database must not be modified at all.
            StartupTrace.Mark("store: file checked");
            store.Inspect(fullPath, target);
            if (options.VerifyIntegrity) store.QuickCheck(fullPath);
            StartupTrace.Mark("store: inspected");
            await store.InitializeAsync(target, cancellationToken).ConfigureAwait(false);
            TightenPermissions(fullPath);
            StartupTrace.Mark("store open done");
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A store on a read-only file system can still be read: SQLite cannot create its -shm there (so a normal open
    /// fails with "unable to open database file"), but an immutable read-only open needs none. Changes not yet
    /// checkpointed from -wal into the file are not seen.
    /// </summary>
    private static async Task<KernelStore> OpenReadOnlyFileSystemAsync(string fullPath, int target, KernelStoreOptions options)
    {
        if (!File.Exists(fullPath)) throw FileSystemError(fullPath, null) ?? ReadOnlyFileSystem(fullPath);
        CheckHeader(fullPath);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = new Uri(fullPath).AbsoluteUri + "?immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        var store = new KernelStore(fullPath, cs, options) { _readOnlyFileSystem = true };
        try
        {
            var (appId, version, tables) = await store.ReadAsync(c => ReadIdentity(c), CancellationToken.None).ConfigureAwait(false);
            if (Classify(fullPath, appId, version, tables, target))
                throw FileSystemError(fullPath, null) ?? ReadOnlyFileSystem(fullPath); // would need a migration
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static KernelException ReadOnlyFileSystem(string path) =>
        new(ErrorIds.StoreUnavailable, KernelErrorCategory.WriteError, $"The kernel store '{path}' cannot be written: read-only file system.", path);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Release pooled connections (file handles) of this database.
        using var conn = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(conn);
        CloseHeldFile();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    // ------------------------------------------------------------------------------------------------ checks

    /// <summary>PRAGMA integrity_check and foreign_key_check; "ok" when both are clean.</summary>
    // Tests only (InternalsVisibleTo).
    internal Task<string> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            var integrity = Scalar<string>(c, null, "PRAGMA integrity_check");
            if (integrity != "ok") return integrity;
            using var cmd = Command(c, null, "PRAGMA foreign_key_check");
            using var r = cmd.ExecuteReader();
            return r.Read() ? $"foreign key violation in {r.GetString(0)}" : "ok";
        }, cancellationToken);
}
