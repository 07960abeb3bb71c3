using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// A fresh process compiles (JIT) the code of a cell's way through the run the first time a cell takes it. When the
/// run starts its kernel, the process mostly waits for the kernel process to come up meanwhile: this does that first
/// pass then, on a notebook of its own (a cell fed a cell's typical messages, serialized, not written), so the first
/// cells do not pay for it. It shares nothing with the run (a JsonNode tree is not safe to read from two threads).
/// </summary>
internal static class NotebookRunWarmUp
{
    public static void Run()
    {
        try
        {
            var cell = new JsonObject { ["cell_type"] = "code", ["execution_count"] = null, ["id"] = "warmup", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = "x" };
            var collector = new CellOutputCollector(cell, 0, new DisplayIdMap());
            collector.Add(Message("iopub", "status", """{"execution_state": "busy"}"""));
            collector.Add(Message("iopub", "execute_input", """{"code": "x", "execution_count": 1}"""));
            collector.Add(Message("iopub", "stream", """{"name": "stdout", "text": "x\n"}"""));
            collector.Add(Message("iopub", "stream", """{"name": "stdout", "text": "y\n"}"""));
            collector.Add(Message("iopub", "display_data", """{"data": {"text/plain": "x"}, "metadata": {}, "transient": {"display_id": "w"}}"""));
            collector.Add(Message("iopub", "execute_result", """{"data": {"text/plain": "1"}, "metadata": {}, "execution_count": 1}"""));
            collector.Add(Message("shell", "execute_reply", """{"status": "ok", "execution_count": 1}"""));
            collector.Add(Message("iopub", "status", """{"execution_state": "idle"}"""));
            collector.Finish();
            var root = new JsonObject { ["cells"] = new JsonArray(cell), ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 };
            var writer = new NotebookWriter();
            _ = writer.Serialize(root);
            writer.CellChanged(cell);
            _ = writer.Serialize(root);
            _ = JsonNode.Parse("""{"name": "python", "version": "3", "codemirror_mode": {"name": "ipython", "version": 3}}""") as JsonObject;
        }
        catch (Exception)
        {
            // Only a head start: the run does the same work for real and reports what fails there.
        }
    }

    private static KernelRawMessage Message(string channel, string type, string content) => new()
    {
        KernelId = "warmup",
        Channel = channel,
        MsgType = type,
        MsgId = "warmup",
        HeaderJson = """{"date": "2024-01-01T00:00:00.000000Z", "msg_id": "warmup", "msg_type": "status"}""",
        ParentHeaderJson = "{}",
        MetadataJson = "{}",
        ContentJson = content,
    };
}
