using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>Schema versions: <c>PRAGMA user_version</c> steps, the read-only look that refuses newer or foreign files,
/// and the migration under the write lock.</summary>
internal sealed partial class KernelStore
{
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
        // 2: registered providers (configuration without secrets). No longer read or written: the provider registry is
        //    providers.json (Providers/ProvidersFile.cs). The step stays so version-2 files open unchanged (no downgrade).
        """
        CREATE TABLE providers (
            name        TEXT NOT NULL PRIMARY KEY,
            kind        TEXT NOT NULL,
            config_json TEXT NOT NULL DEFAULT '{}',
            created_at  TEXT NOT NULL
        ) STRICT;
        """,
        // 3: the process that records a kernel before starting it (pid + start time), so that Sync can tell a start
        //    still in progress from one whose process died (nothing orphaned by a start killed early).
        """
        ALTER TABLE kernels ADD COLUMN starter_pid INTEGER;
        ALTER TABLE kernels ADD COLUMN starter_start_time TEXT;
        """,
        // 4: executions in flight (a kernel is busy for every process, not only the one running the cell) and kernels
        //    adopted from other Jupyter clients (no pid of ours: stopped by request + heartbeat, never by signal).
        """
        CREATE TABLE executions (
            msg_id           TEXT    NOT NULL PRIMARY KEY,
            kernel_id        TEXT    NOT NULL REFERENCES kernels(id) ON DELETE CASCADE,
            subshell_id      TEXT,
            owner_pid        INTEGER NOT NULL,
            owner_start_time TEXT,
            started_at       TEXT    NOT NULL
        ) STRICT;
        CREATE INDEX ix_executions_kernel_id ON executions(kernel_id);
        ALTER TABLE kernels ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0;
        """,
        // 5: each provider owns what it persists: the local-only and remote-only columns move into one JSON
        //    payload the owning provider reads and writes (Providers/Local/LocalKernelData, Providers/Gateway/
        //    RemoteKernelData; their keys are these column names). remote_id stays a column: the store keeps it unique
        //    per provider; connections stays too: Sync observes it like the state. Rows of 'local' get the local
        //    fields, every other provider's rows the URL; a NULL field is left out (json_object writes it as null,
        //    which the readers take as absent).
        """
        ALTER TABLE kernels ADD COLUMN provider_data TEXT;
        UPDATE kernels SET provider_data = CASE WHEN provider = 'local' COLLATE NOCASE OR provider = '' THEN
            json_object('connection_info_json', connection_info_json, 'connection_file', connection_file, 'pid', pid,
                        'process_start_time', process_start_time, 'adopted', json(CASE WHEN adopted <> 0 THEN 'true' ELSE 'false' END))
            ELSE json_object('url', url) END;
        ALTER TABLE kernels DROP COLUMN connection_info_json;
        ALTER TABLE kernels DROP COLUMN connection_file;
        ALTER TABLE kernels DROP COLUMN pid;
        ALTER TABLE kernels DROP COLUMN process_start_time;
        ALTER TABLE kernels DROP COLUMN adopted;
        ALTER TABLE kernels DROP COLUMN url;
        """,
    };

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Migrations.Length;

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

    /// <summary>SQLite's quick_check on a read-only connection: a damaged file is StoreInvalid before anything writes.</summary>
    private void QuickCheck(string path)
    {
        var ro = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var conn = new SqliteConnection(ro);
            conn.Open();
            SetBusyTimeout(conn);
            var result = Scalar<string>(conn, null, "PRAGMA quick_check(1)");
            if (result != "ok") throw Invalid(path, $"it is corrupted: {result}");
        }
        catch (SqliteException e) when (IsBusy(e))
        {
            // Locked exclusively by another process for now: the file's header was checked; the next error reopens again.
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 /*NOTADB*/ or 11 /*CORRUPT*/)
        {
            throw Invalid(path, "it is corrupted", e);
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
}
