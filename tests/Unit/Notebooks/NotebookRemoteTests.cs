using System.Text.Json.Nodes;
using JupyterKernels.Notebooks;
using JupyterKernels.Service;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>The same notebook on a kernel of a real jupyter-server, picked by provider/name, over the WebSocket.</summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes or servers
public sealed class NotebookRemoteTests : RemoteServiceTests
{
    private static CancellationToken Bound(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static string Text(JsonNode? multiline) => multiline switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    [Fact]
    public async Task The_rich_notebook_runs_on_a_remote_kernel_with_the_same_record()
    {
        var input = Fixture.Root.Combine("rich.ipynb");
        File.WriteAllText(input, NotebookSamples.Rich());
        var output = Fixture.Root.Combine("rich.remote.ipynb");
        var plan = await Service.PlanNotebookRunAsync(new NotebookRunRequest
        {
            InputPath = input,
            OutputPath = output,
            KernelName = "srv/python3",
            Parameters = new[] { new KeyValuePair<string, ParameterValue>("name", new ParameterValue.Text("remote")) },
        }, Bound());
        Assert.Equal("python", plan.Language);
        var result = await Service.RunNotebookAsync(plan, null, null, Bound());

        NotebookSamples.AssertValid(output);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        Assert.Equal("ZeroDivisionError: division by zero", result.Error);
        Assert.Equal("srv/python3", result.KernelName);
        var nb = (JsonObject)JsonNode.Parse(File.ReadAllText(output))!;
        var cells = nb["cells"]!.AsArray();
        Assert.Equal(10, cells.Count);
        Assert.Equal("python3", nb["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("hello remote 0.1 [1, 2]\nmore\n", Text(cells[4]!["outputs"]![0]!["text"]));
        Assert.Equal(3, cells[5]!["outputs"]!.AsArray().Count);
        Assert.Equal("'after'", Text(cells[6]!["outputs"]![0]!["data"]!["text/plain"]));
        Assert.Equal("42", Text(cells[6]!["outputs"]![1]!["data"]!["text/plain"]));
        Assert.Equal("ZeroDivisionError", cells[8]!["outputs"]![0]!["ename"]!.GetValue<string>());
        Assert.Equal(4, cells[4]!["metadata"]!["execution"]!.AsObject().Count);
        // The remote kernel started for the run was shut down on the server too.
        Assert.Empty(await Service.GetKernelsAsync(Bound()));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("Authorization", "token " + Server.Token);
        Assert.Equal("[]", (await http.GetStringAsync(Server.Url + "api/kernels")).Trim());
    }
}
