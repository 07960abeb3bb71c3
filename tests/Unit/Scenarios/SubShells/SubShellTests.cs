using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.TestKernel;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.SubShells;

/// <summary>Timing assertions (concurrency, round trips) run alone: on a 2-core box, kernels started by parallel test
/// classes would otherwise compete for the CPU.</summary>
[Trait("Category", "Integration")] // starts processes or servers
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive kernel tests";
}

/// <summary>Kernel subshells (protocol 5.5) end to end through KernelClient, against the test kernel (which follows
/// ipykernel 7's threading: main shell on one thread, each subshell on its own).</summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(TimingSensitive.Name)]
public sealed class SubShellTests : IAsyncLifetime
{
    private TestKernelHost _host = null!;
    private KernelClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await TestKernelHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ExecuteOptions In(string? subshell, TimeSpan? timeout = null) => new() { SubShellId = subshell, Timeout = timeout ?? TimeSpan.FromSeconds(20) };

    private async Task WarmUpAsync(params string?[] shells)
    {
        foreach (var shell in shells)
            Assert.Equal("ok", (await ExecutionResult.RunAsync(Client, "print warm", In(shell), bound: TimeSpan.FromSeconds(10))).Reply.Status);
    }

    [Fact]
    public async Task Create_list_and_delete_on_control()
    {
        Assert.True(Client.Info!.SupportsSubshells);
        Assert.Empty(await SubshellRequests.ListAsync(Client));
        var a = await SubshellRequests.CreateAsync(Client);
        var b = await SubshellRequests.CreateAsync(Client);
        Assert.NotEqual(a, b);
        Assert.Equal(new[] { a, b }, await SubshellRequests.ListAsync(Client));

        var deleted = await SubshellRequests.DeleteAsync(Client, a);
        Assert.Equal("ok", deleted.Content.GetStringOrNull("status"));
        Assert.Equal(new[] { b }, await SubshellRequests.ListAsync(Client));

        var unknown = await SubshellRequests.DeleteAsync(Client, a);
        Assert.Equal("error", unknown.Content.GetStringOrNull("status"));
        Assert.Equal($"'{a}'", unknown.Content.GetStringOrNull("evalue"));
    }

    [Fact]
    public async Task Subshell_answers_while_the_main_shell_sleeps()
    {
        var warm = await SubshellRequests.CreateAsync(Client);
        await WarmUpAsync(warm);
        var main = await Client.ExecuteAsync("sleep 5\nprint main done", In(null), CancellationToken.None);
        var subshell = await SubshellRequests.CreateAsync(Client); // control answers while main is busy, too
        var sw = Stopwatch.StartNew();
        var result = await ExecutionResult.RunAsync(Client, "print hi\nsubshell", In(subshell), bound: TimeSpan.FromSeconds(5));
        sw.Stop();
        Assert.Equal($"hi\n{subshell}\n", result.Stdout);
        Assert.Equal(subshell, result.Reply.SubShellId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"subshell round trip took {sw.Elapsed}");
        Assert.False(main.Completion.IsCompleted, "the main shell's sleep 5 should still be running");
        // Interrupt reaches the main shell only (ipykernel: SIGINT is delivered to the main thread).
        await _host.Provider.InterruptAsync(_host.Record, CancellationToken.None);
        Assert.Equal("error", (await main.Completion.WaitAsync(TimeSpan.FromSeconds(5))).Status);
    }

