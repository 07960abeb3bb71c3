using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Notebooks;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>
/// nbclient maps every output that carries a display id, execute_result included, and update_display_data rewrites
/// them all (nbclient's update-display-id.ipynb: a result shown as 9 and updated to 10 reads 10).
/// </summary>
public sealed class CellOutputCollectorDisplayIdTests
{
    private static JsonObject CodeCell() => new() { ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = "" };

    private static readonly MessageFactory Kernel = new("kernel-session", "kernel");

    /// <summary>An IOPub message as an execution hands it to a notebook run: parsed, with the converter's output.</summary>
    internal static KernelProtocolMessage IOPub(string type, string contentJson)
    {
        var message = Kernel.Create(type, JsonDocument.Parse(contentJson).RootElement.Clone());
        return OutputConverter.Message("k", KernelChannel.IOPub, message, OutputConverter.FromIOPub("k", message));
    }

    private static string PlainOf(JsonObject cell, int output) => cell["outputs"]![output]!["data"]!["text/plain"]!.GetValue<string>();

    [Fact]
    public void UpdateDisplayDataRewritesAnExecuteResultWithThatId()
    {
        var displays = new DisplayIdMap();
        var first = CodeCell();
        var shown = new CellOutputCollector(first, 0, displays);
        shown.Add(IOPub("execute_result", """{"execution_count":5,"data":{"text/plain":"9"},"metadata":{},"transient":{"display_id":"result"}}"""));
        shown.Finish();
        Assert.Equal("9", PlainOf(first, 0));

        var second = CodeCell();
        var updating = new CellOutputCollector(second, 1, displays);
        updating.Add(IOPub("update_display_data", """{"data":{"text/plain":"10"},"metadata":{},"transient":{"display_id":"result"}}"""));
        updating.Finish();

        Assert.Equal("10", PlainOf(first, 0));
        Assert.Equal(5, first["outputs"]![0]!["execution_count"]!.GetValue<int>());
        Assert.Empty((JsonArray)second["outputs"]!);
        Assert.Contains(first, displays.TakeChangedCells());
    }

    [Fact]
    public void AnExecuteResultWithAnIdTakesTheLatestDataOfThatIdAndUpdatesEarlierOutputs()
    {
        var displays = new DisplayIdMap();
        var cell = CodeCell();
        var collector = new CellOutputCollector(cell, 0, displays);
        collector.Add(IOPub("display_data", """{"data":{"text/plain":"1"},"metadata":{},"transient":{"display_id":"here"}}"""));
        collector.Add(IOPub("execute_result", """{"execution_count":1,"data":{"text/plain":"2"},"metadata":{},"transient":{"display_id":"here"}}"""));
        collector.Finish();
        Assert.Equal("2", PlainOf(cell, 0));
        Assert.Equal("2", PlainOf(cell, 1));
    }

    [Fact]
    public void TheRecordKeepsTheKernelsJsonExactly()
    {
        // Numbers as the kernel wrote them (1.50, 1e3, a 20-digit integer), nested values, key order: what nbclient keeps.
        const string data = """{"application/json":{"b":1.50,"a":[1e3,12345678901234567890,null,true]},"text/plain":"x"}""";
        var cell = CodeCell();
        var collector = new CellOutputCollector(cell, 0, new DisplayIdMap());
        collector.Add(IOPub("display_data", "{\"data\":" + data + ",\"metadata\":{\"isolated\":true}}"));
        collector.Finish();
        var output = (JsonObject)cell["outputs"]![0]!;
        Assert.Equal(NotebookJson.Serialize(JsonNode.Parse(data)), NotebookJson.Serialize(output["data"]));
        Assert.Equal(NotebookJson.Serialize(JsonNode.Parse("""{"isolated":true}""")), NotebookJson.Serialize(output["metadata"]));
    }
}
