using JupyterKernels.Providers;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Tests.Support;

internal static class StoreTestUtil
{
    public static KernelRecord Record(string id, string provider = "local", KernelState state = KernelState.Idle, string? remoteId = null,
        DateTimeOffset? lastActivity = null, int? connections = null, DateTimeOffset? created = null) => new()
    {
        Id = id,
        Provider = provider,
        RemoteId = remoteId,
        SpecName = provider == "local" ? "python3" : provider + "/python3",
        DisplayName = "Python 3",
        CreatedAt = created ?? DateTimeOffset.UtcNow.AddHours(-1),
        LastSeenAt = DateTimeOffset.UtcNow.AddMinutes(-5),
        LastActivityAt = lastActivity,
        State = state,
        Connections = connections,
        Owner = "me@host",
    };

    /// <summary>A raw connection that bypasses KernelStore (no pooling, so the file is released on dispose).</summary>
    public static SqliteConnection Raw(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        SQLitePCL.Batteries_V2.Init();
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    public static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
