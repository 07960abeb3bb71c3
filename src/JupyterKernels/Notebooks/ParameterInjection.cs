using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// papermill's parameterize_notebook: the cell tagged <c>parameters</c> keeps the defaults; a new code cell tagged
/// <c>injected-parameters</c> goes right after it (at the top when there is none), and any injected cell from an
/// earlier run is removed first. Nothing is injected when no parameters are given.
/// </summary>
internal static class ParameterInjection
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>Index of the first cell tagged <c>parameters</c>, or -1.</summary>
    public static int FindParametersCell(NotebookDocument notebook)
    {
        for (int i = 0; i < notebook.CellCount; i++)
            if (NotebookDocument.HasTag(notebook.Cell(i), ParametersTag)) return i;
        return -1;
    }

    /// <summary>The parameters cell's assignments (empty when the notebook has no parameters cell).</summary>
    public static IReadOnlyList<NotebookParameter> Inspect(NotebookDocument notebook, ParameterTranslator translator)
    {
        var index = FindParametersCell(notebook);
        return index < 0 ? Array.Empty<NotebookParameter>() : translator.Inspect(NotebookDocument.CellSource(notebook.Cell(index)));
    }

    /// <summary>Inserts the injected-parameters cell; returns its index, or -1 when nothing was injected.</summary>
    public static int Inject(NotebookDocument notebook, string code)
    {
        for (int i = notebook.CellCount - 1; i >= 0; i--)
            if (NotebookDocument.HasTag(notebook.Cell(i), InjectedTag)) notebook.Cells.RemoveAt(i);
        var parameters = FindParametersCell(notebook);
        var index = parameters + 1; // 0 when there is no parameters cell
        var cell = new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray(InjectedTag) },
            ["outputs"] = new JsonArray(),
            ["source"] = code,
        };
        if (notebook.HasCellIds) cell["id"] = NotebookDocument.NewCellId();
        notebook.Cells.Insert(index, cell);
        return index;
    }
}
