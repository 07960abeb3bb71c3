using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// The ZMTP heartbeat seen from the client of a real Debian ipykernel: frozen (SIGSTOP) with nothing pending, the
/// client reports it not responding within the control connection's heartbeat timeout (2.5 s by default; never dead),
/// and after SIGCONT the silence clears and a normal execute works on the same client.
/// </summary>
[Collection("ZmtpSerial")]
[Trait("Category", "Integration")]
public sealed class KernelHeartbeatTests : IAsyncLifetime
{
    private readonly LocalKernelFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static async Task<string> RunAsync(KernelClient client, string code)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var execution = await client.ExecuteAsync(code, new ExecuteOptions(), cts.Token);
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(cts.Token))
            if (o is KernelStreamOutput s) text.Append(s.Text);
        var reply = await execution.Completion.WaitAsync(cts.Token);
        Assert.Equal("ok", reply.Status);
        return text.ToString();
    }

    [Fact]
    public async Task A_frozen_ipykernel_is_reported_not_responding_within_the_heartbeat_timeout_and_works_after_SIGCONT()
    {
        var record = await _fixture.StartAsync();
        await using var client = await _fixture.ConnectAsync(record);
        var diagnostics = new System.Collections.Concurrent.ConcurrentQueue<string>();
        client.Diagnostic += (_, d) => diagnostics.Enqueue(d);
        Assert.Contains("42", await RunAsync(client, "print(6*7)"));
        Assert.Null(client.NotRespondingSince);

        int pid = JupyterKernels.Providers.Local.LocalKernelData.Of(record).Pid!.Value;
        Process.Start("kill", new[] { "-STOP", pid.ToString() })!.WaitForExit();
        var frozen = Stopwatch.StartNew();
        TimeSpan reported;
        try
        {
            while (client.NotRespondingSince is null && frozen.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
            reported = frozen.Elapsed;
            Assert.True(client.NotRespondingSince is not null, $"not reported in 10 s; diagnostics: {string.Join(" | ", diagnostics)}");
            // 2.5 s of silence after the last byte (≤ the freeze), plus timer latency on a shared machine.
            Assert.True(reported < TimeSpan.FromSeconds(4), $"reported after {reported.TotalMilliseconds:0} ms");
            // Frozen is not dead: a few more seconds change nothing.
            await Task.Delay(2000);
            Assert.Null(client.TerminalError);
            Assert.NotNull(client.NotRespondingSince);
        }
        finally
        {
            Process.Start("kill", new[] { "-CONT", pid.ToString() })!.WaitForExit();
        }
        var thawed = Stopwatch.StartNew();
        while (client.NotRespondingSince is not null && thawed.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        Assert.True(client.NotRespondingSince is null, $"still not responding 15 s after SIGCONT; diagnostics: {string.Join(" | ", diagnostics)}");
        Assert.Contains("7", await RunAsync(client, "print(3+4)"));
        Assert.Null(client.TerminalError);
        Console.WriteLine($"frozen kernel reported after {reported.TotalMilliseconds:0} ms; answered again {thawed.ElapsedMilliseconds} ms after SIGCONT");
    }
}
