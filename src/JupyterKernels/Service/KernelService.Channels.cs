using JupyterKernels.Connections;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// What a kernel answers on which channel, learned by one connection, kept in the kernel's record for every process.
public sealed partial class KernelService
{
    private async Task RememberChannelsAsync(KernelRecord connectedTo, IKernelProvider provider, KernelChannelCapabilities learned)
    {
        try
        {
            var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
            var now = await store.GetKernelAsync(connectedTo.Id, CancellationToken.None).ConfigureAwait(false);
            if (now is null || provider is not IRemembersChannels memory || memory.WithChannels(now, learned) is not { } data || data == now.ProviderData) return;
            await store.ReplaceProviderDataAsync(now.Id, now.ProviderData, data, CancellationToken.None).ConfigureAwait(false);
        }
        catch (KernelException) { /* bookkeeping only: the next process learns it again */ }
    }
}
