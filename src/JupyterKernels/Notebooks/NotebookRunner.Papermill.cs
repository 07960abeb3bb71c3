using System.Globalization;
using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

// papermill's record of a run: the notebook's and each cell's metadata.papermill, and the error banner.
internal sealed partial class NotebookRunner
{
    private const string ErrorStyle = "style=\"color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;\"";

    private JsonObject StartMetadata(DateTimeOffset start)
    {
        // papermill's nb_start: every cell pending, code cells cleared; earlier error banners removed.
        for (int i = _notebook.CellCount - 1; i >= 0; i--)
            if (NotebookDocument.HasTag(_notebook.Cell(i), ErrorCellTag)) _notebook.Cells.RemoveAt(i);
        for (int i = 0; i < _notebook.CellCount; i++)
        {
            var cell = _notebook.Cell(i);
            if (NotebookDocument.CellType(cell) == "code")
            {
                cell["outputs"] = new JsonArray();
                cell["execution_count"] = null;
                ((JsonObject)cell["metadata"]!).Remove("execution");
            }
            ((JsonObject)cell["metadata"]!)["papermill"] = new JsonObject
            {
                ["duration"] = null,
                ["end_time"] = null,
                ["exception"] = null,
                ["start_time"] = null,
                ["status"] = "pending",
            };
        }
        var parameters = new JsonObject();
        foreach (var (name, value) in _settings.Parameters) parameters[name] = value.ToJson();
        var papermill = new JsonObject
        {
            ["default_parameters"] = new JsonObject(),
            ["duration"] = null,
            ["end_time"] = null,
            ["environment_variables"] = new JsonObject(),
            ["exception"] = null,
            ["input_path"] = _settings.InputPath,
            ["output_path"] = _settings.OutputPath,
            ["parameters"] = parameters,
            ["start_time"] = Iso(start),
            ["version"] = "JupyterKernels " + typeof(NotebookRunner).Assembly.GetName().Version?.ToString(3),
        };
        _notebook.Metadata["papermill"] = papermill;
        return papermill;
    }

    private static JsonObject CellPapermill(JsonObject cell) => (JsonObject)((JsonObject)cell["metadata"]!)["papermill"]!;

    private static void Complete(JsonObject cellMeta, DateTimeOffset cellStart, bool failed)
    {
        var end = DateTimeOffset.UtcNow;
        cellMeta["end_time"] = Iso(end);
        cellMeta["duration"] = (end - cellStart).TotalSeconds;
        cellMeta["exception"] = failed;
        cellMeta["status"] = failed ? "failed" : "completed";
    }

    /// <summary>papermill's error markers: an anchor cell before the failed cell, a banner linking to it at the top.</summary>
    private void InsertErrorBanner(int failedIndex)
    {
        var count = _notebook.Cell(failedIndex)["execution_count"] is JsonValue v && v.TryGetValue<int>(out var n) ? n.ToString(CultureInfo.InvariantCulture) : " ";
        _notebook.Cells.Insert(failedIndex, MarkdownCell(
            $"<span id=\"papermill-error-cell\" {ErrorStyle}>Execution using papermill encountered an exception here and stopped:</span>"));
        _notebook.Cells.Insert(0, MarkdownCell(
            $"<span {ErrorStyle}>An Exception was encountered at '<a href=\"#papermill-error-cell\">In [{count}]</a>'.</span>"));
        _displays.Shift(failedIndex, 1);
        _displays.Shift(0, 1);
    }

    private JsonObject MarkdownCell(string source)
    {
        var cell = new JsonObject
        {
            ["cell_type"] = "markdown",
            ["metadata"] = new JsonObject
            {
                ["tags"] = new JsonArray(ErrorCellTag),
            },
            ["source"] = source,
        };
        if (_notebook.HasCellIds) cell["id"] = NotebookDocument.NewCellId();
        return cell;
    }

    /// <summary>papermill's timestamps: datetime.utcnow().isoformat() (no zone suffix).</summary>
    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}