    [Fact]
    public async Task Two_subshells_run_concurrently()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var b = await SubshellRequests.CreateAsync(Client);
        await WarmUpAsync(a, b); // measure concurrency, not the first-run JIT of a freshly started kernel
        var sw = Stopwatch.StartNew();
        var results = await Task.WhenAll(
            ExecutionResult.RunAsync(Client, "sleep 1\nprint a", In(a), bound: TimeSpan.FromSeconds(10)),
            ExecutionResult.RunAsync(Client, "sleep 1\nprint b", In(b), bound: TimeSpan.FromSeconds(10)));
        sw.Stop();
        Assert.All(results, r => Assert.Equal("ok", r.Reply.Status));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.8), $"two concurrent sleep 1 took {sw.Elapsed}");
    }

    [Fact]
    public async Task Requests_within_one_subshell_are_sequential()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(
            ExecutionResult.RunAsync(Client, "sleep 0.5", In(a), bound: TimeSpan.FromSeconds(10)),
            ExecutionResult.RunAsync(Client, "sleep 0.5", In(a), bound: TimeSpan.FromSeconds(10)));
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.95), $"two sleeps in one subshell took only {sw.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_outputs_interleave_but_reach_the_right_caller()
    {
        const int times = 150;
        var shells = new List<string?> { null };
        for (int i = 0; i < 3; i++) shells.Add(await SubshellRequests.CreateAsync(Client));
        var runs = shells.Select((s, i) => ExecutionResult.RunAsync(Client, "sleep 0.1\n" + SubshellRequests.Prints($"marker{i}", times), In(s), bound: TimeSpan.FromSeconds(20))).ToList();
        var results = await Task.WhenAll(runs);
        for (int i = 0; i < results.Length; i++)
        {
            var lines = results[i].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(times, lines.Length);
            Assert.All(lines, l => Assert.Equal($"marker{i}", l));
            Assert.All(results[i].Outputs, o => Assert.Equal(shells[i], o.SubShellId));
        }
    }

    [Fact]
    public async Task Error_aborts_queued_work_in_that_subshell_only()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var b = await SubshellRequests.CreateAsync(Client);
        // Queue everything at once: a1 fails while a2 waits behind it; b's requests are independent.
        var a1 = ExecutionResult.RunAsync(Client, "sleep 0.3\nerror Boom failed in a", In(a), bound: TimeSpan.FromSeconds(10));
        var b1 = ExecutionResult.RunAsync(Client, "sleep 0.3\nprint b1", In(b), bound: TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        var a2 = ExecutionResult.RunAsync(Client, "print a2", In(a), bound: TimeSpan.FromSeconds(10));
        var b2 = ExecutionResult.RunAsync(Client, "print b2", In(b), bound: TimeSpan.FromSeconds(10));
        var m = ExecutionResult.RunAsync(Client, "print m", In(null), bound: TimeSpan.FromSeconds(10));
        var (ra1, ra2, rb1, rb2, rm) = (await a1, await a2, await b1, await b2, await m);

        Assert.Equal("error", ra1.Reply.Status);
        Assert.Equal("aborted", ra2.Reply.Status);
        Assert.Null(ra2.Reply.ExecutionCount); // ipykernel's aborted reply is just {"status": "aborted"}
        Assert.Equal("", ra2.Stdout);
        Assert.Empty(ra2.Errors); // reported once, through the reply status
        Assert.Equal("b1\n", rb1.Stdout);
        Assert.Equal("b2\n", rb2.Stdout);
        Assert.Equal("m\n", rm.Stdout);

        // The abort covered only what was queued: a runs again afterwards.
        var after = await ExecutionResult.RunAsync(Client, "print a3", In(a), bound: TimeSpan.FromSeconds(10));
        Assert.Equal("a3\n", after.Stdout);
    }

    [Fact]
    public async Task Unknown_subshell_id_gets_silence_so_the_execution_times_out()
    {
        var execution = await Client.ExecuteAsync("print nope", new ExecuteOptions { SubShellId = "no-such-subshell", Timeout = TimeSpan.FromSeconds(1.5), InterruptOnCancel = false }, CancellationToken.None);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorIds.ExecutionTimeout, error.ErrorId);
        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync()) outputs.Add(o);
        Assert.Empty(outputs);
    }

    [Fact]
    public async Task Kernel_death_while_a_subshell_runs_is_KernelDied()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var main = await Client.ExecuteAsync("sleep 10", In(null, TimeSpan.FromSeconds(30)), CancellationToken.None);
        var sw = Stopwatch.StartNew();
        var execution = await Client.ExecuteAsync("print bye\nsleep 0.2\nexit 1", In(a, TimeSpan.FromSeconds(30)), CancellationToken.None);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"death noticed after {sw.Elapsed}");
        Assert.Equal(ErrorIds.KernelDied, (await Assert.ThrowsAsync<KernelException>(() => main.Completion.WaitAsync(TimeSpan.FromSeconds(5)))).ErrorId);
    }

    [Fact]
    public async Task Input_request_from_a_subshell_is_answered()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var result = await ExecutionResult.RunAsync(Client, "input Your name? ", In(a), answer: r => r.Prompt == "Your name? " ? "Grace" : "?", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("Grace\n", result.Stdout);
        Assert.Equal(a, Assert.Single(result.Outputs.OfType<KernelInputRequest>()).SubShellId);
    }

    [Fact]
    public async Task Execution_count_is_shared_across_subshells()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var r1 = await ExecutionResult.RunAsync(Client, "count", In(null), bound: TimeSpan.FromSeconds(10));
        var r2 = await ExecutionResult.RunAsync(Client, "count", In(a), bound: TimeSpan.FromSeconds(10));
        var r3 = await ExecutionResult.RunAsync(Client, "count", In(null), bound: TimeSpan.FromSeconds(10));
        Assert.Equal(r1.Reply.ExecutionCount + 1, r2.Reply.ExecutionCount);
        Assert.Equal(r2.Reply.ExecutionCount + 1, r3.Reply.ExecutionCount);
    }

    [Fact]
    public async Task Deleting_a_busy_subshell_waits_for_its_running_command()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var run = ExecutionResult.RunAsync(Client, "sleep 1\nprint finished", In(a), bound: TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        var sw = Stopwatch.StartNew();
        var deleted = await SubshellRequests.DeleteAsync(Client, a);
        Assert.Equal("ok", deleted.Content.GetStringOrNull("status"));
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.5), $"delete returned after {sw.Elapsed}, before the command finished");
        Assert.Equal("finished\n", (await run).Stdout);
        Assert.Empty(await SubshellRequests.ListAsync(Client));
    }

    [Fact]
    public async Task Interrupt_reaches_the_main_shell_only()
    {
        var a = await SubshellRequests.CreateAsync(Client);
        var main = ExecutionResult.RunAsync(Client, "sleep 10", In(null), bound: TimeSpan.FromSeconds(15));
        var sub = ExecutionResult.RunAsync(Client, "sleep 1\nprint survived", In(a), bound: TimeSpan.FromSeconds(15));
        await Task.Delay(300);
        await _host.Provider.InterruptAsync(_host.Record, CancellationToken.None);
        var mainResult = await main;
        Assert.Equal("KeyboardInterrupt", Assert.Single(mainResult.Errors).Ename);
        Assert.False(sub.IsCompleted, "the subshell should not have been interrupted");
        var subResult = await sub;
        Assert.Equal("ok", subResult.Reply.Status);
        Assert.Equal("survived\n", subResult.Stdout);
    }

    [Fact]
    public async Task Bench_helpers_measure_a_subshell_round_trip_while_the_main_shell_is_busy()
    {
        var id = await TestKernelBench.CreateSubshellAsync(Client);
        await TestKernelBench.RoundTripAsync(Client, subshellId: id); // warm-up
        var mainIdle = await TestKernelBench.RoundTripAsync(Client);
        var busy = await TestKernelBench.BusyMainShellAsync(Client, 5);
        var subshellWhileBusy = await TestKernelBench.RoundTripAsync(Client, subshellId: id);
        Assert.False(busy.IsCompleted);
        Assert.True(subshellWhileBusy < TimeSpan.FromSeconds(1), $"subshell round trip while main busy: {subshellWhileBusy}");
        Assert.True(mainIdle < TimeSpan.FromSeconds(1), $"main round trip: {mainIdle}");
        await _host.Provider.InterruptAsync(_host.Record, CancellationToken.None);
        Assert.Equal("error", (await busy.WaitAsync(TimeSpan.FromSeconds(5))).Status);
    }
}
