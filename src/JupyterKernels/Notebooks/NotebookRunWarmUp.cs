using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

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
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.Status, """{"execution_state": "busy"}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.ExecuteInput, """{"code": "x", "execution_count": 1}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.Stream, """{"name": "stdout", "text": "x\n"}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.Stream, """{"name": "stdout", "text": "y\n"}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.DisplayData, """{"data": {"text/plain": "x"}, "metadata": {}, "transient": {"display_id": "w"}}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.ExecuteResult, """{"data": {"text/plain": "1"}, "metadata": {}, "execution_count": 1}"""));
            collector.Add(Message(KernelChannel.Shell, MessageTypes.ExecuteReply, """{"status": "ok", "execution_count": 1}"""));
            collector.Add(Message(KernelChannel.IOPub, MessageTypes.Status, """{"execution_state": "idle"}"""));
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

    private static KernelProtocolMessage Message(KernelChannel channel, string type, string content)
    {
        var message = new JupyterMessage
        {
            Header = new MessageHeader { MsgId = "warmup", Session = "warmup", MsgType = type, Date = "2024-01-01T00:00:00.000000Z" },
            Content = JsonDocument.Parse(content).RootElement,
        };
        var output = channel == KernelChannel.IOPub ? OutputConverter.FromIOPub("warmup", message) : null;
        return OutputConverter.Message("warmup", channel, message, output);
    }
}
