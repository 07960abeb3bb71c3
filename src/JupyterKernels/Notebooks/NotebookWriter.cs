using System.Text;
using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// Writes a notebook that is written again and again while it runs (after every cell). Each cell's nbformat text is
/// kept and only cells marked changed (<see cref="CellChanged"/>) are serialized again, so a run of n cells does not
/// serialize n² cells; the file is still the whole notebook, byte for byte what <see cref="NotebookJson"/> writes
/// for it. The caller owns the rule: every change to a cell after it was written is followed by CellChanged.
/// </summary>
internal sealed class NotebookWriter
{
    private readonly Dictionary<JsonObject, string> _cellText = new(ReferenceEqualityComparer.Instance);

    /// <summary>The cell's text is stale; the next write serializes it again.</summary>
    public void CellChanged(JsonObject cell) => _cellText.Remove(cell);

    public string Serialize(JsonObject root) => NotebookJson.SerializeNotebook(root, CellText);

    private string CellText(JsonObject cell)
    {
        if (!_cellText.TryGetValue(cell, out var text)) _cellText[cell] = text = NotebookJson.SerializeCell(cell);
        return text;
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> atomically: a temporary file in the same folder, then
    /// a rename over the target, so a reader (or a crash at any moment) sees the previous complete notebook or the new
    /// one, never half of one. Durable (<paramref name="durable"/>): the file is flushed to disk before the rename and
    /// the folder after it (where the OS allows), so the rename also survives a power loss or an OS crash.
    /// </summary>
    public static void WriteAtomically(string path, string text, bool durable)
    {
        var full = Path.GetFullPath(path);
        try
        {
            AtomicFile.Write(full, Utf8.GetBytes(text), userOnly: false, durable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.NotebookWriteFailed, KernelErrorCategory.WriteError,
                $"The output notebook '{full}' could not be written: {e.Message}", full, e);
        }
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
}
