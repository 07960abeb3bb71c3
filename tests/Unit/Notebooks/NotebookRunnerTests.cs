using System.Text.Json.Nodes;
using JupyterKernels.Connections;
using JupyterKernels.Notebooks;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Notebooks.NotebookSamples;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>
/// <see cref="NotebookRunner"/> on its own, without the service: it sends each runnable code cell, in order, through
/// the <see cref="INotebookCellExecutor"/> it is given (here one over a real ipykernel's client that records what it
/// was asked to run), stops at the first failing cell unless told otherwise, leaves skip-execution cells alone, and
/// writes the output notebook with outputs, papermill's status and the error banner.
/// </summary>
[Trait("Category", "Integration")] // starts a kernel
public sealed class NotebookRunnerTests : IAsyncLifetime
{
    private readonly LocalKernelFixture _fixture = new();
    private KernelRecord _kernel = null!;
    private KernelClient _client = null!;
    private RecordingExecutor _executor = null!;

    public async Task InitializeAsync()
    {
        _kernel = await _fixture.StartAsync();
        _client = await _fixture.ConnectAsync(_kernel);
        _executor = new RecordingExecutor(_client);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private (NotebookRunner Runner, string OutputPath) Runner(string notebookJson, bool continueOnError = false, INotebookRunObserver? observer = null,
        INotebookCellExecutor? executor = null, TimeSpan? cellTimeout = null)
    {
        var input = _fixture.Root.Write($"in-{Guid.NewGuid():N}.ipynb", notebookJson);
        var output = _fixture.Root.File($"out-{Guid.NewGuid():N}.ipynb");
        var runner = new NotebookRunner(NotebookDocument.Parse(notebookJson, input), new NotebookRunSettings
        {
            InputPath = input,
            OutputPath = output,
            KernelId = _kernel.Id,
            KernelName = "python3",
            Language = "python",
            ContinueOnError = continueOnError,
            CellTimeout = cellTimeout,
        }, executor ?? _executor, observer);
        return (runner, output);
    }

    private static JsonObject Read(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
    private static JsonObject CellOf(JsonObject nb, int index) => nb["cells"]![index]!.AsObject();
    private static JsonArray Outputs(JsonObject nb, int index) => CellOf(nb, index)["outputs"]!.AsArray();
    private static string? Status(JsonObject nb, int index) => CellOf(nb, index)["metadata"]!["papermill"]!["status"]!.GetValue<string>();

    private static string Text(JsonNode? multiline) => multiline switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    [Fact]
    public async Task Runs_the_code_cells_in_order_through_the_executor_and_writes_their_outputs()
    {
        var (runner, output) = Runner(Notebook(
            Markdown("# title"),
            Code("print('one')"),
            Code("x = 2"),
            Code("   \n"), // blank: not run, as nbclient
            Code("x * 21")));
        var result = await runner.RunAsync(Bound());

        Assert.Equal(new[] { "print('one')", "x = 2", "x * 21" }, _executor.Sent);
        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        Assert.Equal(3, result.CellCount);
        Assert.Equal(3, result.CellsRun);
        Assert.Null(result.FailedCellIndex);

        var nb = Read(output);
        Assert.Equal("one\n", Text(Outputs(nb, 1)[0]!["text"]));
        Assert.Empty(Outputs(nb, 2));
        Assert.Empty(Outputs(nb, 3));
        Assert.Equal("42", Text(Outputs(nb, 4)[0]!["data"]!["text/plain"]));
        var counts = new[] { 1, 2, 4 }.Select(i => CellOf(nb, i)["execution_count"]!.GetValue<int>()).ToList();
        Assert.Equal(counts.OrderBy(c => c), counts);
        Assert.Equal(counts.Count, counts.Distinct().Count());
        Assert.All(new[] { 1, 2, 4 }, i => Assert.Equal("completed", Status(nb, i)));
        // The kernel's own language_info replaces the input's (which had only a name).
        Assert.NotNull(nb["metadata"]!["language_info"]!["version"]);
        Assert.Equal(1, _executor.LanguageInfoCalls);
    }

    [Fact]
    public async Task A_failing_cell_stops_the_run_and_the_notebook_says_where()
    {
        var (runner, output) = Runner(Notebook(
            Code("a = 1"),
            Code("raise ValueError('stop here')"),
            Code("print('never')")));
        var result = await runner.RunAsync(Bound());

        Assert.Equal(new[] { "a = 1", "raise ValueError('stop here')" }, _executor.Sent);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal(1, result.FailedCellIndex);
        Assert.Equal(2, result.CellsRun);
        Assert.Equal("ValueError: stop here", result.Error);
        Assert.NotEmpty(result.Traceback);

        var nb = Read(output);
        // papermill's banner at the top and its anchor before the failed cell: two cells more.
        Assert.Equal(5, nb["cells"]!.AsArray().Count);
        Assert.Contains(NotebookRunner.ErrorCellTag, CellOf(nb, 0)["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains(NotebookRunner.ErrorCellTag, CellOf(nb, 2)["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("failed", Status(nb, 3));
        Assert.Equal("ValueError", Outputs(nb, 3).Single(o => o!["output_type"]!.GetValue<string>() == "error")!["ename"]!.GetValue<string>());
        Assert.Equal("pending", Status(nb, 4));
        Assert.Empty(Outputs(nb, 4));
        Assert.True(nb["metadata"]!["papermill"]!["exception"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ContinueOnError_runs_every_cell_and_reports_the_first_failure()
    {
        var (runner, output) = Runner(Notebook(
            Code("raise KeyError('first')"),
            Code("print('still runs')")), continueOnError: true);
        var result = await runner.RunAsync(Bound());

        Assert.Equal(2, _executor.Sent.Count);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal(0, result.FailedCellIndex);
        Assert.Equal(2, result.CellsRun);
        var nb = Read(output);
        Assert.Equal("still runs\n", Text(Outputs(nb, 3)[0]!["text"])); // after the two banner cells
    }

    [Fact]
    public async Task A_cell_tagged_raises_exception_may_fail_without_failing_the_run()
    {
        var (runner, output) = Runner(Notebook(
            Code("1/0", "raises-exception"),
            Code("print('next')")));
        var result = await runner.RunAsync(Bound());

        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        Assert.Equal(2, _executor.Sent.Count);
        var nb = Read(output);
        Assert.Equal("ZeroDivisionError", Outputs(nb, 0)[0]!["ename"]!.GetValue<string>());
        Assert.Equal("completed", Status(nb, 0));
        Assert.Equal("next\n", Text(Outputs(nb, 1)[0]!["text"]));
    }

    [Fact]
    public async Task A_cell_tagged_skip_execution_is_not_sent_and_keeps_no_outputs()
    {
        var (runner, output) = Runner(Notebook(
            Code("print('runs')"),
            Code("raise SystemExit('must not run')", NotebookRunner.SkipExecutionTag),
            Code("print('runs too')")));
        var result = await runner.RunAsync(Bound());

        Assert.Equal(new[] { "print('runs')", "print('runs too')" }, _executor.Sent);
        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        Assert.Equal(2, result.CellCount);
        var nb = Read(output);
        Assert.Empty(Outputs(nb, 1));
        Assert.Null(CellOf(nb, 1)["execution_count"]);
    }

    [Fact]
    public async Task The_observer_hears_each_cell_start_and_its_typed_outputs()
    {
        var observer = new RecordingObserver();
        var (runner, _) = Runner(Notebook(Markdown("text"), Code("print('a')"), Code("'b'")), observer: observer);
        await runner.RunAsync(Bound());

        Assert.Equal(new[] { (1, 1, 2, "print('a')"), (2, 2, 2, "'b'") },
            observer.Started.Select(p => (p.CellIndex, p.Number, p.Total, p.FirstLine)));
        Assert.Equal("a\n", Assert.IsType<KernelStreamOutput>(observer.Outputs.Single(o => o.Cell == 1).Output).Text);
        Assert.Equal("'b'", Assert.IsType<KernelExecuteResult>(observer.Outputs.Single(o => o.Cell == 2).Output).Data["text/plain"]);
    }

    [Fact]
    public async Task An_executor_failure_ends_the_run_with_the_failure_recorded_as_the_cells_error_output()
    {
        var failing = new RecordingExecutor(_client)
        {
            Refuse = code => code.Contains("boom")
                ? new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, "the kernel died (test)", "k")
                : null,
        };
        var (runner, output) = Runner(Notebook(Code("print(1)"), Code("boom = 1"), Code("print(3)")), executor: failing);
        var result = await runner.RunAsync(Bound());

        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal(1, result.FailedCellIndex);
        Assert.StartsWith(ErrorIds.KernelDied, result.Error);
        Assert.Equal(new[] { "print(1)" }, failing.Sent);
        var error = Outputs(Read(output), 3)[0]!; // after the two banner cells
        Assert.Equal(ErrorIds.KernelDied, error["ename"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cell_over_its_timeout_fails_the_run_with_ExecutionTimeout()
    {
        var (runner, output) = Runner(Notebook(Code("import time; time.sleep(30)"), Code("print('after')")), cellTimeout: TimeSpan.FromSeconds(1));
        var result = await runner.RunAsync(Bound());

        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal(0, result.FailedCellIndex);
        Assert.Single(_executor.Sent);
        Assert.Contains(ErrorIds.ExecutionTimeout, result.Error);
        Assert.Equal("pending", Status(Read(output), 3));
    }

    /// <summary>Runs cells on one real kernel's client and remembers the code it was given, in order.</summary>
    private sealed class RecordingExecutor : INotebookCellExecutor
    {
        private readonly KernelClient _client;
        public RecordingExecutor(KernelClient client) => _client = client;
        public List<string> Sent { get; } = new();
        public int LanguageInfoCalls;
        public Func<string, KernelException?>? Refuse { get; init; }

        public async Task<KernelExecution> ExecuteAsync(string code, ExecuteOptions options, CancellationToken cancellationToken)
        {
            if (Refuse?.Invoke(code) is { } error) throw error;
            lock (Sent) Sent.Add(code);
            return await _client.ExecuteAsync(code, options, cancellationToken);
        }

        public async Task<JsonObject?> GetLanguageInfoAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref LanguageInfoCalls);
            var info = await _client.GetKernelInfoAsync(TimeSpan.FromSeconds(20), cancellationToken);
            return JsonNode.Parse(info.LanguageInfoJson) as JsonObject;
        }
    }

    private sealed class RecordingObserver : INotebookRunObserver
    {
        public List<NotebookCellProgress> Started { get; } = new();
        public List<(int Cell, KernelOutput Output)> Outputs { get; } = new();
        public bool WantsOutputs => true;
        public void CellStarting(NotebookCellProgress progress) => Started.Add(progress);
        public void Output(int cellIndex, KernelOutput output) => Outputs.Add((cellIndex, output));
    }
}
