using JupyterKernels.Connections;

namespace JupyterKernels.Providers;

/// <summary>
/// A place kernels run: the local machine or a Jupyter Server / Kernel Gateway / Enterprise Gateway. These are the
/// members every provider implements for real; what only one kind of provider does is a role of its own
/// (<see cref="IRecoversStarts"/>, <see cref="IKeepsSessions"/>... in ProviderRoles.cs), which a caller asks for with
/// <c>provider is IRole role</c> rather than calling a member that would do nothing.
/// Every method takes a token and ends with a result or a <see cref="KernelException"/>, never a hang.
/// </summary>
internal interface IKernelProvider : IAsyncDisposable
{
    /// <summary>"local" for the local provider, else the registered name (used as spec-name prefix).</summary>
    string Name { get; }

    /// <summary>"local" or "gateway": what Get-KernelProvider shows. Code asks <see cref="Capabilities"/> or a role instead.</summary>
    string Kind { get; }

    /// <summary>How this provider behaves where every provider does the same thing differently (how its kernels are
    /// observed); what it can do beyond the core is a role interface, not a flag.</summary>
    ProviderCapabilities Capabilities { get; }

    /// <summary>Specs with <see cref="KernelSpec.Name"/> already prefixed for remote providers.</summary>
    Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken);

    /// <summary>Starts a kernel and returns its record once it is ready (local) or started (remote).</summary>
    Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the message channels of a kernel (a new client session).</summary>
    Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken);

    Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>Restarts in place (same id); returns the updated record.</summary>
    Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>Shuts the kernel down (local: request, then terminate, then kill; <paramref name="now"/> kills at once).</summary>
    Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken);

    /// <summary>Checks one kernel (local: process + command line + heartbeat; remote: GET by id).</summary>
    Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken);

    /// <summary>All kernels the provider reports (remote). Complete=false tells the caller to probe each record
    /// instead (local kernels; gateways that forbid listing).</summary>
    Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken);

    /// <summary>Copies a kernelspec's resources (logos, kernel.js) into <paramref name="folder"/>; returns the files
    /// written. <paramref name="specName"/> is the provider's own name (a prefixed name is accepted too).</summary>
    Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken);

    /// <summary>What the public <see cref="Kernel"/> shows of the provider's own data in <see cref="KernelRecord.ProviderData"/>
    /// (local: pid, connection file, adopted; remote: URL). Only the provider reads that data.</summary>
    ProviderKernelView Describe(KernelRecord kernel);

    /// <summary>How a <see cref="KernelClient"/> of this kernel detects death and interrupts on cancel: data the client
    /// acts on itself (<see cref="KernelInterrupt"/>, <see cref="KernelProcess"/>), never a call back into the provider.</summary>
    KernelClientOptions GetClientOptions(KernelRecord kernel);
}
