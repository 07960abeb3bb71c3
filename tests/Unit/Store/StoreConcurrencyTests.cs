using System.Diagnostics;
using System.Text;
using System.Text.Json;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using static JupyterKernels.Tests.Support.StoreTestUtil;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Store;

/// <summary>Real processes (tests/StoreStress) sharing one store file.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public class StoreConcurrencyTests
{
    private sealed record Report(string Child, int Iterations, int Syncs, List<string> Present, List<string> Removed,
        Dictionary<string, List<string>> SessionKernels, Dictionary<string, int> Starts);

    private static ProcessStartInfo StressTool(params string[] args)
    {
        var psi = new ProcessStartInfo(Support.SiblingTool.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Support.SiblingTool.DllPath("StoreStress"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    private static async Task<(int Code, string Err)> RunToEnd(Process p, TimeSpan limit)
    {
        var err = p.StandardError.ReadToEndAsync();
        var _ = p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"stress child {p.Id} did not finish within {limit}");
        }
        return (p.ExitCode, await err);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ManyProcesses_NoLostOrDuplicatedRecords_OneKernelPerSession(int processes)
    {
        using var dir = new TempDirectory("jk-store");
        var db = dir.File("shared.db");
        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(1500).ToUnixTimeMilliseconds();
        var children = Enumerable.Range(0, processes).Select(i =>
        {
            var p = Process.Start(StressTool("mixed", db, $"c{i}", "3", dir.File($"c{i}.json"), startAt.ToString()))!;
            return (Id: $"c{i}", Process: p);
        }).ToList();
        var exits = await Task.WhenAll(children.Select(c => RunToEnd(c.Process, TimeSpan.FromSeconds(60))));
        for (var i = 0; i < processes; i++)
            Assert.True(exits[i].Code == 0, $"child c{i} exited {exits[i].Code}: {exits[i].Err}");

        var reports = children.Select(c => JsonSerializer.Deserialize<Report>(File.ReadAllText(dir.File($"{c.Id}.json")))!).ToList();
        await using var store = await KernelStore.OpenAsync(db);
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        // records: every surviving id present exactly once, every removed id gone, nothing else
        var local = (await store.ListKernelsAsync("stress-local")).Select(k => k.Id).ToList();
        Assert.Equal(local.Count, local.Distinct().Count());
        var expected = reports.SelectMany(r => r.Present).ToHashSet();
        Assert.Equal(expected.Order(), local.Order());
        Assert.All(reports.SelectMany(r => r.Removed), id => Assert.DoesNotContain(id, local));
        // SQLite's busy handler is not fair: under this synthetic full-speed contention one process can wait
        // seconds for the lock (it waits, it does not fail). So: every child made progress, and enough work happened.
        Assert.All(reports, r => Assert.True(r.Iterations >= 1, $"{r.Child} did no iteration"));
        Assert.True(reports.Sum(r => r.Iterations) >= 10 * processes, $"only {reports.Sum(r => r.Iterations)} iterations in total");
        Assert.True(reports.Sum(r => r.Syncs) > 0);

        // sessions: one session and one kernel start per name, and every process saw that same kernel
        var sessions = await store.ListSessionsAsync();
        var names = reports.SelectMany(r => r.SessionKernels.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(names.Count, sessions.Count);
        foreach (var s in sessions)
        {
            Assert.Equal(1, reports.Sum(r => r.Starts.GetValueOrDefault(s.Name)));
            Assert.All(reports.Where(r => r.SessionKernels.ContainsKey(s.Name)), r => Assert.Equal(new[] { s.KernelId }, r.SessionKernels[s.Name]));
        }
        Assert.Equal(sessions.Count, (await store.ListKernelsAsync("stress-sess")).Count);
        Assert.True(reports.Count(r => r.SessionKernels.Count > 0) == processes, "every process should have used sessions");
    }

    [Fact]
    public async Task KilledMidTransaction_LeavesStoreConsistent()
    {
        using var dir = new TempDirectory("jk-store");
        var db = dir.File("killed.db");
        var seen = 0;
        for (var round = 0; round < 2; round++)
        {
            using var p = Process.Start(StressTool("hammer", db, $"h{round}"))!;
            var err = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var committed = 0;
            try
            {
                while (committed < 3 + round)
                {
                    var line = await p.StandardOutput.ReadLineAsync(cts.Token).ConfigureAwait(false);
                    if (line is null) Assert.Fail("hammer exited early: " + await err.WaitAsync(TimeSpan.FromSeconds(10)));
                    if (line.StartsWith("committed ")) committed = int.Parse(line["committed ".Length..]);
                }
                await Task.Delay(Random.Shared.Next(5, 40)); // land inside the next batch's transaction
            }
            finally
            {
                p.Kill(entireProcessTree: true); // SIGKILL
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            seen += committed;

            using (var c = Raw(db))
            {
                Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check"));
                var rows = (long)Scalar(c, "SELECT count(*) FROM kernels WHERE provider = 'hammer'")!;
                Assert.Equal(0, rows % 200); // whole batches only: the killed transaction left nothing
                Assert.True(rows >= seen * 200L, $"{rows} rows but {seen} batches were reported committed");
            }
        }
        await using var store = await KernelStore.OpenAsync(db);
        await store.AddKernelAsync(Record("after-kill"));
        Assert.Equal("ok", await store.CheckIntegrityAsync());
    }
}
