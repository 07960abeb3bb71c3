
namespace JupyterKernels.Store;

/// <summary>The subshells table.</summary>
internal sealed partial class KernelStore
{
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
}
