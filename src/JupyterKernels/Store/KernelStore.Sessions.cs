using JupyterKernels.Providers;
using JupyterKernels.Processes;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>The sessions table and its create-or-reuse claim protocol across processes.</summary>
internal sealed partial class KernelStore
{
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
    /// <param name="discardKernel">Stops a kernel this call started but cannot bind (its claim was taken over by a
    /// process that found it stale); its record is already removed. Without it, such a kernel is left recorded.</param>
    public async Task<SessionAcquisition> GetOrCreateSessionAsync(
        string name,
        Func<CancellationToken, Task<KernelRecord>> startKernel,
        Func<KernelRecord, CancellationToken, Task<bool>> isAlive,
        SessionCreateOptions? options = null,
        CancellationToken cancellationToken = default,
        Func<KernelRecord, CancellationToken, Task>? discardKernel = null)
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
                                || (row.PendingPid is int pid && pid != myPid && ProcessIdentity.Check(pid, null) == ProcessStatus.Gone);
                    if (!stale) return (Step.Wait, row, false);
                    Claim(c, tx, row.Id, token, myPid, now);
                    return (Step.Claimed, row, row.KernelId is null);
                }
                if (row.KernelId is null)
                {
                    // Unbound and unclaimed (its kernel was removed after a failed replacement): ours to fill.
                    Claim(c, tx, row.Id, token, myPid, now);
                    return (Step.Claimed, row, true);
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

            // Bind the kernel we started, whatever happened to the row meanwhile: it is never left running unowned.
            var result = await WriteAsync((c, tx) =>
            {
                var mine = SelectSession(c, tx, name);
                if (mine is null)
                {
                    // The row went (removed by the user, or by an older version's cascade): the name is free, take it.
                    UpsertKernel(c, tx, started with { SessionName = null });
                    Exec(c, tx, "INSERT INTO sessions (id, name, path, type, kernel_id, created_at) VALUES ($id, $n, $p, $t, $k, $c)",
                        ("$id", Guid.NewGuid().ToString()), ("$n", name), ("$p", options.Path ?? ""), ("$t", options.Type ?? "console"),
                        ("$k", started.Id), ("$c", Time(DateTimeOffset.UtcNow)));
                    return SelectSession(c, tx, name)!.Session;
                }
                if (mine.PendingToken != token)
                {
                    // Taken over while we were slow: the other claimant's kernel wins; ours must go, record and process.
                    Exec(c, tx, "DELETE FROM kernels WHERE id = $id", ("$id", started.Id));
                    return null;
                }
                UpsertKernel(c, tx, started with { SessionName = null });
                Exec(c, tx, "UPDATE sessions SET kernel_id = $k, pending_token = NULL, pending_pid = NULL, pending_since = NULL WHERE id = $id",
                    ("$k", started.Id), ("$id", mine.Id));
                return SelectSession(c, tx, name)!.Session;
            }, CancellationToken.None).ConfigureAwait(false);
            if (result is null)
            {
                if (discardKernel is not null) await discardKernel(started, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
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
            // A row left without a kernel (never had one, or its dead kernel was removed meanwhile) goes with the claim.
            await WriteAsync((c, tx) => deleteRow
                ? Exec(c, tx, "DELETE FROM sessions WHERE name = $n AND pending_token = $tok", ("$n", name), ("$tok", token))
                : Exec(c, tx, "DELETE FROM sessions WHERE name = $n AND pending_token = $tok AND kernel_id IS NULL", ("$n", name), ("$tok", token))
                  + Exec(c, tx, "UPDATE sessions SET pending_token = NULL, pending_pid = NULL, pending_since = NULL WHERE name = $n AND pending_token = $tok",
                    ("$n", name), ("$tok", token)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (KernelException)
        {
            // The claim expires by itself (PendingTimeout / dead-process check); the original error matters more.
        }
    }
}
