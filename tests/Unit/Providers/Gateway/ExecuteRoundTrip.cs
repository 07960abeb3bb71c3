using System.Text;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Gateway;

/// <summary>What one execute round trip produced (test helper: drives raw channels without a KernelClient).</summary>
internal sealed record ExecuteRoundTripResult(string Status, string Stdout, string Stderr, string? ErrorName, int? ExecutionCount, TimeSpan Elapsed);

/// <summary>
/// Minimal execute round trip over any <see cref="IKernelChannels"/>: send execute_request on shell, read Incoming
/// until both the execute_reply and IOPub status idle for it have arrived. Single reader of Incoming: not for use
/// alongside another consumer.
/// </summary>
internal static class ExecuteRoundTrip
{
    public static async Task<ExecuteRoundTripResult> RunAsync(IKernelChannels channels, MessageFactory factory, string code, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var request = factory.Create("execute_request", RequestContent.Execute(code));
        await channels.SendAsync(KernelChannel.Shell, request, cancellationToken).ConfigureAwait(false);
        return await ReadUntilDoneAsync(channels, request.MsgId, started, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<ExecuteRoundTripResult> ReadUntilDoneAsync(IKernelChannels channels, string msgId, long started, CancellationToken cancellationToken)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        string? status = null, errorName = null;
        int? count = null;
        bool idle = false;
        while (status is null || !idle)
        {
            var item = await channels.Incoming.ReadAsync(cancellationToken).ConfigureAwait(false);
            var m = item.Message;
            if (m.ParentMsgId != msgId) continue;
            switch (m.MsgType)
            {
                case "execute_reply" when item.Channel == KernelChannel.Shell:
                    status = m.Content.GetStringOrNull("status") ?? "";
                    count = m.Content.GetInt32OrNull("execution_count");
                    errorName ??= m.Content.GetStringOrNull("ename");
                    break;
                case "stream":
                    (m.Content.GetStringOrNull("name") == "stderr" ? stderr : stdout).Append(m.Content.GetStringOrNull("text"));
                    break;
                case "error":
                    errorName = m.Content.GetStringOrNull("ename");
                    break;
                case "status" when m.Content.GetStringOrNull("execution_state") == "idle":
                    idle = true;
                    break;
            }
        }
        return new ExecuteRoundTripResult(status, stdout.ToString(), stderr.ToString(), errorName, count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>kernel_info_request → reply (also makes IOPub flow, so <see cref="IKernelChannels.IOPubReady"/> turns true).</summary>
    public static async Task<JupyterMessage> KernelInfoAsync(IKernelChannels channels, MessageFactory factory, CancellationToken cancellationToken)
    {
        var request = factory.Create("kernel_info_request", RequestContent.Empty);
        await channels.SendAsync(KernelChannel.Shell, request, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var item = await channels.Incoming.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (item.Message.MsgType == "kernel_info_reply" && item.Message.ParentMsgId == request.MsgId) return item.Message;
        }
    }
}
