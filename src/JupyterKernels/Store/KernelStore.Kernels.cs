using JupyterKernels.Providers;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>The kernels table: records.</summary>
internal sealed partial class KernelStore
{
    // provider_data is the owning provider's JSON (KernelRecord.ProviderData): stored and returned as it is, never read here.
    private const string KernelColumns =
        "k.id, k.provider, k.remote_id, k.spec_name, k.display_name, k.interrupt_mode, k.created_at, k.last_seen_at, " +
        "k.last_activity_at, k.state, k.connections, k.owner, (SELECT s.name FROM sessions s WHERE s.kernel_id = k.id ORDER BY s.created_at LIMIT 1), " +
        "k.starter_pid, k.starter_start_time, k.provider_data";

    private static KernelRecord ReadKernel(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Provider = r.GetString(1),
        RemoteId = Str(r, 2),
        SpecName = r.GetString(3),
        DisplayName = r.GetString(4),
        InterruptMode = r.GetString(5),
        CreatedAt = ParseTime(r, 6)!.Value,
        LastSeenAt = ParseTime(r, 7),
        LastActivityAt = ParseTime(r, 8),
        State = ParseState(r.GetString(9)),
        Connections = r.IsDBNull(10) ? null : r.GetInt32(10),
        Owner = r.GetString(11),
        SessionName = Str(r, 12),
        StarterPid = r.IsDBNull(13) ? null : r.GetInt32(13),
        StarterStartTime = ParseTime(r, 14),
        ProviderData = Str(r, 15),
    };

    private static (string, object?)[] KernelArgs(KernelRecord k) => new (string, object?)[]
    {
        ("$id", k.Id), ("$provider", k.Provider), ("$remote_id", k.RemoteId), ("$spec_name", k.SpecName),
        ("$display_name", k.DisplayName ?? ""), ("$im", k.InterruptMode ?? "signal"), ("$created", Time(k.CreatedAt)),
        ("$seen", Time(k.LastSeenAt)), ("$activity", Time(k.LastActivityAt)), ("$state", StateText(k.State)),
        ("$conns", k.Connections), ("$owner", k.Owner ?? ""), ("$spid", k.StarterPid), ("$sst", Time(k.StarterStartTime)),
        ("$pdata", k.ProviderData),
    };

    private const string InsertKernelSql =
        "INSERT INTO kernels (id, provider, remote_id, spec_name, display_name, interrupt_mode, created_at, last_seen_at, " +
        "last_activity_at, state, connections, owner, starter_pid, starter_start_time, provider_data) VALUES " +
        "($id, $provider, $remote_id, $spec_name, $display_name, $im, $created, $seen, $activity, $state, $conns, $owner, $spid, $sst, $pdata)";

    private const string UpdateKernelSql =
        "UPDATE kernels SET provider = $provider, remote_id = $remote_id, spec_name = $spec_name, display_name = $display_name, " +
        "interrupt_mode = $im, created_at = $created, last_seen_at = $seen, last_activity_at = $activity, state = $state, " +
        "connections = $conns, owner = $owner, starter_pid = $spid, starter_start_time = $sst, provider_data = $pdata WHERE id = $id";

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

    /// <summary>Inserts many records in one transaction (all or nothing). Seeds benchmarks and stress tests (InternalsVisibleTo).</summary>
    internal async Task AddKernelsAsync(IEnumerable<KernelRecord> kernels, CancellationToken cancellationToken = default)
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

    // Tests only (InternalsVisibleTo): Sync matches remote ids in memory.
    internal Task<KernelRecord?> FindKernelByRemoteIdAsync(string provider, string remoteId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var cmd = Command(c, null, $"SELECT {KernelColumns} FROM kernels k WHERE k.provider = $p AND k.remote_id = $r",
                ("$p", provider), ("$r", remoteId));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadKernel(r) : null;
        }, cancellationToken);

    /// <summary>Deletes a record and (cascade) its sessions and subshells — except a session claimed for a replacement
    /// kernel, which is kept, unbound, for its claimant. Returns false when it was not there.</summary>
    public Task<bool> RemoveKernelAsync(string id, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            KeepClaimedSessions(c, tx, id);
            return Exec(c, tx, "DELETE FROM kernels WHERE id = $id", ("$id", id)) > 0;
        }, cancellationToken);

    /// <summary>
    /// A session whose dead kernel is being replaced holds a claim (pending_token) while still pointing at the dead
    /// kernel. Removing that kernel must not delete the session through the cascade: its claimant would then find no
    /// session, save its new kernel in none, and start yet another. Unbinding it first keeps it.
    /// </summary>
    private static void KeepClaimedSessions(SqliteConnection c, SqliteTransaction tx, string kernelId) =>
        Exec(c, tx, "UPDATE sessions SET kernel_id = NULL WHERE kernel_id = $id AND pending_token IS NOT NULL", ("$id", kernelId));

    // Tests and benchmarks only (InternalsVisibleTo).
    internal Task<int> CountKernelsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c => (int)Scalar<long>(c, null, "SELECT count(*) FROM kernels"), cancellationToken);
}
