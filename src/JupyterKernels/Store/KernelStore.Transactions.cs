using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>Connections, the retry policy around BUSY/LOCKED, transactions, and the column conversions every table uses.</summary>
internal sealed partial class KernelStore
{
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
            : FileSystemError(Path, e) ?? new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
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
                throw IsDamage(e) ? Fault(Unavailable(e)) : Unavailable(e);
            }
        }
    }

    /// <summary>One BEGIN IMMEDIATE transaction, committed when <paramref name="body"/> returns; rolled back (by
    /// disposal) when it throws or the process dies.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> body, CancellationToken ct) =>
        _readOnlyFileSystem ? throw (FileSystemError(Path, null) ?? ReadOnlyFileSystem(Path))
        : _fault is { } fault ? throw Refused(fault)
        : WithRetryAsync(conn =>
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
}
