namespace JupyterKernels.Store;

/// <summary>The executions table: executions in flight, written by the process that runs them.</summary>
internal sealed partial class KernelStore
{
    /// <summary>Records an execution in flight and moves the kernel's last activity to its start, in one transaction.
    /// False when the kernel is no longer recorded (stopped meanwhile): nothing is written.</summary>
    public Task<bool> BeginExecutionAsync(ExecutionInFlight execution, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            if (Exec(c, tx, "UPDATE kernels SET last_activity_at = max(coalesce(last_activity_at, ''), $a) WHERE id = $k",
                    ("$k", execution.KernelId), ("$a", Time(execution.StartedAt))) == 0)
                return false;
            Exec(c, tx, "INSERT INTO executions (msg_id, kernel_id, subshell_id, owner_pid, owner_start_time, started_at) " +
                        "VALUES ($m, $k, $s, $p, $pst, $at) ON CONFLICT DO NOTHING",
                ("$m", execution.MsgId), ("$k", execution.KernelId), ("$s", execution.SubShellId), ("$p", execution.OwnerPid),
                ("$pst", Time(execution.OwnerStartTime)), ("$at", Time(execution.StartedAt)));
            return true;
        }, cancellationToken);

    /// <summary>Clears an execution and moves the kernel's last activity to its end, in one transaction.</summary>
    public Task EndExecutionAsync(string kernelId, string msgId, DateTimeOffset endedAt, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            Exec(c, tx, "DELETE FROM executions WHERE msg_id = $m", ("$m", msgId));
            return Exec(c, tx, "UPDATE kernels SET last_activity_at = max(coalesce(last_activity_at, ''), $a) WHERE id = $k",
                ("$k", kernelId), ("$a", Time(endedAt)));
        }, cancellationToken);

    /// <summary>Moves a kernel's last activity forward (never back: another process may have seen later activity).</summary>
    public Task<bool> NoteActivityAsync(string kernelId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => Exec(c, tx, "UPDATE kernels SET last_activity_at = max(coalesce(last_activity_at, ''), $a) WHERE id = $k",
            ("$k", kernelId), ("$a", Time(at))) > 0, cancellationToken);

    /// <summary>Executions in flight (of one kernel, or all), oldest first.</summary>
    public Task<IReadOnlyList<ExecutionInFlight>> ListExecutionsAsync(string? kernelId = null, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ExecutionInFlight>>(c =>
        {
            const string columns = "msg_id, kernel_id, subshell_id, owner_pid, owner_start_time, started_at";
            using var cmd = kernelId is null
                ? Command(c, null, $"SELECT {columns} FROM executions ORDER BY started_at, msg_id")
                : Command(c, null, $"SELECT {columns} FROM executions WHERE kernel_id = $k ORDER BY started_at, msg_id", ("$k", kernelId));
            using var r = cmd.ExecuteReader();
            var list = new List<ExecutionInFlight>();
            while (r.Read())
                list.Add(new ExecutionInFlight(r.GetString(0), r.GetString(1), Str(r, 2), r.GetInt32(3), ParseTime(r, 4), ParseTime(r, 5)!.Value));
            return list;
        }, cancellationToken);

    /// <summary>Removes execution rows (stale ones, whose owner process is gone). Returns how many were removed.</summary>
    public Task<int> RemoveExecutionsAsync(IReadOnlyCollection<string> msgIds, CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) =>
        {
            var n = 0;
            foreach (var id in msgIds) n += Exec(c, tx, "DELETE FROM executions WHERE msg_id = $m", ("$m", id));
            return n;
        }, cancellationToken);
}
