using JupyterKernels.Providers;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>A session a server has for a kernel the sync adopts: recorded with it, unless the name is taken.</summary>
internal sealed record AdoptedSession(string Name, string KernelId, string Path, string? Type);

/// <summary>Every change one sync makes to the store, written in one transaction.</summary>
internal sealed record SyncBatch
{
    /// <summary>Observed fields of existing records.</summary>
    public IReadOnlyCollection<KernelStore.KernelObservation> Observations { get; init; } = Array.Empty<KernelStore.KernelObservation>();
    /// <summary>Whole records of existing rows (interrupted starts completed).</summary>
    public IReadOnlyCollection<KernelRecord> Completions { get; init; } = Array.Empty<KernelRecord>();
    /// <summary>New records (adopted kernels).</summary>
    public IReadOnlyCollection<KernelRecord> Inserts { get; init; } = Array.Empty<KernelRecord>();
    /// <summary>Sessions of adopted kernels, recorded only with their kernel's insert.</summary>
    public IReadOnlyCollection<AdoptedSession> Sessions { get; init; } = Array.Empty<AdoptedSession>();
    /// <summary>Records to delete.</summary>
    public IReadOnlyCollection<string> Removals { get; init; } = Array.Empty<string>();
    /// <summary>Executions in flight to clear (their owner process is gone), by msg id.</summary>
    public IReadOnlyCollection<string> StaleExecutions { get; init; } = Array.Empty<string>();
    /// <summary>Pending session claims to bind to a kernel, each only while still the claim it was.</summary>
    public IReadOnlyCollection<(PendingSessionClaim Claim, string KernelId)> Binds { get; init; } = Array.Empty<(PendingSessionClaim, string)>();
    /// <summary>Pending session claims to drop, each only while still the claim it was.</summary>
    public IReadOnlyCollection<PendingSessionClaim> Drops { get; init; } = Array.Empty<PendingSessionClaim>();

    public bool IsEmpty => Observations.Count + Completions.Count + Inserts.Count + Removals.Count + StaleExecutions.Count + Binds.Count + Drops.Count == 0;
}

/// <summary>What a <see cref="SyncBatch"/> actually changed: kernel ids updated (observed or completed), inserted and
/// removed, and the ids of the session claims bound.</summary>
internal sealed record SyncBatchOutcome(HashSet<string> Updated, HashSet<string> Inserted, HashSet<string> Removed, HashSet<string> Bound);

/// <summary>The synchronizer's batch: every change one sync makes, in one transaction.</summary>
internal sealed partial class KernelStore
{
    /// <summary>A change the synchronizer makes to an existing record: only the fields it observes, so a concurrent
    /// writer's other changes (e.g. a restart's new connection info in the provider data) are not overwritten.</summary>
    internal sealed record KernelObservation(string Id, KernelState State, DateTimeOffset? LastSeenAt, DateTimeOffset? LastActivityAt, int? Connections);

    /// <summary>The record part of a sync batch alone (tests of the batch, InternalsVisibleTo): see <see cref="ApplySyncAsync"/>.</summary>
    /// <returns>The ids actually updated, inserted and removed.</returns>
    internal async Task<(HashSet<string> Updated, HashSet<string> Inserted, HashSet<string> Removed)> ApplySyncBatchAsync(
        IReadOnlyCollection<KernelObservation> updates, IReadOnlyCollection<KernelRecord> inserts, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken)
    {
        var done = await ApplySyncAsync(new SyncBatch { Observations = updates, Inserts = inserts, Removals = removals }, cancellationToken).ConfigureAwait(false);
        return (done.Updated, done.Inserted, done.Removed);
    }

    /// <summary>
    /// Applies everything one sync changes in one transaction: all of it or, when anything fails, none of it. Each
    /// change holds only against the rows as they are now: updates touch existing rows only (a record another process
    /// deleted meanwhile stays deleted), inserts skip ids or remote ids recorded meanwhile, a session claim is bound or
    /// dropped only while it is still the claim the sync saw, and a bind needs its kernel recorded.
    /// </summary>
    internal Task<SyncBatchOutcome> ApplySyncAsync(SyncBatch batch, CancellationToken cancellationToken) =>
        WriteAsync((c, tx) =>
        {
            var outcome = new SyncBatchOutcome(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
            foreach (var msgId in batch.StaleExecutions) Exec(c, tx, "DELETE FROM executions WHERE msg_id = $m", ("$m", msgId));
            Observe(c, tx, batch.Observations, outcome.Updated);
            foreach (var k in batch.Completions)
                if (Exec(c, tx, UpdateKernelSql, KernelArgs(k)) > 0) outcome.Updated.Add(k.Id);
            Insert(c, tx, batch.Inserts, outcome.Inserted);
            foreach (var s in batch.Sessions.Where(s => outcome.Inserted.Contains(s.KernelId)))
                Exec(c, tx, "INSERT INTO sessions (id, name, path, type, kernel_id, created_at) SELECT $id, $n, $p, $t, $k, $c " +
                            "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE name = $n)",
                    ("$id", Guid.NewGuid().ToString()), ("$n", s.Name), ("$p", s.Path), ("$t", s.Type ?? "console"), ("$k", s.KernelId),
                    ("$c", Time(DateTimeOffset.UtcNow)));
            if (batch.Removals.Count > 0)
            {
                using var cmd = Command(c, tx, "DELETE FROM kernels WHERE id = $id", ("$id", ""));
                foreach (var id in batch.Removals)
                {
                    KeepClaimedSessions(c, tx, id);
                    cmd.Parameters[0].Value = id;
                    if (cmd.ExecuteNonQuery() > 0) outcome.Removed.Add(id);
                }
            }
            foreach (var (claim, kernelId) in batch.Binds)
                if (BindPending(c, tx, claim, kernelId)) outcome.Bound.Add(claim.Id);
            foreach (var claim in batch.Drops) DropPending(c, tx, claim);
            return outcome;
        }, cancellationToken);

    private static void Observe(SqliteConnection c, SqliteTransaction tx, IReadOnlyCollection<KernelObservation> updates, HashSet<string> updated)
    {
        if (updates.Count == 0) return;
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

    private static void Insert(SqliteConnection c, SqliteTransaction tx, IReadOnlyCollection<KernelRecord> inserts, HashSet<string> inserted)
    {
        if (inserts.Count == 0) return;
        using var cmd = Command(c, tx, InsertKernelSql + " ON CONFLICT DO NOTHING", KernelArgs(inserts.First()));
        foreach (var k in inserts)
        {
            var args = KernelArgs(k);
            for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Item2 ?? DBNull.Value;
            if (cmd.ExecuteNonQuery() > 0) inserted.Add(k.Id);
        }
    }
}
