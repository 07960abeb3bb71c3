using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using JupyterKernels.Providers;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Sync;

/// <summary>
/// The SQLite database that remembers kernels, sessions, subshells and providers across processes.
/// <para>
/// One file per user (<see cref="DefaultPath"/>), created 0600 before SQLite opens it, WAL journal, typed (STRICT)
/// tables, versioned migrations through <c>PRAGMA user_version</c>, marked with <c>PRAGMA application_id</c>.
/// Every write is one <c>BEGIN IMMEDIATE</c> transaction (the write lock is taken up front, so a transaction never
/// fails half-way with SQLITE_BUSY on lock upgrade); SQLite's busy handler waits <see cref="KernelStoreOptions.BusyTimeout"/>
/// and we retry the whole transaction with jittered back-off for <see cref="KernelStoreOptions.RetryBudget"/>
/// before reporting <see cref="ErrorIds.StoreUnavailable"/>. Only parameterised SQL.
/// </para>
/// Thread-safe: each operation uses its own (pooled) connection.
/// </summary>
public sealed class KernelStore : IAsyncDisposable
{
    /// <summary>"JKrn" — marks our files (PRAGMA application_id).</summary>
    public const int ApplicationId = 0x4A4B726E;
    public const string FileName = "jupyterkernels.db";
    public const string PathEnvironmentVariable = "JUPYTERKERNELS_DB";

    /// <summary>Migration steps; step i (1-based) brings the schema from version i-1 to i. Never edit a released step:
    /// append a new one.</summary>
    internal static readonly string[] Migrations =
    {
        // 1: kernels, sessions, subshells.
        """
        CREATE TABLE kernels (
            id                   TEXT    NOT NULL PRIMARY KEY,
            provider             TEXT    NOT NULL,
            remote_id            TEXT,
            spec_name            TEXT    NOT NULL,
            display_name         TEXT    NOT NULL DEFAULT '',
            connection_info_json TEXT,
            connection_file      TEXT,
            pid                  INTEGER,
            process_start_time   TEXT,
            interrupt_mode       TEXT    NOT NULL DEFAULT 'signal',
            created_at           TEXT    NOT NULL,
            last_seen_at         TEXT,
            last_activity_at     TEXT,
            state                TEXT    NOT NULL,
            connections          INTEGER,
            owner                TEXT    NOT NULL DEFAULT '',
            url                  TEXT
        ) STRICT;
        CREATE INDEX ix_kernels_provider ON kernels(provider);
        CREATE UNIQUE INDEX ux_kernels_provider_remote_id ON kernels(provider, remote_id) WHERE remote_id IS NOT NULL;
        CREATE TABLE sessions (
            id            TEXT NOT NULL PRIMARY KEY,
            name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
            path          TEXT NOT NULL DEFAULT '',
            type          TEXT NOT NULL DEFAULT 'console',
            kernel_id     TEXT REFERENCES kernels(id) ON DELETE CASCADE,
            created_at    TEXT NOT NULL,
            pending_token TEXT,
            pending_pid   INTEGER,
            pending_since TEXT
        ) STRICT;
        CREATE INDEX ix_sessions_kernel_id ON sessions(kernel_id);
        CREATE TABLE subshells (
            kernel_id   TEXT NOT NULL REFERENCES kernels(id) ON DELETE CASCADE,
            subshell_id TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            PRIMARY KEY (kernel_id, subshell_id)
        ) STRICT, WITHOUT ROWID;
        """,
        // 2: registered providers (configuration without secrets).
        """
        CREATE TABLE providers (
            name        TEXT NOT NULL PRIMARY KEY,
            kind        TEXT NOT NULL,
            config_json TEXT NOT NULL DEFAULT '{}',
            created_at  TEXT NOT NULL
        ) STRICT;
        """,
    };

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Migrations.Length;

    private static readonly string[] OurTables = { "kernels", "sessions", "subshells" };
    private static readonly object InitLock = new();
    private static bool _sqliteInitialized;

    private readonly string _connectionString;
    private readonly KernelStoreOptions _options;
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
    public static string DefaultPath(string dataDir) => System.IO.Path.Combine(dataDir, FileName);

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
        var fullPath = ResolvePath(path, options.DataDirectory);
        EnsureSqlite();
        var target = options.TargetSchemaVersion ?? SchemaVersion;
        if (target < 1 || target > SchemaVersion) throw new ArgumentOutOfRangeException(nameof(options));

        CreateFileUserOnly(fullPath);
        CheckHeader(fullPath);

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
            store.Inspect(fullPath, target);
            await store.InitializeAsync(target, cancellationToken).ConfigureAwait(false);
            TightenPermissions(fullPath);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // ------------------------------------------------------------------------------------------------ opening

    private static void EnsureSqlite()
    {
        lock (InitLock)
        {
            if (_sqliteInitialized) return;
            SQLitePCL.Batteries_V2.Init();
            _sqliteInitialized = true;
        }
    }

