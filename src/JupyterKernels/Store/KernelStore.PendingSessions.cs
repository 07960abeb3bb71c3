using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>A session row still claimed (<c>pending_token</c>) by a <c>GetOrCreateSessionAsync</c> call: what the
/// synchronizer needs to resolve a claim whose process is gone. <paramref name="KernelId"/> is the dead kernel a
/// replacement claim points at, null for a new session.</summary>
internal sealed record PendingSessionClaim(string Id, string Name, string Token, int? Pid, DateTimeOffset? Since, string? KernelId);

/// <summary>Claims left behind by an interrupted create-or-reuse (New-KernelSession killed while its kernel started),
/// resolved by the synchronizer: bound to the kernel the start left, or dropped.</summary>
internal sealed partial class KernelStore
{
    /// <summary>Every claimed (pending) session row.</summary>
    public Task<IReadOnlyList<PendingSessionClaim>> ListPendingSessionsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<PendingSessionClaim>>(c =>
        {
            using var cmd = Command(c, null, "SELECT id, name, pending_token, pending_pid, pending_since, kernel_id FROM sessions WHERE pending_token IS NOT NULL ORDER BY name");
            using var r = cmd.ExecuteReader();
            var list = new List<PendingSessionClaim>();
            while (r.Read())
                list.Add(new PendingSessionClaim(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), ParseTime(r, 4), Str(r, 5)));
            return list;
        }, cancellationToken);

    /// <summary>Binds the claimed session to <paramref name="kernelId"/> and ends the claim, provided the claim is still
    /// <paramref name="claim"/>'s (nobody took it over meanwhile) and the kernel is recorded. False otherwise.</summary>
    public Task<bool> BindPendingSessionAsync(PendingSessionClaim claim, string kernelId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => BindPending(c, tx, claim, kernelId), cancellationToken);

    private static bool BindPending(SqliteConnection c, SqliteTransaction tx, PendingSessionClaim claim, string kernelId) =>
        Scalar<long>(c, tx, "SELECT count(*) FROM kernels WHERE id = $k", ("$k", kernelId)) > 0
        && Exec(c, tx, "UPDATE sessions SET kernel_id = $k, pending_token = NULL, pending_pid = NULL, pending_since = NULL " +
                       "WHERE id = $id AND pending_token = $tok", ("$k", kernelId), ("$id", claim.Id), ("$tok", claim.Token)) > 0;

    /// <summary>Ends a claim nobody will complete, provided it is still <paramref name="claim"/>'s: a new session's row
    /// goes; a replacement's row keeps pointing at its dead kernel, unclaimed (the next create-or-reuse replaces it).</summary>
    public Task<bool> DropPendingSessionAsync(PendingSessionClaim claim, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => DropPending(c, tx, claim), cancellationToken);

    private static bool DropPending(SqliteConnection c, SqliteTransaction tx, PendingSessionClaim claim) =>
        Exec(c, tx, "DELETE FROM sessions WHERE id = $id AND pending_token = $tok AND kernel_id IS NULL", ("$id", claim.Id), ("$tok", claim.Token))
        + Exec(c, tx, "UPDATE sessions SET pending_token = NULL, pending_pid = NULL, pending_since = NULL WHERE id = $id AND pending_token = $tok",
            ("$id", claim.Id), ("$tok", claim.Token)) > 0;
}
