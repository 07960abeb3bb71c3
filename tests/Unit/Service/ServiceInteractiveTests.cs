using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// What an interactive console (Enter-Kernel) asks between cells — complete_request, is_complete_request,
/// history_request — through the service, against a real ipykernel: the replies as jupyter_console reads them,
/// cursor positions converted between the protocol's code points and .NET's UTF-16, and every wait bounded when the
/// kernel is busy with another cell.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class ServiceInteractiveTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private KernelService _service = null!;
    private string _kernelId = "";

    private static CancellationToken Bound(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async Task InitializeAsync()
    {
        _service = _fixture.NewService();
        _kernelId = (await _service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90))).Id;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    [Fact]
    public async Task Completion_replaces_the_word_at_the_cursor_counted_in_utf16_where_the_kernel_counts_code_points()
    {
        var plain = await _service.CompleteAsync(_kernelId, "import o", 8, TimeSpan.FromSeconds(10), Bound());
        Assert.Contains("os", plain.Matches);
        Assert.Equal((7, 8), (plain.CursorStart, plain.CursorEnd));

        // An emoji is one code point (the protocol's unit) but two UTF-16 chars: the word's range must still be "o".
        const string code = "s = '\U0001F600'; import o";
        var completion = await _service.CompleteAsync(_kernelId, code, code.Length, TimeSpan.FromSeconds(10), Bound());
        Assert.Contains("os", completion.Matches);
        Assert.Equal("o", code[completion.CursorStart..completion.CursorEnd]);
    }

    [Fact]
    public async Task Is_complete_tells_a_cell_that_needs_more_lines_and_its_indent()
    {
        var timeout = TimeSpan.FromSeconds(10);
        Assert.Equal(new CodeCompleteness(CodeCompletenessStatus.Incomplete, "    "), await _service.IsCompleteAsync(_kernelId, "for i in range(3):", timeout, Bound()));
        Assert.Equal(CodeCompletenessStatus.Complete, (await _service.IsCompleteAsync(_kernelId, "for i in range(3):\n    print(i)\n", timeout, Bound()))!.Status);
        Assert.Equal(CodeCompletenessStatus.Complete, (await _service.IsCompleteAsync(_kernelId, "1 + 1", timeout, Bound()))!.Status);
        Assert.Equal(CodeCompletenessStatus.Invalid, (await _service.IsCompleteAsync(_kernelId, "x = )", timeout, Bound()))!.Status);
    }

    [Fact]
    public async Task History_lists_the_cells_the_kernel_stored_oldest_first()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        foreach (var code in new[] { $"a_{marker} = 1", $"b_{marker} = a_{marker} + 1" })
        {
            var execution = await _service.ExecuteAsync(_kernelId, code, new ExecuteOptions(), Bound());
            Assert.Equal("ok", (await execution.Completion.WaitAsync(Bound())).Status);
        }
        var history = await _service.GetHistoryAsync(_kernelId, 50, TimeSpan.FromSeconds(10), Bound());
        var mine = history.Where(h => h.Input.Contains(marker, StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { $"a_{marker} = 1", $"b_{marker} = a_{marker} + 1" }, mine.Select(h => h.Input));
        Assert.True(mine[1].Line > mine[0].Line, "lines count up within the kernel's session");
    }

    [Fact]
    public async Task A_kernel_busy_with_a_cell_leaves_is_complete_and_history_unanswered_within_their_bound_and_completion_a_clear_timeout()
    {
        var sleeping = await _service.ExecuteAsync(_kernelId, "import time; time.sleep(8)", new ExecuteOptions(), Bound());
        await Task.Delay(500);
        var clock = Stopwatch.StartNew();
        Assert.Null(await _service.IsCompleteAsync(_kernelId, "1", TimeSpan.FromMilliseconds(500), Bound()));
        Assert.Empty(await _service.GetHistoryAsync(_kernelId, 10, TimeSpan.FromMilliseconds(500), Bound()));
        var error = await Assert.ThrowsAsync<KernelException>(() => _service.CompleteAsync(_kernelId, "import o", 8, TimeSpan.FromMilliseconds(500), Bound()));
        Assert.Equal(ErrorIds.KernelNotResponding, error.ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"three bounded waits took {clock.Elapsed}");
        Assert.Equal("ok", (await sleeping.Completion.WaitAsync(Bound())).Status);
    }

    [Fact]
    public async Task The_next_execution_count_is_the_one_the_next_stored_cell_gets()
    {
        Assert.Equal(1, await _service.GetNextExecutionCountAsync(_kernelId, TimeSpan.FromSeconds(10), Bound()));
        var execution = await _service.ExecuteAsync(_kernelId, "x = 1", new ExecuteOptions(), Bound());
        Assert.Equal(1, (await execution.Completion.WaitAsync(Bound())).ExecutionCount);
        Assert.Equal(2, await _service.GetNextExecutionCountAsync(_kernelId, TimeSpan.FromSeconds(10), Bound()));
        Assert.Equal(2, await _service.GetNextExecutionCountAsync(_kernelId, TimeSpan.FromSeconds(10), Bound()));
    }

    [Fact]
    public async Task The_next_execution_count_of_IRkernel_which_reports_the_next_count_for_a_silent_cell()
    {
        // IRkernel (r-cran-irkernel) answers a silent cell with the count of the next cell, where ipykernel and
        // xeus-python give the last one.
        var spec = _fixture.Root.Combine("share", "kernels", "ir");
        Directory.CreateDirectory(spec);
        File.Copy("/usr/share/jupyter/kernels/ir/kernel.json", Path.Combine(spec, "kernel.json"));
        var ir = (await _service.StartKernelAsync(new StartKernelOptions { SpecName = "ir" }, null, Bound(120))).Id;
        Assert.Equal(1, await _service.GetNextExecutionCountAsync(ir, TimeSpan.FromSeconds(20), Bound()));
        var execution = await _service.ExecuteAsync(ir, "x <- 1", new ExecuteOptions(), Bound());
        Assert.Equal(1, (await execution.Completion.WaitAsync(Bound())).ExecutionCount);
        Assert.Equal(2, await _service.GetNextExecutionCountAsync(ir, TimeSpan.FromSeconds(20), Bound()));
    }

    [Fact]
    public async Task Kernel_info_is_the_connections_own_reply()
    {
        var info = await _service.GetKernelInfoAsync(_kernelId, Bound());
        Assert.Equal("python", info.LanguageName);
        Assert.Contains("Python", info.Banner, StringComparison.Ordinal);
    }
}