    private static void CreateFileUserOnly(string path)
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(path)!;
            if (!Directory.Exists(dir))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
                else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            if (File.Exists(path)) return;
            var fso = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite };
            if (!OperatingSystem.IsWindows()) fso.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var _ = new FileStream(path, fso);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"Cannot create the kernel store '{path}': {e.Message}", path, e);
        }
    }

    private static void TightenPermissions(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode userOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            try
            {
                if (File.Exists(f) && (File.GetUnixFileMode(f) & ~userOnly) != 0) File.SetUnixFileMode(f, userOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not ours to change (another user's file would have failed to open anyway).
            }
        }
    }

    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private static void CheckHeader(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (fs.Length == 0) return; // new (or being created by another process)
            var head = new byte[SqliteMagic.Length];
            var n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n < head.Length || !head.AsSpan().SequenceEqual(SqliteMagic))
                throw Invalid(path, "it is not an SQLite database");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"Cannot read the kernel store '{path}': {e.Message}", path, e);
        }
    }

    private static KernelException Invalid(string path, string why, Exception? inner = null) =>
        new(ErrorIds.StoreInvalid, KernelErrorCategory.InvalidData,
            $"The file '{path}' is not a JupyterKernels store ({why}); it was left unchanged. Move it away or point JUPYTERKERNELS_DB elsewhere.",
            path, inner);

    private static KernelException TooNew(string path, int version) =>
        new(ErrorIds.StoreTooNew, KernelErrorCategory.InvalidData,
            $"The kernel store '{path}' has schema version {version}, newer than this module understands ({SchemaVersion}); it was left unchanged. Update the JupyterKernels module.",
            path);

    /// <summary>Read-only inspection: throws StoreTooNew / StoreInvalid without writing anything.</summary>
    private void Inspect(string path, int target)
    {
        var ro = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var conn = new SqliteConnection(ro);
            conn.Open();
            SetBusyTimeout(conn);
            // One read transaction = one snapshot: application_id, user_version and the table list must come from the
            // same state, or a store being initialised by another process looks like "tables without our mark".
            using var tx = conn.BeginTransaction(deferred: true);
            var (appId, version, tables) = ReadIdentity(conn, tx);
            tx.Commit();
            Classify(path, appId, version, tables, target);
        }
        catch (SqliteException e) when (IsBusy(e))
        {
            // Someone holds an exclusive lock (e.g. a journal-mode switch); the write path below retries and re-checks.
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 /*NOTADB*/ or 11 /*CORRUPT*/)
        {
            throw Invalid(path, "it is corrupted or not an SQLite database", e);
        }
        catch (SqliteException e)
        {
            throw Unavailable(e);
        }
    }

    private static (long AppId, long Version, List<string> Tables) ReadIdentity(SqliteConnection conn, SqliteTransaction? tx = null)
    {
        long appId = Scalar<long>(conn, tx, "PRAGMA application_id");
        long version = Scalar<long>(conn, tx, "PRAGMA user_version");
        var tables = new List<string>();
        using (var cmd = Command(conn, tx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) tables.Add(r.GetString(0));
        return (appId, version, tables);
    }

    /// <summary>Returns true when the schema must be created or migrated.</summary>
    private static bool Classify(string path, long appId, long version, List<string> tables, int target)
    {
        if (appId == ApplicationId)
        {
            if (version > SchemaVersion) throw TooNew(path, (int)version);
            return version < target;
        }
        if (appId != 0) throw Invalid(path, $"it belongs to another application (application_id 0x{appId:X8})");
        if (tables.Count == 0 && version == 0) return true; // empty database: ours to initialise
        throw Invalid(path, tables.Count > 0 ? "it holds other tables: " + string.Join(", ", tables.Take(5)) : $"unknown user_version {version}");
    }

    private async Task InitializeAsync(int target, CancellationToken ct)
    {
        // journal_mode=WAL is persistent; it cannot be set inside a transaction and needs a brief exclusive lock.
        await WithRetryAsync(conn =>
        {
            using var tx0 = conn.BeginTransaction(deferred: true);
            var (appId, version, tables) = ReadIdentity(conn, tx0);
            var needsWork = Classify(Path, appId, version, tables, target);
            tx0.Commit();
            if (Scalar<string>(conn, null, "PRAGMA journal_mode") is not "wal")
                Scalar<string>(conn, null, "PRAGMA journal_mode = WAL");
            if (!needsWork) return 0;

            using var tx = conn.BeginTransaction(deferred: false);
            (appId, version, tables) = ReadIdentity(conn, tx); // re-check under the write lock: another process may have done it
            if (!Classify(Path, appId, version, tables, target)) { tx.Commit(); return 0; }
            for (var v = (int)version + 1; v <= target; v++)
                Exec(conn, tx, Migrations[v - 1]);
            Exec(conn, tx, $"PRAGMA application_id = {ApplicationId}");
            Exec(conn, tx, $"PRAGMA user_version = {target}");
            tx.Commit();
            return 0;
        }, ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var conn = new SqliteConnection(_connectionString);
        try
        {
            conn.Open();
            SetBusyTimeout(conn);
            return conn;
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    private void SetBusyTimeout(SqliteConnection conn) =>
        Exec(conn, null, $"PRAGMA busy_timeout = {(int)_options.BusyTimeout.TotalMilliseconds}");

    internal static bool IsBusy(SqliteException e) => (e.SqliteErrorCode & 0xFF) is 5 /*BUSY*/ or 6 /*LOCKED*/;

    private KernelException Unavailable(SqliteException e) => IsBusy(e)
        ? new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
            $"The kernel store '{Path}' stayed locked by other processes for more than {_options.RetryBudget.TotalSeconds:0} s.", Path, e)
        : e.SqliteErrorCode is 26 or 11
            ? Invalid(Path, "it is corrupted", e)
            : new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"The kernel store '{Path}' failed: {e.Message}", Path, e);

    /// <summary>Runs <paramref name="body"/> on a fresh connection, retrying the whole body on BUSY/LOCKED.</summary>
    private async Task<T> WithRetryAsync<T>(Func<SqliteConnection, T> body, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var delayMs = 5;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using var conn = Open();
                return body(conn);
            }
            catch (SqliteException e) when (IsBusy(e) && sw.Elapsed < _options.RetryBudget)
            {
                await Task.Delay(delayMs + Random.Shared.Next(delayMs), ct).ConfigureAwait(false);
                delayMs = Math.Min(delayMs * 2, 250);
            }
            catch (SqliteException e)
            {
                throw Unavailable(e);
            }
        }
    }

    /// <summary>One BEGIN IMMEDIATE transaction, committed when <paramref name="body"/> returns; rolled back (by
    /// disposal) when it throws or the process dies.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> body, CancellationToken ct) =>
        WithRetryAsync(conn =>
        {
            using var tx = conn.BeginTransaction(deferred: false);
            var result = body(conn, tx);
            tx.Commit();
            return result;
        }, ct);

    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> body, CancellationToken ct) => WithRetryAsync(body, ct);

    private static SqliteCommand Command(SqliteConnection conn, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private static int Exec(SqliteConnection conn, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(conn, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection conn, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(conn, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? default! : (T)Convert.ChangeType(v, typeof(T), CultureInfo.InvariantCulture);
    }

    internal static string? Time(DateTimeOffset? t) =>
        t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseTime(SqliteDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTimeOffset.ParseExact(r.GetString(i), "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    internal static string StateText(KernelState s) => s.ToString().ToLowerInvariant();

    private static KernelState ParseState(string s) =>
        Enum.TryParse<KernelState>(s, ignoreCase: true, out var v) ? v : KernelState.Unknown;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Release pooled connections (file handles) of this database.
        using var conn = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(conn);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    // ------------------------------------------------------------------------------------------------ kernels

    private const string KernelColumns =
        "k.id, k.provider, k.remote_id, k.spec_name, k.display_name, k.connection_info_json, k.connection_file, k.pid, " +
        "k.process_start_time, k.interrupt_mode, k.created_at, k.last_seen_at, k.last_activity_at, k.state, k.connections, " +
        "k.owner, k.url, (SELECT s.name FROM sessions s WHERE s.kernel_id = k.id ORDER BY s.created_at LIMIT 1)";

    private static KernelRecord ReadKernel(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Provider = r.GetString(1),
        RemoteId = Str(r, 2),
        SpecName = r.GetString(3),
        DisplayName = r.GetString(4),
        ConnectionInfoJson = Str(r, 5),
        ConnectionFile = Str(r, 6),
        Pid = r.IsDBNull(7) ? null : r.GetInt32(7),
        ProcessStartTime = ParseTime(r, 8),
        InterruptMode = r.GetString(9),
        CreatedAt = ParseTime(r, 10)!.Value,
        LastSeenAt = ParseTime(r, 11),
        LastActivityAt = ParseTime(r, 12),
        State = ParseState(r.GetString(13)),
        Connections = r.IsDBNull(14) ? null : r.GetInt32(14),
        Owner = r.GetString(15),
        Url = Str(r, 16),
        SessionName = Str(r, 17),
    };

    private static (string, object?)[] KernelArgs(KernelRecord k) => new (string, object?)[]
    {
        ("$id", k.Id), ("$provider", k.Provider), ("$remote_id", k.RemoteId), ("$spec_name", k.SpecName),
        ("$display_name", k.DisplayName ?? ""), ("$cij", k.ConnectionInfoJson), ("$cf", k.ConnectionFile), ("$pid", k.Pid),
        ("$pst", Time(k.ProcessStartTime)), ("$im", k.InterruptMode ?? "signal"), ("$created", Time(k.CreatedAt)),
        ("$seen", Time(k.LastSeenAt)), ("$activity", Time(k.LastActivityAt)), ("$state", StateText(k.State)),
        ("$conns", k.Connections), ("$owner", k.Owner ?? ""), ("$url", k.Url),
    };

    private const string InsertKernelSql =
        "INSERT INTO kernels (id, provider, remote_id, spec_name, display_name, connection_info_json, connection_file, pid, " +
        "process_start_time, interrupt_mode, created_at, last_seen_at, last_activity_at, state, connections, owner, url) VALUES " +
        "($id, $provider, $remote_id, $spec_name, $display_name, $cij, $cf, $pid, $pst, $im, $created, $seen, $activity, $state, $conns, $owner, $url)";

    private const string UpdateKernelSql =
        "UPDATE kernels SET provider = $provider, remote_id = $remote_id, spec_name = $spec_name, display_name = $display_name, " +
        "connection_info_json = $cij, connection_file = $cf, pid = $pid, process_start_time = $pst, interrupt_mode = $im, " +
        "created_at = $created, last_seen_at = $seen, last_activity_at = $activity, state = $state, connections = $conns, " +
        "owner = $owner, url = $url WHERE id = $id";

    private KernelException KernelExists(KernelRecord k, Exception inner) =>
        new(ErrorIds.KernelExists, KernelErrorCategory.ResourceExists,
            $"A kernel record with id '{k.Id}'" + (k.RemoteId is null ? "" : $" or remote id '{k.RemoteId}' on provider '{k.Provider}'") + " already exists.",
            k.Id, inner);

    private static bool IsConstraint(SqliteException e) => (e.SqliteErrorCode & 0xFF) == 19;

    /// <summary>Inserts a record. <see cref="KernelRecord.SessionName"/> is ignored (sessions are their own table).</summary>
    /// <exception cref="KernelException">KernelExists when the id (or provider + remote id) is taken.</exception>
    public async Task AddKernelAsync(KernelRecord kernel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        try
        {
            await WriteAsync((c, tx) => Exec(c, tx, InsertKernelSql, KernelArgs(kernel)), cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e) when (e.InnerException is SqliteException se && IsConstraint(se))
        {
            throw KernelExists(kernel, se);
        }
    }

    /// <summary>Inserts many records in one transaction (all or nothing). Used by bulk imports and benchmarks.</summary>
    public async Task AddKernelsAsync(IEnumerable<KernelRecord> kernels, CancellationToken cancellationToken = default)
    {
        var list = kernels.ToList();
        await WriteAsync((c, tx) =>
        {
            using var cmd = Command(c, tx, InsertKernelSql, KernelArgs(list.Count > 0 ? list[0] : Dummy));
            foreach (var k in list)
            {
                var args = KernelArgs(k);
                for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Item2 ?? DBNull.Value;
                try { cmd.ExecuteNonQuery(); }
                catch (SqliteException e) when (IsConstraint(e)) { throw KernelExists(k, e); }
            }
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static readonly KernelRecord Dummy = new() { Id = "", Provider = "", SpecName = "" };

    /// <summary>Replaces every field of an existing record. Returns false when no record has this id.</summary>
    public Task<bool> UpdateKernelAsync(KernelRecord kernel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return WrapConstraint(kernel, WriteAsync((c, tx) => Exec(c, tx, UpdateKernelSql, KernelArgs(kernel)) > 0, cancellationToken));
    }

    /// <summary>Inserts or replaces (by id) a record. Sessions and subshells of the kernel are kept.</summary>
    public Task UpsertKernelAsync(KernelRecord kernel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return WrapConstraint(kernel, WriteAsync((c, tx) => UpsertKernel(c, tx, kernel), cancellationToken));
    }

    private static int UpsertKernel(SqliteConnection c, SqliteTransaction tx, KernelRecord kernel) =>
        Exec(c, tx, UpdateKernelSql, KernelArgs(kernel)) > 0 ? 1 : Exec(c, tx, InsertKernelSql, KernelArgs(kernel));

    private async Task<T> WrapConstraint<T>(KernelRecord k, Task<T> t)
    {
        try { return await t.ConfigureAwait(false); }
        catch (KernelException e) when (e.InnerException is SqliteException se && IsConstraint(se)) { throw KernelExists(k, se); }
    }

    public Task<KernelRecord?> GetKernelAsync(string id, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var cmd = Command(c, null, $"SELECT {KernelColumns} FROM kernels k WHERE k.id = $id", ("$id", id));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadKernel(r) : null;
        }, cancellationToken);

    /// <summary>All records (of one provider when <paramref name="provider"/> is given), ordered by creation time.</summary>
    public Task<IReadOnlyList<KernelRecord>> ListKernelsAsync(string? provider = null, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<KernelRecord>>(c =>
        {
            using var cmd = provider is null
                ? Command(c, null, $"SELECT {KernelColumns} FROM kernels k ORDER BY k.created_at, k.id")
                : Command(c, null, $"SELECT {KernelColumns} FROM kernels k WHERE k.provider = $p ORDER BY k.created_at, k.id", ("$p", provider));
            using var r = cmd.ExecuteReader();
            var list = new List<KernelRecord>();
            while (r.Read()) list.Add(ReadKernel(r));
            return list;
        }, cancellationToken);

    public Task<KernelRecord?> FindKernelByRemoteIdAsync(string provider, string remoteId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var cmd = Command(c, null, $"SELECT {KernelColumns} FROM kernels k WHERE k.provider = $p AND k.remote_id = $r",
                ("$p", provider), ("$r", remoteId));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadKernel(r) : null;
        }, cancellationToken);

    /// <summary>Deletes a record and (cascade) its sessions and subshells. Returns false when it was not there.</summary>
    public Task<bool> RemoveKernelAsync(string id, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM kernels WHERE id = $id", ("$id", id)) > 0, cancellationToken);

    /// <summary>Records activity seen by this process (for culling) without touching anything else of the row.</summary>
    public Task<bool> TouchKernelAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "UPDATE kernels SET last_activity_at = $a, last_seen_at = $a WHERE id = $id",
            ("$id", id), ("$a", Time(at))) > 0, cancellationToken);

    public Task<int> CountKernelsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c => (int)Scalar<long>(c, null, "SELECT count(*) FROM kernels"), cancellationToken);

    /// <summary>A change the synchronizer makes to an existing record: only the fields it observes, so a concurrent
    /// writer's other changes (e.g. a restart's new connection info) are not overwritten.</summary>
    internal sealed record KernelObservation(string Id, KernelState State, DateTimeOffset? LastSeenAt, DateTimeOffset? LastActivityAt, int? Connections);

    /// <summary>Applies one synchronizer batch in one transaction. Updates touch only existing rows (a record deleted
    /// meanwhile by another process stays deleted); inserts skip ids or remote ids recorded meanwhile.</summary>
    /// <returns>The ids actually updated, inserted and removed.</returns>
    internal Task<(HashSet<string> Updated, HashSet<string> Inserted, HashSet<string> Removed)> ApplySyncBatchAsync(
        IReadOnlyCollection<KernelObservation> updates, IReadOnlyCollection<KernelRecord> inserts, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken) =>
        WriteAsync((c, tx) =>
        {
            var updated = new HashSet<string>(StringComparer.Ordinal);
            var inserted = new HashSet<string>(StringComparer.Ordinal);
            var removed = new HashSet<string>(StringComparer.Ordinal);
            if (updates.Count > 0)
            {
                using var cmd = Command(c, tx,
                    "UPDATE kernels SET state = $state, last_seen_at = coalesce($seen, last_seen_at), " +
                    "last_activity_at = coalesce($activity, last_activity_at), connections = coalesce($conns, connections) WHERE id = $id",
                    ("$state", ""), ("$seen", null), ("$activity", null), ("$conns", null), ("$id", ""));
                foreach (var u in updates)
                {
                    cmd.Parameters[0].Value = StateText(u.State);
                    cmd.Parameters[1].Value = (object?)Time(u.LastSeenAt) ?? DBNull.Value;
                    cmd.Parameters[2].Value = (object?)Time(u.LastActivityAt) ?? DBNull.Value;
                    cmd.Parameters[3].Value = (object?)u.Connections ?? DBNull.Value;
                    cmd.Parameters[4].Value = u.Id;
                    if (cmd.ExecuteNonQuery() > 0) updated.Add(u.Id);
                }
            }
            if (inserts.Count > 0)
            {
                using var cmd = Command(c, tx, InsertKernelSql + " ON CONFLICT DO NOTHING", KernelArgs(inserts.First()));
                foreach (var k in inserts)
                {
                    var args = KernelArgs(k);
                    for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Item2 ?? DBNull.Value;
                    if (cmd.ExecuteNonQuery() > 0) inserted.Add(k.Id);
                }
            }
            if (removals.Count > 0)
            {
                using var cmd = Command(c, tx, "DELETE FROM kernels WHERE id = $id", ("$id", ""));
                foreach (var id in removals)
                {
                    cmd.Parameters[0].Value = id;
                    if (cmd.ExecuteNonQuery() > 0) removed.Add(id);
                }
            }
            return (updated, inserted, removed);
        }, cancellationToken);

    // ------------------------------------------------------------------------------------------------ sessions

    private const string SessionColumns =
        "s.id, s.name, s.path, s.type, s.kernel_id, s.created_at, k.spec_name, k.provider, s.pending_token, s.pending_pid, s.pending_since";

    private sealed record SessionRow(KernelSession? Session, string Id, string? KernelId, string? PendingToken, int? PendingPid, DateTimeOffset? PendingSince);

    private static SessionRow ReadSessionRow(SqliteDataReader r)
    {
        var kernelId = Str(r, 4);
        var session = kernelId is null ? null : new KernelSession
        {
            Id = r.GetString(0),
            Name = r.GetString(1),
            Path = r.GetString(2),
            Type = r.GetString(3),
            KernelId = kernelId,
            CreatedAt = ParseTime(r, 5)!.Value,
            KernelName = Str(r, 6),
            Provider = Str(r, 7),
        };
        return new SessionRow(session, r.GetString(0), kernelId, Str(r, 8), r.IsDBNull(9) ? null : r.GetInt32(9), ParseTime(r, 10));
    }

    private static SessionRow? SelectSession(SqliteConnection c, SqliteTransaction? tx, string name)
    {
        using var cmd = Command(c, tx, $"SELECT {SessionColumns} FROM sessions s LEFT JOIN kernels k ON k.id = s.kernel_id WHERE s.name = $n", ("$n", name));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadSessionRow(r) : null;
    }

    /// <summary>Records a session bound to an existing kernel.</summary>
    /// <exception cref="KernelException">SessionExists; KernelNotFound when <paramref name="kernelId"/> is not recorded.</exception>
    public async Task<KernelSession> AddSessionAsync(string name, string kernelId, string? path = null, string? type = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return await WriteAsync((c, tx) =>
        {
            if (SelectSession(c, tx, name) is not null)
                throw new KernelException(ErrorIds.SessionExists, KernelErrorCategory.ResourceExists, $"A session named '{name}' already exists.", name);
            if (Scalar<long>(c, tx, "SELECT count(*) FROM kernels WHERE id = $id", ("$id", kernelId)) == 0)
                throw new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound, $"No kernel with id '{kernelId}' is recorded.", kernelId);
            Exec(c, tx, "INSERT INTO sessions (id, name, path, type, kernel_id, created_at) VALUES ($id, $n, $p, $t, $k, $c)",
                ("$id", Guid.NewGuid().ToString()), ("$n", name), ("$p", path ?? ""), ("$t", type ?? "console"), ("$k", kernelId),
                ("$c", Time(DateTimeOffset.UtcNow)));
            return SelectSession(c, tx, name)!.Session!;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session of this name (case-insensitive), or null (also while its kernel is still being started).</summary>
    public Task<KernelSession?> GetSessionAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c => SelectSession(c, null, name)?.Session, cancellationToken);

    /// <summary>Sessions bound to a kernel (pending ones are not listed), by name.</summary>
    public Task<IReadOnlyList<KernelSession>> ListSessionsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<KernelSession>>(c =>
        {
            using var cmd = Command(c, null, $"SELECT {SessionColumns} FROM sessions s JOIN kernels k ON k.id = s.kernel_id ORDER BY s.name");
            using var r = cmd.ExecuteReader();
            var list = new List<KernelSession>();
            while (r.Read()) list.Add(ReadSessionRow(r).Session!);
            return list;
        }, cancellationToken);

    /// <summary>Deletes the session (not its kernel). Returns false when there was none.</summary>
    public Task<bool> RemoveSessionAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM sessions WHERE name = $n", ("$n", name)) > 0, cancellationToken);

    private enum Step { Reuse, Claimed, Wait }

    /// <summary>
    /// "Create or reuse" by name, race-free across threads and processes.
    /// <para>
    /// Protocol: in one BEGIN IMMEDIATE transaction (so it is serialised with every other writer of the file) the
    /// caller either finds the session bound to a kernel (reuse, after <paramref name="isAlive"/> confirms it outside
    /// any transaction), or inserts a <em>pending</em> row (kernel_id NULL, pending_token = a fresh GUID, pending_pid,
    /// pending_since) — the UNIQUE name makes that claim exclusive. The winner starts the kernel with no lock held,
    /// then, in a second transaction, records the kernel and binds the session if its token is still there. Everybody
    /// else sees the pending row and polls until it is bound (then reuses it) or deleted (the start failed: they
    /// compete again). A pending row whose creator process is gone or which is older than
    /// <see cref="SessionCreateOptions.PendingTimeout"/> is taken over (its token replaced), so a creator killed
    /// mid-start cannot block a name forever. A dead kernel (state dead/stopped, or <paramref name="isAlive"/> false)
    /// is replaced the same way: the row is re-claimed with a token, under the condition that it still points at
    /// that kernel. Result: one session and one kernel start per name, however many processes ask at once.
    /// </para>
    /// </summary>
    /// <param name="startKernel">Starts the kernel; called at most once per call, with no database lock held. The
    /// record it returns is upserted (it may already be recorded by the caller).</param>
    /// <param name="isAlive">Checks an existing kernel; an exception propagates (doubt never replaces a kernel).</param>
    public async Task<SessionAcquisition> GetOrCreateSessionAsync(
        string name,
        Func<CancellationToken, Task<KernelRecord>> startKernel,
        Func<KernelRecord, CancellationToken, Task<bool>> isAlive,
        SessionCreateOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(startKernel);
        ArgumentNullException.ThrowIfNull(isAlive);
        options ??= new SessionCreateOptions();
        var myPid = Environment.ProcessId;

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = Guid.NewGuid().ToString("N");
            var (step, row, created) = await WriteAsync((c, tx) =>
            {
                var now = DateTimeOffset.UtcNow;
                var row = SelectSession(c, tx, name);
                if (row is null)
                {
                    Exec(c, tx, "INSERT INTO sessions (id, name, path, type, kernel_id, created_at, pending_token, pending_pid, pending_since) " +
                                "VALUES ($id, $n, $p, $t, NULL, $c, $tok, $pid, $c)",
                        ("$id", Guid.NewGuid().ToString()), ("$n", name), ("$p", options.Path ?? ""), ("$t", options.Type ?? "console"),
                        ("$c", Time(now)), ("$tok", token), ("$pid", myPid));
                    return (Step.Claimed, (SessionRow?)null, true);
                }
                if (row.PendingToken is not null)
                {
                    var stale = row.PendingSince is null || now - row.PendingSince.Value > options.PendingTimeout
                                || (row.PendingPid is int pid && pid != myPid && !ProcessExists(pid));
                    if (!stale) return (Step.Wait, row, false);
                    Claim(c, tx, row.Id, token, myPid, now);
                    return (Step.Claimed, row, row.KernelId is null);
                }
                return (Step.Reuse, row, false);
            }, cancellationToken).ConfigureAwait(false);

            if (step == Step.Wait)
            {
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }

            string? replaced = null;
            if (step == Step.Reuse)
            {
                var kernel = await GetKernelAsync(row!.KernelId!, cancellationToken).ConfigureAwait(false);
                if (kernel is not null && kernel.State is not (KernelState.Dead or KernelState.Stopped)
                    && await isAlive(kernel, cancellationToken).ConfigureAwait(false))
                    return new SessionAcquisition(row.Session!, kernel with { SessionName = row.Session!.Name }, false, null);

                // Dead: re-claim the row, provided nobody changed it meanwhile.
                var claimed = await WriteAsync((c, tx) =>
                {
                    var now = DateTimeOffset.UtcNow;
                    var again = SelectSession(c, tx, name);
                    if (again is null || again.Id != row.Id || again.KernelId != row.KernelId || again.PendingToken is not null) return false;
                    Claim(c, tx, row.Id, token, myPid, now);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                if (!claimed) continue;
                replaced = row.KernelId;
                created = false;
            }
            else if (row?.KernelId is not null)
            {
                replaced = row.KernelId; // took over a stale replacement
            }

            // We hold the claim: start the kernel with no lock held.
            KernelRecord started;
            try
            {
                started = await startKernel(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ReleaseClaimAsync(name, token, deleteRow: created).ConfigureAwait(false);
                throw;
            }

            var result = await WriteAsync((c, tx) =>
            {
                UpsertKernel(c, tx, started with { SessionName = null });
                var mine = SelectSession(c, tx, name);
                if (mine is null || mine.PendingToken != token) return null; // taken over while we were slow: reuse theirs
                Exec(c, tx, "UPDATE sessions SET kernel_id = $k, pending_token = NULL, pending_pid = NULL, pending_since = NULL WHERE id = $id",
                    ("$k", started.Id), ("$id", mine.Id));
                return SelectSession(c, tx, name)!.Session;
            }, CancellationToken.None).ConfigureAwait(false);
            if (result is null) continue;
            return new SessionAcquisition(result, started with { SessionName = result.Name }, true, replaced);
        }
    }

    private static void Claim(SqliteConnection c, SqliteTransaction tx, string sessionId, string token, int pid, DateTimeOffset now) =>
        Exec(c, tx, "UPDATE sessions SET pending_token = $tok, pending_pid = $pid, pending_since = $now WHERE id = $id",
            ("$tok", token), ("$pid", pid), ("$now", Time(now)), ("$id", sessionId));

    private async Task ReleaseClaimAsync(string name, string token, bool deleteRow)
    {
        try
        {
            await WriteAsync((c, tx) => deleteRow
                ? Exec(c, tx, "DELETE FROM sessions WHERE name = $n AND pending_token = $tok", ("$n", name), ("$tok", token))
                : Exec(c, tx, "UPDATE sessions SET pending_token = NULL, pending_pid = NULL, pending_since = NULL WHERE name = $n AND pending_token = $tok",
                    ("$n", name), ("$tok", token)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (KernelException)
        {
            // The claim expires by itself (PendingTimeout / dead-process check); the original error matters more.
        }
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ subshells

    /// <summary>Records a subshell (idempotent). KernelNotFound when the kernel is not recorded.</summary>
    public Task<KernelSubShell> AddSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            if (Scalar<long>(c, tx, "SELECT count(*) FROM kernels WHERE id = $id", ("$id", kernelId)) == 0)
                throw new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound, $"No kernel with id '{kernelId}' is recorded.", kernelId);
            Exec(c, tx, "INSERT INTO subshells (kernel_id, subshell_id, created_at) VALUES ($k, $s, $c) ON CONFLICT DO NOTHING",
                ("$k", kernelId), ("$s", subShellId), ("$c", Time(DateTimeOffset.UtcNow)));
            using var cmd = Command(c, tx, "SELECT created_at FROM subshells WHERE kernel_id = $k AND subshell_id = $s", ("$k", kernelId), ("$s", subShellId));
            using var r = cmd.ExecuteReader();
            r.Read();
            return new KernelSubShell { KernelId = kernelId, SubShellId = subShellId, CreatedAt = ParseTime(r, 0)!.Value };
        }, cancellationToken);

    public Task<IReadOnlyList<KernelSubShell>> ListSubShellsAsync(string kernelId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<KernelSubShell>>(c =>
        {
            using var cmd = Command(c, null, "SELECT subshell_id, created_at FROM subshells WHERE kernel_id = $k ORDER BY created_at, subshell_id", ("$k", kernelId));
            using var r = cmd.ExecuteReader();
            var list = new List<KernelSubShell>();
            while (r.Read()) list.Add(new KernelSubShell { KernelId = kernelId, SubShellId = r.GetString(0), CreatedAt = ParseTime(r, 1)!.Value });
            return list;
        }, cancellationToken);

    public Task<bool> RemoveSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM subshells WHERE kernel_id = $k AND subshell_id = $s", ("$k", kernelId), ("$s", subShellId)) > 0,
            cancellationToken);

    /// <summary>Forgets all subshells of a kernel (after a restart). Returns how many there were.</summary>
    public Task<int> ClearSubShellsAsync(string kernelId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM subshells WHERE kernel_id = $k", ("$k", kernelId)), cancellationToken);

    // ------------------------------------------------------------------------------------------------ providers

    private static readonly HashSet<string> SecretNames = new(StringComparer.OrdinalIgnoreCase)
        { "token", "password", "secret", "key", "apikey", "api_key", "accesstoken", "access_token" };

    private static void RejectSecrets(StoredProvider p)
    {
        try
        {
            using var doc = JsonDocument.Parse(p.ConfigJson);
            if (HasSecret(doc.RootElement))
                throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.SecurityError,
                    $"The configuration of provider '{p.Name}' contains a secret field; secrets are never written to the store.", p.Name);
        }
        catch (JsonException e)
        {
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                $"The configuration of provider '{p.Name}' is not valid JSON.", p.Name, e);
        }

        static bool HasSecret(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().Any(pr =>
                (SecretNames.Contains(pr.Name) && pr.Value.ValueKind == JsonValueKind.String && pr.Value.GetString()!.Length > 0) || HasSecret(pr.Value)),
            JsonValueKind.Array => e.EnumerateArray().Any(HasSecret),
            _ => false,
        };
    }

    /// <summary>Inserts or replaces a provider row (created_at is kept on replace).</summary>
    /// <exception cref="KernelException">ProviderInvalid when the configuration is not JSON or holds a secret field.</exception>
    public Task UpsertProviderAsync(StoredProvider provider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        RejectSecrets(provider);
        var created = provider.CreatedAt == default ? DateTimeOffset.UtcNow : provider.CreatedAt;
        return WriteAsync((c, tx) => Exec(c, tx,
            "INSERT INTO providers (name, kind, config_json, created_at) VALUES ($n, $k, $j, $c) " +
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, config_json = excluded.config_json",
            ("$n", provider.Name), ("$k", provider.Kind), ("$j", provider.ConfigJson), ("$c", Time(created))), cancellationToken);
    }

    private static StoredProvider ReadProvider(SqliteDataReader r) => new()
    {
        Name = r.GetString(0), Kind = r.GetString(1), ConfigJson = r.GetString(2), CreatedAt = ParseTime(r, 3)!.Value,
    };

    public Task<StoredProvider?> GetProviderAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var cmd = Command(c, null, "SELECT name, kind, config_json, created_at FROM providers WHERE name = $n", ("$n", name));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadProvider(r) : null;
        }, cancellationToken);

    public Task<IReadOnlyList<StoredProvider>> ListProvidersAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredProvider>>(c =>
        {
            using var cmd = Command(c, null, "SELECT name, kind, config_json, created_at FROM providers ORDER BY name");
            using var r = cmd.ExecuteReader();
            var list = new List<StoredProvider>();
            while (r.Read()) list.Add(ReadProvider(r));
            return list;
        }, cancellationToken);

    /// <summary>Deletes the provider row (its kernel records stay: sync reports them as "provider not registered").</summary>
    public Task<bool> RemoveProviderAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "DELETE FROM providers WHERE name = $n", ("$n", name)) > 0, cancellationToken);

    // ------------------------------------------------------------------------------------------------ checks

    /// <summary>PRAGMA integrity_check and foreign_key_check; "ok" when both are clean.</summary>
    public Task<string> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            var integrity = Scalar<string>(c, null, "PRAGMA integrity_check");
            if (integrity != "ok") return integrity;
            using var cmd = Command(c, null, "PRAGMA foreign_key_check");
            using var r = cmd.ExecuteReader();
            return r.Read() ? $"foreign key violation in {r.GetString(0)}" : "ok";
        }, cancellationToken);
}
