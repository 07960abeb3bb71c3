using JupyterKernels.Providers;

namespace JupyterKernels.Store;

/// <summary>The synchronizer's batch: every change one sync makes, in one transaction.</summary>
internal sealed partial class KernelStore
{
    /// <summary>A change the synchronizer makes to an existing record: only the fields it observes, so a concurrent
    /// writer's other changes (e.g. a restart's new connection info in the provider data) are not overwritten.</summary>
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
                    KeepClaimedSessions(c, tx, id);
                    cmd.Parameters[0].Value = id;
                    if (cmd.ExecuteNonQuery() > 0) removed.Add(id);
                }
            }
            return (updated, inserted, removed);
        }, cancellationToken);
}
