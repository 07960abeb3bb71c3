using System.Text.Json.Nodes;
using JupyterKernels.Notebooks;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>
/// nbclient maps every output that carries a display id, execute_result included, and update_display_data rewrites
/// them all (nbclient's update-display-id.ipynb: a result shown as 9 and updated to 10 reads 10).
/// </summary>
public sealed class CellOutputCollectorDisplayIdTests
{
    private static JsonObject CodeCell() => new() { ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = "" };

    private static KernelRawMessage IOPub(string type, string contentJson) => new()
    {
        KernelId = "k",
        Channel = "iopub",
        MsgType = type,
        MsgId = Guid.NewGuid().ToString(),
        HeaderJson = "{\"date\":\"2026-01-01T00:00:00Z\"}",
        ParentHeaderJson = "{}",
        MetadataJson = "{}",
        ContentJson = contentJson,
    };

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
}
