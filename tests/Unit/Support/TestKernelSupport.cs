using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Support;

/// <summary>Subshell management on control, as a client sees it (bounded waits everywhere).</summary>
internal static class SubshellRequests
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<string> CreateAsync(KernelClient client)
    {
        var reply = await client.RequestAsync(KernelChannel.Control, "create_subshell_request", RequestContent.Empty, Timeout, CancellationToken.None);
        Assert.Equal("ok", reply.Content.GetStringOrNull("status"));
        return reply.Content.GetStringOrNull("subshell_id") ?? throw new Xunit.Sdk.XunitException("create_subshell_reply without subshell_id");
    }

    public static Task<JupyterMessage> DeleteAsync(KernelClient client, string subshellId)
        => client.RequestAsync(KernelChannel.Control, "delete_subshell_request", RequestContent.DeleteSubshell(subshellId), Timeout, CancellationToken.None);

    public static async Task<IReadOnlyList<string>> ListAsync(KernelClient client)
    {
        var reply = await client.RequestAsync(KernelChannel.Control, "list_subshell_request", RequestContent.Empty, Timeout, CancellationToken.None);
        Assert.Equal("ok", reply.Content.GetStringOrNull("status"));
        Assert.Equal(JsonValueKind.Array, reply.Content.GetProperty("subshell_id").ValueKind);
        return reply.Content.GetStringList("subshell_id");
    }

    /// <summary>Code that prints <paramref name="marker"/> <paramref name="times"/> times.</summary>
    public static string Prints(string marker, int times) => string.Join("\n", Enumerable.Repeat($"print {marker}", times));
}
