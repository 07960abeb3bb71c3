using System.Diagnostics;
using System.Text.Json.Nodes;
using JupyterKernels.Notebooks;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>
/// Notebook runs through the service against real ipykernel: outputs in notebook form, nbclient timings, papermill
/// metadata and error banner, parameters, warm kernels, a kernel killed mid-cell and Ctrl+C, bad input touching nothing.
/// Every output notebook is checked by Debian's nbformat.validate.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class NotebookRunTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private KernelService _service = null!;

    public Task InitializeAsync()
    {
        _service = _fixture.NewService();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private string Write(string name, string json)
    {
        var path = _fixture.Root.Combine(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static IReadOnlyList<KeyValuePair<string, ParameterValue>> Params(params (string Name, object? Value)[] values) =>
        values.Select(v => new KeyValuePair<string, ParameterValue>(v.Name, ParameterValue.From(v.Value, v.Name))).ToList();

    private async Task<NotebookRunResult> RunAsync(NotebookRunRequest request, INotebookRunObserver? observer = null, CancellationToken? ct = null)
    {
        var plan = await _service.PlanNotebookRunAsync(request, ct ?? Bound());
        return await _service.RunNotebookAsync(plan, observer, null, ct ?? Bound());
    }

    private static JsonObject Read(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    private static string Text(JsonNode? multiline) => multiline switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    private static JsonArray Outputs(JsonObject nb, int cell) => nb["cells"]![cell]!["outputs"]!.AsArray();

    [Fact]
    public async Task Rich_notebook_with_parameters_is_recorded_as_nbclient_and_papermill_would()
    {
        var input = Write("rich.ipynb", NotebookSamples.Rich());
        var output = _fixture.Root.Combine("rich.out.ipynb");
        var observer = new RecordingObserver();
        var result = await RunAsync(new NotebookRunRequest
        {
            InputPath = input,
            OutputPath = output,
            Parameters = Params(("alpha", 0.5), ("name", "x"), ("items", new object[] { 3, 4 })),
        }, observer);

        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal("ZeroDivisionError: division by zero", result.Error);
        Assert.True(result.KernelStarted);
        Assert.Empty(await _service.GetKernelsAsync(Bound())); // the kernel started for the run is gone

        var nb = Read(output);
        var cells = nb["cells"]!.AsArray();
        // banner, markdown, parameters, injected, print, rich, display, anchor, error, after
        Assert.Equal(10, cells.Count);
        Assert.Equal(new[] { "papermill-error-cell-tag" }, cells[0]!["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("In [6]", Text(cells[0]!["source"]));
        Assert.Equal("papermill-error-cell-tag", cells[7]!["metadata"]!["tags"]![0]!.GetValue<string>());
        Assert.Equal(6, result.FailedCellIndex); // as it ran: before the banner and anchor went in
        Assert.Equal("# Parameters\nalpha = 0.5\nname = \"x\"\nitems = [3, 4]\n", Text(cells[3]!["source"]));
        Assert.Equal("injected-parameters", cells[3]!["metadata"]!["tags"]![0]!.GetValue<string>());

        // Streams merged per name, in notebook form.
        var streams = Outputs(nb, 4);
        Assert.Equal(2, streams.Count);
        Assert.Equal("hello x 0.5 [3, 4]\nmore\n", Text(streams[0]!["text"]));
        Assert.Equal("stderr", streams[1]!["name"]!.GetValue<string>());
        // Rich outputs: HTML, a PNG (base64 of real PNG bytes), JSON kept as structure.
        var rich = Outputs(nb, 5);
        Assert.Equal(3, rich.Count);
        Assert.Equal("<b>bold</b>", Text(rich[0]!["data"]!["text/html"]));
        var png = Convert.FromBase64String(Text(rich[1]!["data"]!["image/png"]).Trim());
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(2, rich[2]!["data"]!["application/json"]!["b"]!.AsArray().Count);
        Assert.All(rich, o => Assert.Null(o!["transient"]));
        // The display updated by its id shows the update; the result has its execution count.
        var display = Outputs(nb, 6);
        Assert.Equal("'after'", Text(display[0]!["data"]!["text/plain"]));
        Assert.Equal("execute_result", display[1]!["output_type"]!.GetValue<string>());
        Assert.Equal(cells[6]!["execution_count"]!.GetValue<int>(), display[1]!["execution_count"]!.GetValue<int>());
        Assert.Equal("42", Text(display[1]!["data"]!["text/plain"]));
        // The failed cell: error output, papermill status; the cell after it never ran.
        var error = Outputs(nb, 8).Single();
        Assert.Equal("ZeroDivisionError", error!["ename"]!.GetValue<string>());
        Assert.Equal("failed", cells[8]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());
        Assert.True(cells[8]!["metadata"]!["papermill"]!["exception"]!.GetValue<bool>());
        Assert.Equal("pending", cells[9]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());
        Assert.Empty(Outputs(nb, 9));
        Assert.Equal("completed", cells[5]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());

        // nbclient's timings on every executed code cell, in order.
        foreach (var i in new[] { 2, 3, 4, 5, 6, 8 })
        {
            var t = cells[i]!["metadata"]!["execution"]!.AsObject();
            Assert.Equal(new[] { "iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply" }, t.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal));
            var busy = DateTimeOffset.Parse(t["iopub.status.busy"]!.GetValue<string>());
            var idle = DateTimeOffset.Parse(t["iopub.status.idle"]!.GetValue<string>());
            Assert.True(idle >= busy);
        }
        // papermill's run record.
        var pm = nb["metadata"]!["papermill"]!;
        Assert.True(pm["exception"]!.GetValue<bool>());
        Assert.Equal(0.5, pm["parameters"]!["alpha"]!.GetValue<double>());
        Assert.Equal(input, pm["input_path"]!.GetValue<string>());
        Assert.Equal(output, pm["output_path"]!.GetValue<string>());
        Assert.True(pm["duration"]!.GetValue<double>() > 0);
        Assert.True(nb["metadata"]!["x_custom"]!["kept"]!.GetValue<bool>()); // unknown metadata preserved

        // Progress per code cell, and outputs tagged with their cell (for -PassThru).
        Assert.Equal(Enumerable.Range(1, 6), observer.Progress.Select(p => p.Number));
        Assert.All(observer.Progress, p => Assert.Equal(7, p.Total));
        Assert.Equal("import sys", observer.Progress[2].FirstLine);
        Assert.Equal("hello x 0.5 [3, 4]\nmore\n", string.Concat(observer.Outputs.Where(o => o.Cell == 3).Select(o => o.Output).OfType<KernelStreamOutput>().Where(s => s.Name == "stdout").Select(s => s.Text)));
        Assert.Contains(observer.Outputs, o => o.Output is KernelDisplayData { IsUpdate: true });

        // nbclient reads the notebook back and can execute it again.
        var again = NotebookSamples.Python(
            "import nbformat, sys\nfrom nbclient import NotebookClient\n" +
            "nb = nbformat.read(sys.argv[1], as_version=4)\n" +
            "del nb.cells[8]; del nb.cells[7]; del nb.cells[0]\n" +
            "NotebookClient(nb, timeout=60, kernel_name='python3').execute()\n" +
            "print(nb.cells[3].outputs[0].text, end='')", output);
        Assert.Equal("hello x 0.5 [3, 4]\nmore\n", again);
    }

    [Fact]
    public async Task Without_parameters_the_defaults_run_and_nothing_is_injected()
    {
        var input = Write("plain.ipynb", NotebookSamples.Rich(withError: false));
        var output = _fixture.Root.Combine("plain.out.ipynb");
        var result = await RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output });
        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        Assert.Equal(5, result.CellCount);
        Assert.Equal(5, result.CellsRun);
        Assert.Null(result.FailedCellIndex);
        var nb = Read(output);
        Assert.Equal(6, nb["cells"]!.AsArray().Count);
        Assert.DoesNotContain(nb["cells"]!.AsArray(), c => c!["metadata"]!["tags"] is JsonArray t && t.Any(x => x!.GetValue<string>().StartsWith("injected", StringComparison.Ordinal)));
        Assert.Equal("hello world 0.1 [1, 2]\nmore\n", Text(Outputs(nb, 2)[0]!["text"]));
        Assert.False(nb["metadata"]!["papermill"]!["exception"]!.GetValue<bool>());
        Assert.Empty(nb["metadata"]!["papermill"]!["parameters"]!.AsObject());
        Assert.Equal("after the error\n", Text(Outputs(nb, 5)[0]!["text"]));
    }

    [Fact]
    public async Task The_record_carries_the_kernels_language_info_and_display_updates_reaching_earlier_cells()
    {
        // The input's language_info is only {"name": "python"}; nbclient replaces it with the kernel's own.
        var input = Write("langinfo.ipynb", NotebookSamples.Notebook(
            NotebookSamples.Code("h = display('before', display_id=True)"),
            NotebookSamples.Code("import sys\nprint('%d.%d.%d' % sys.version_info[:3])"),
            NotebookSamples.Code("h.update('after')")));
        var output = _fixture.Root.Combine("langinfo.out.ipynb");
        var result = await RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output });
        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        NotebookSamples.AssertValid(output);

        var nb = Read(output);
        var info = nb["metadata"]!["language_info"]!.AsObject();
        Assert.Equal("python", info["name"]!.GetValue<string>());
        Assert.Equal(Text(Outputs(nb, 1)[0]!["text"]).Trim(), info["version"]!.GetValue<string>());
        Assert.Equal(".py", info["file_extension"]!.GetValue<string>());
        Assert.Equal("ipython", info["codemirror_mode"]!["name"]!.GetValue<string>()); // nested structure kept as the kernel sent it

        // The update in cell 2 rewrote cell 0's output after cell 0 was written: the file shows it.
        Assert.Equal("'after'", Text(Outputs(nb, 0)[0]!["data"]!["text/plain"]));
        // What was written piecewise (cells kept between writes) is what nbformat's layout gives for the whole.
        Assert.Equal(File.ReadAllText(output), NotebookDocument.Load(output).ToJson());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
    }

    [Fact]
    public async Task ContinueOnError_runs_every_cell_and_still_marks_the_failure()
    {
        var input = Write("cont.ipynb", NotebookSamples.Notebook(NotebookSamples.Code("1/0"), NotebookSamples.Code("print('ran')"), NotebookSamples.Code("raise ValueError('tagged')", "raises-exception")));
        var output = _fixture.Root.Combine("cont.out.ipynb");
        var result = await RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output, ContinueOnError = true });
        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal(3, result.CellsRun);
        var nb = Read(output);
        // banner, anchor, 1/0, print, raises-exception
        Assert.Equal(5, nb["cells"]!.AsArray().Count);
        Assert.Equal("ran\n", Text(Outputs(nb, 3)[0]!["text"]));
        Assert.Equal("ValueError", Outputs(nb, 4)[0]!["ename"]!.GetValue<string>());
        Assert.Equal("completed", nb["cells"]![4]!["metadata"]!["papermill"]!["status"]!.GetValue<string>()); // the error was expected
    }

    [Fact]
    public async Task A_sessions_warm_kernel_runs_the_notebook_and_keeps_its_state()
    {
        var session = await _service.NewSessionAsync("nightly", "python3", null, null, null, Bound());
        await (await _service.ExecuteAsync(session.KernelId, "warm = 'from before'", new(), Bound())).Completion;
        var input = Write("warm.ipynb", NotebookSamples.Notebook(NotebookSamples.Code("print(warm)\nmade = 7")));
        var output = _fixture.Root.Combine("warm.out.ipynb");
        var result = await RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output, SessionName = "nightly" });
        Assert.Equal(NotebookRunStatus.Completed, result.Status);
        Assert.Equal(session.KernelId, result.KernelId);
        Assert.False(result.KernelStarted);
        Assert.Equal("from before\n", Text(Outputs(Read(output), 0)[0]!["text"]));
        // Left running, with what the notebook made; by id too.
        var again = await RunAsync(new NotebookRunRequest { InputPath = Write("warm2.ipynb", NotebookSamples.Notebook(NotebookSamples.Code("print(made)"))), OutputPath = _fixture.Root.Combine("warm2.out.ipynb"), KernelId = session.KernelId });
        Assert.Equal(NotebookRunStatus.Completed, again.Status);
        Assert.Equal("7\n", Text(Outputs(Read(_fixture.Root.Combine("warm2.out.ipynb")), 0)[0]!["text"]));
        Assert.Single(await _service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task Killing_the_kernel_mid_cell_leaves_a_valid_notebook_marking_the_cell()
    {
        var input = Write("kill.ipynb", NotebookSamples.Notebook(
            NotebookSamples.Code("print('first')"),
            NotebookSamples.Code("import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(120)"),
            NotebookSamples.Code("print('never')")));
        var output = _fixture.Root.Combine("kill.out.ipynb");
        var kernel = await _service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var observer = new RecordingObserver();
        var run = RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output, KernelId = kernel.Id }, observer);
        // Wait until the sleeping cell has printed, then kill the kernel process.
        var sw = Stopwatch.StartNew();
        while (!observer.Outputs.Any(o => o.Output is KernelStreamOutput s && s.Text.StartsWith("pid", StringComparison.Ordinal)) && sw.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(50);
        Process.GetProcessById(kernel.Pid!.Value).Kill();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(90));

        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Contains(ErrorIds.KernelDied, result.Error);
        var nb = Read(output);
        var cells = nb["cells"]!.AsArray();
        Assert.Equal(5, cells.Count); // banner, first, anchor, killed, never
        Assert.Equal(1, result.FailedCellIndex);
        Assert.Equal("failed", cells[3]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());
        var outputs = Outputs(nb, 3);
        Assert.StartsWith("pid", Text(outputs[0]!["text"]));
        Assert.Equal(ErrorIds.KernelDied, outputs[^1]!["ename"]!.GetValue<string>());
        Assert.Equal("pending", cells[4]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());
        Assert.Equal("first\n", Text(Outputs(nb, 1)[0]!["text"]));
    }

    [Fact]
    public async Task Cancelling_interrupts_the_kernel_and_writes_what_ran()
    {
        var input = Write("cancel.ipynb", NotebookSamples.Notebook(
            NotebookSamples.Code("print('first')"),
            NotebookSamples.Code("import time\nprint('sleeping', flush=True)\ntime.sleep(120)"),
            NotebookSamples.Code("print('never')")));
        var output = _fixture.Root.Combine("cancel.out.ipynb");
        var observer = new RecordingObserver();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var plan = await _service.PlanNotebookRunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output }, Bound());
        var run = _service.RunNotebookAsync(plan, observer, null, cts.Token);
        var sw = Stopwatch.StartNew();
        while (!observer.Outputs.Any(o => o.Output is KernelStreamOutput { Text: "sleeping\n" }) && sw.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(50);
        cts.Cancel();
        var e = await Assert.ThrowsAsync<NotebookRunCancelledException>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(NotebookRunStatus.Cancelled, e.Result.Status);

        NotebookSamples.AssertValid(output);
        var nb = Read(output);
        var killed = nb["cells"]![3]!;
        Assert.Equal("failed", killed["metadata"]!["papermill"]!["status"]!.GetValue<string>());
        var outputs = killed["outputs"]!.AsArray();
        Assert.Equal("sleeping\n", Text(outputs[0]!["text"]));
        Assert.Equal("KeyboardInterrupt", outputs[^1]!["ename"]!.GetValue<string>());
        Assert.Empty(await _service.GetKernelsAsync(Bound())); // the kernel started for the run was stopped
    }

    [Fact]
    public async Task Bad_input_is_reported_before_anything_is_written_or_started()
    {
        var output = _fixture.Root.Combine("never.ipynb");
        async Task<KernelException> Fails(NotebookRunRequest r) => await Assert.ThrowsAsync<KernelException>(() => RunAsync(r));

        Assert.Equal(ErrorIds.NotebookInvalid, (await Fails(new() { InputPath = Write("bad.ipynb", "{ nope"), OutputPath = output })).ErrorId);
        Assert.Equal(ErrorIds.NotebookInvalid, (await Fails(new() { InputPath = Write("v3.ipynb", "{\"nbformat\": 3, \"nbformat_minor\": 0, \"worksheets\": []}"), OutputPath = output })).ErrorId);
        var good = Write("good.ipynb", NotebookSamples.Notebook(NotebookSamples.Code("x = 1", "parameters")));
        var unknown = await Fails(new() { InputPath = Write("cobol.ipynb", NotebookSamples.Notebook("cobol", NotebookSamples.Code("1"))), OutputPath = output });
        Assert.Equal(ErrorIds.KernelSpecNotFound, unknown.ErrorId);
        Assert.Equal(ErrorIds.NotebookParameterInvalid, (await Fails(new() { InputPath = good, OutputPath = output, Parameters = Params(("not valid", 1)) })).ErrorId);
        Assert.Equal(ErrorIds.KernelNotFound, (await Fails(new() { InputPath = good, OutputPath = output, KernelId = "no-such-kernel" })).ErrorId);
        var noKernel = Write("nokernel.ipynb", "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}");
        Assert.Equal(ErrorIds.NotebookKernelNotSpecified, (await Fails(new() { InputPath = noKernel, OutputPath = output })).ErrorId);
        Assert.False(File.Exists(output));
        Assert.Empty(await _service.GetKernelsAsync(Bound()));

        File.WriteAllText(output, "keep me");
        Assert.Equal(ErrorIds.NotebookOutputExists, (await Fails(new() { InputPath = good, OutputPath = output })).ErrorId);
        Assert.Equal(ErrorIds.NotebookOutputExists, (await Fails(new() { InputPath = good, OutputPath = good })).ErrorId);
        Assert.Equal("keep me", File.ReadAllText(output));
    }

    [Fact]
    public async Task A_cell_over_its_timeout_is_interrupted_and_marked()
    {
        var input = Write("slow.ipynb", NotebookSamples.Notebook(NotebookSamples.Code("import time\ntime.sleep(60)"), NotebookSamples.Code("print('next')")));
        var output = _fixture.Root.Combine("slow.out.ipynb");
        var result = await RunAsync(new NotebookRunRequest { InputPath = input, OutputPath = output, CellTimeout = TimeSpan.FromSeconds(2) });
        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Contains(ErrorIds.ExecutionTimeout, result.Error);
        var nb = Read(output);
        Assert.Equal("failed", nb["cells"]![2]!["metadata"]!["papermill"]!["status"]!.GetValue<string>());
    }

    internal sealed class RecordingObserver : INotebookRunObserver
    {
        private readonly List<NotebookCellProgress> _progress = new();
        private readonly List<(int Cell, KernelOutput Output)> _outputs = new();

        public List<NotebookCellProgress> Progress { get { lock (_progress) return _progress.ToList(); } }
        public List<(int Cell, KernelOutput Output)> Outputs { get { lock (_outputs) return _outputs.ToList(); } }
        public bool WantsOutputs => true;
        public void CellStarting(NotebookCellProgress progress) { lock (_progress) _progress.Add(progress); }
        public void Output(int cellIndex, KernelOutput output) { lock (_outputs) _outputs.Add((cellIndex, output)); }
    }
}
