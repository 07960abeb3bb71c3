namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Topic prefixes with reference counts. Used counted by SUB (subscribing "A" twice needs two cancels) and
/// by publishers to count how many peers hold a topic; a linear list is fine for the handful of topics Jupyter uses.
/// Not thread-safe: callers lock.
/// </summary>
internal sealed class SubscriptionSet
{
    private readonly List<(byte[] Topic, int Count)> _entries = new();

    public int Count => _entries.Count;

    public IEnumerable<byte[]> Topics => _entries.Select(e => e.Topic);

    /// <summary>Adds one reference; returns the new count for that topic.</summary>
    public int Add(ReadOnlySpan<byte> topic)
    {
        int i = IndexOf(topic);
        if (i < 0)
        {
            _entries.Add((topic.ToArray(), 1));
            return 1;
        }
        var e = _entries[i];
        _entries[i] = (e.Topic, e.Count + 1);
        return e.Count + 1;
    }

    /// <summary>Removes one reference; returns the remaining count, or -1 if the topic was not there.</summary>
    public int Remove(ReadOnlySpan<byte> topic)
    {
        int i = IndexOf(topic);
        if (i < 0) return -1;
        var e = _entries[i];
        if (e.Count == 1)
        {
            _entries.RemoveAt(i);
            return 0;
        }
        _entries[i] = (e.Topic, e.Count - 1);
        return e.Count - 1;
    }

    public bool Contains(ReadOnlySpan<byte> topic) => IndexOf(topic) >= 0;

    /// <summary>True if any topic is a prefix of <paramref name="firstFrame"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> firstFrame)
    {
        foreach (var (topic, _) in _entries)
            if (firstFrame.StartsWith(topic)) return true;
        return false;
    }

    private int IndexOf(ReadOnlySpan<byte> topic)
    {
        for (int i = 0; i < _entries.Count; i++)
            if (_entries[i].Topic.AsSpan().SequenceEqual(topic)) return i;
        return -1;
    }
}
