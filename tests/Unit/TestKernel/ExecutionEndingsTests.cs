using JupyterKernels.Connections;
using JupyterKernels.TestKernel;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.TestKernel;

/// <summary>
/// How an execution ends when it does not end normally: a timeout is one error, not the
/// interrupt's KeyboardInterrupt too; a non-spec "abort" status is "aborted"; an input request that cannot be
/// answered interrupts the kernel instead of sending "\u0004" as a line.
/// </summary>
public sealed class ExecutionEndingsTests : IAsyncLifetime
{
    private TestKernelHost _host = null!;
    private KernelClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await TestKernelHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_timeout_that_is_not_positive_is_refused_before_anything_is_sent(double seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExecuteOptions { Timeout = TimeSpan.FromSeconds(seconds) });
    }

    [Fact]
    public async Task A_timeout_ends_with_the_timeout_only_not_the_interrupts_KeyboardInterrupt()
    {
        var execution = await Client.ExecuteAsync("print started\nsleep 30", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(1) }, CancellationToken.None);
        var outputs = new List<KernelOutput>();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var output in execution.Outputs.ReadAllAsync(bound.Token)) outputs.Add(output);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(bound.Token));
        Assert.Equal(ErrorIds.ExecutionTimeout, error.ErrorId);
        Assert.Contains("interrupted", error.Message);
        Assert.Empty(outputs.OfType<KernelError>());
        Assert.Equal("started\n", Assert.Single(outputs.OfType<KernelStreamOutput>()).Text);
        // The kernel was really interrupted: the next cell runs at once.
        var next = await ExecutionResult.RunAsync(Client, "print next", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("next\n", next.Stdout);
    }

    [Fact]
    public async Task A_reply_with_status_abort_is_reported_as_aborted()
    {
        var result = await ExecutionResult.RunAsync(Client, "fault abort\nerror KeyboardInterrupt stopped", new ExecuteOptions { StopOnError = false },
            bound: TimeSpan.FromSeconds(20));
        Assert.Equal("aborted", result.Reply.Status);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Declining_an_input_request_interrupts_the_kernel_and_sends_no_line()
    {
        var execution = await Client.ExecuteAsync("fault ignorestdin\ninput name? \nprint after", new ExecuteOptions { AllowStdin = false }, CancellationToken.None);
        var outputs = new List<KernelOutput>();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var output in execution.Outputs.ReadAllAsync(bound.Token))
        {
            outputs.Add(output);
            if (output is KernelInputRequest request) await request.DeclineAsync(bound.Token);
        }
        var reply = await execution.Completion.WaitAsync(bound.Token);
        Assert.Single(outputs.OfType<KernelInputRequest>());
        Assert.Equal("error", reply.Status);
        // Neither the interrupt's KeyboardInterrupt nor anything the code printed after input() (it never returned).
        Assert.Empty(outputs.OfType<KernelError>());
        Assert.Empty(outputs.OfType<KernelStreamOutput>());
        var next = await ExecutionResult.RunAsync(Client, "print next", new ExecuteOptions { StopOnError = false }, bound: TimeSpan.FromSeconds(10));
        Assert.Equal("next\n", next.Stdout);
    }
}
