using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Tests.Support;

/// <summary>The provider data of a record, as its provider reads it (tests look at what the provider persisted).</summary>
internal static class KernelRecordData
{
    public static LocalKernelData LocalData(this KernelRecord record) => LocalKernelData.Of(record);

    public static RemoteKernelData RemoteData(this KernelRecord record) => RemoteKernelData.Of(record);

    /// <summary><paramref name="record"/> carrying <paramref name="data"/>.</summary>
    public static KernelRecord With(this KernelRecord record, LocalKernelData data) => data.ApplyTo(record);
}
