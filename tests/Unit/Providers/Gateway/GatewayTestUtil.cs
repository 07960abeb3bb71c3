using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;

namespace JupyterKernels.Tests.Gateway;

internal static class GatewayTestUtil
{
    public static GatewayOptions Options(string url, string? token, Func<GatewayOptions, GatewayOptions>? tweak = null)
    {
        var o = new GatewayOptions
        {
            BaseUrl = new Uri(url),
            Token = token,
            RequestTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RetryInterval = TimeSpan.FromMilliseconds(200),
            RetryIntervalMax = TimeSpan.FromSeconds(1),
            RetryMax = 3,
            KernelPollInterval = TimeSpan.FromSeconds(1),
        };
        return tweak is null ? o : tweak(o);
    }

    public static KernelStartRequest StartRequest(string spec = "python3")
        => new() { KernelId = Guid.NewGuid().ToString(), SpecName = spec, StartTimeout = TimeSpan.FromSeconds(30) };

    public static CancellationToken Timeout(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Reads Incoming until it completes; returns the completion exception (or null).</summary>
    public static async Task<Exception?> WaitForCompletionAsync(IKernelChannels channels, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await channels.Incoming.WaitToReadAsync(cts.Token))
                while (channels.Incoming.TryRead(out _)) { }
            return null;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"Incoming did not complete within {timeout}");
        }
        catch (Exception e) { return e; }
    }

    public static async Task WaitForAsync(IKernelChannels channels, string msgId, string msgType, CancellationToken ct)
    {
        while (true)
        {
            var m = await channels.Incoming.ReadAsync(ct);
            if (m.Message.ParentMsgId == msgId && m.Message.MsgType == msgType) return;
        }
    }

    public sealed class FakeLocalProvider : IKernelProvider
    {
        public string Name => "local";
        public string Kind => "local";
        public ProviderCapabilities Capabilities => ProviderCapabilities.ProbesEachKernel;
        public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken)
            => Task.FromResult<IReadOnlyList<KernelSpec>>(new[] { new KernelSpec { Name = "python3", DisplayName = "Python 3 (local)", Provider = "local", ProviderSpecName = "python3", Language = "python" } });
        public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken) => throw new NotSupportedException();
        public ProviderKernelView Describe(KernelRecord kernel) => default;
        public KernelClientOptions GetClientOptions(KernelRecord kernel) => new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
