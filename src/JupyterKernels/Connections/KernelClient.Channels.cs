namespace JupyterKernels.Connections;

// What the kernel answers on which channel: known from its record, or learned by this client once.
internal sealed partial class KernelClient
{
    private KernelChannelCapabilities? _channelsLearned;

    /// <summary>What the kernel answers on which channel (from its record, or learned by this client); null until known.</summary>
    public KernelChannelCapabilities? Channels => Volatile.Read(ref _channelsLearned) ?? _options.KnownChannels;

    /// <summary>Raised once when this client learns something its record did not know (the Service writes it into the
    /// record, so later processes need not learn it again). Raised on the thread that learned it.</summary>
    public event EventHandler<KernelChannelCapabilities>? ChannelsLearned;

    private void LearnChannels(bool controlAnswers)
    {
        var learned = new KernelChannelCapabilities(controlAnswers);
        if (_options.KnownChannels == learned) return;
        if (Interlocked.CompareExchange(ref _channelsLearned, learned, null) is not null) return;
        OnDiagnostic(controlAnswers ? "the kernel answers on control" : "the kernel answers nothing on control: shell is asked instead");
        try { ChannelsLearned?.Invoke(this, learned); } catch { /* a handler's fault is its own */ }
    }

    /// <summary>True unless the kernel is known to answer nothing on control: a control request to it would only wait
    /// out its timeout.</summary>
    private bool ControlMayAnswer => Channels?.ControlAnswers != false;
}
