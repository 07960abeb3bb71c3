namespace JupyterKernels.Cmdlets;

/// <summary>The cells a console can recall with Up and Down: the kernel's own history first (history_request, when
/// the kernel keeps one), then what was entered in this session. Blank cells and repeats of the previous one are not kept.</summary>
internal sealed class InputHistory
{
    private readonly List<string> _entries = new();
    private int _position;
    private string _pending = "";

    public int Count => _entries.Count;

    public IReadOnlyList<string> Entries => _entries;

    private Task<IEnumerable<string>>? _loading;

    /// <summary>Older entries (the kernel's) still on their way: put before this session's once they are there,
    /// whenever the history is next looked at (the prompt does not wait for them). A failed load adds nothing.</summary>
    public void LoadLater(Task<IEnumerable<string>> older) => _loading = older;

    private void MergeLoaded()
    {
        if (_loading is not { IsCompleted: true } loading) return;
        _loading = null;
        if (loading.IsCompletedSuccessfully) Prepend(loading.Result);
    }

    /// <summary>Older entries (the kernel's), put before this session's.</summary>
    public void Prepend(IEnumerable<string> older)
    {
        var list = new List<string>();
        foreach (var entry in older)
        {
            var text = entry.TrimEnd();
            if (text.Length > 0 && (list.Count == 0 || list[^1] != text)) list.Add(text);
        }
        _entries.InsertRange(0, list);
        _position = _entries.Count;
    }

    public void Add(string cell)
    {
        var text = cell.TrimEnd();
        if (text.Length > 0 && (_entries.Count == 0 || _entries[^1] != text)) _entries.Add(text);
        _position = _entries.Count;
    }

    /// <summary>Starts a new line: navigation begins after the newest entry.</summary>
    public void Reset()
    {
        MergeLoaded();
        _position = _entries.Count;
    }

    /// <summary>The entry before the one shown (<paramref name="current"/> is kept to come back to); null at the oldest.</summary>
    public string? Previous(string current)
    {
        if (_position == _entries.Count) MergeLoaded();
        if (_position == 0) return null;
        if (_position == _entries.Count) _pending = current;
        return _entries[--_position];
    }

    /// <summary>The entry after the one shown, or the line being written before navigation; null at the newest.</summary>
    public string? Next()
    {
        if (_position >= _entries.Count) return null;
        _position++;
        return _position == _entries.Count ? _pending : _entries[_position];
    }
}
