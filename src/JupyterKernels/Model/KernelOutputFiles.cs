using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterKernels;

/// <summary>One MIME value of an output as a file to write: its name (no folder) and its bytes.</summary>
public sealed record KernelOutputFile(string MimeType, string FileName, byte[] Content);

/// <summary>
/// The files a rich output's bundle becomes (Save-KernelOutput, Invoke-KernelCode -OutDirectory). Names are stable:
/// made only from what the output says of itself — <c>{kernel name}-{first 8 of the kernel id}-{execution}-{output
/// index}{extension}</c>, where the execution is the notebook cell (<c>cell3</c>) for Invoke-Notebook's outputs, else
/// the execution count (else <c>m</c> and the start of the request's msg_id) — so the same output always gets the same
/// name, outputs of different kernels, executions and positions never share one, and the MIME types of one bundle
/// differ only by extension (python3-3f2a9c1b-12-0.png, python3-3f2a9c1b-12-0.txt). Binary types (images other than
/// SVG, PDF, anything the kernel sent base64) are decoded; JSON is written indented; text as UTF-8.
/// </summary>
public static class KernelOutputFiles
{
    private static readonly Dictionary<string, string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/png"] = ".png",
        ["image/jpeg"] = ".jpg",
        ["image/gif"] = ".gif",
        ["image/webp"] = ".webp",
        ["image/bmp"] = ".bmp",
        ["image/tiff"] = ".tiff",
        ["image/svg+xml"] = ".svg",
        ["text/html"] = ".html",
        ["text/markdown"] = ".md",
        ["text/latex"] = ".tex",
        ["text/plain"] = ".txt",
        ["text/csv"] = ".csv",
        ["text/xml"] = ".xml",
        ["application/xml"] = ".xml",
        ["application/json"] = ".json",
        ["application/javascript"] = ".js",
        ["text/javascript"] = ".js",
        ["application/pdf"] = ".pdf",
    };

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The MIME types saved by default: every one of the bundle except text/plain when it has others (the
    /// repr beside a figure is not worth a file).</summary>
    public static IEnumerable<string> DefaultMimeTypes(IReadOnlyDictionary<string, object?> data)
        => data.Count > 1 ? data.Keys.Where(m => m != "text/plain") : data.Keys;

    /// <summary>The file name stem shared by every MIME type of <paramref name="output"/>.</summary>
    /// <param name="output">Any output of an execution.</param>
    /// <param name="cellIndex">The notebook cell the output came from (Invoke-Notebook -PassThru's CellIndex), or null.</param>
    public static string BaseName(KernelOutput output, int? cellIndex = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var kernel = Safe(string.IsNullOrEmpty(output.KernelName) ? "kernel" : output.KernelName);
        var id = Safe(output.ShortId);
        var execution = cellIndex is { } cell ? "cell" + cell.ToString(CultureInfo.InvariantCulture)
            : output.ExecutionCount is { } count ? count.ToString(CultureInfo.InvariantCulture)
            : output.ParentMsgId is { Length: > 0 } parent ? "m" + Safe(parent.Length > 8 ? parent[..8] : parent)
            : "x";
        var index = (output.OutputIndex ?? 0).ToString(CultureInfo.InvariantCulture);
        return $"{kernel}-{id}-{execution}-{index}";
    }

    /// <summary>
    /// The files of <paramref name="output"/>'s bundle, one per MIME type that <paramref name="select"/> accepts (default:
    /// <see cref="DefaultMimeTypes"/>), in the bundle's order. Names within one output never collide: a second MIME type
    /// with the same extension gets one made from its own name.
    /// </summary>
    public static IReadOnlyList<KernelOutputFile> For(KernelRichOutput output, int? cellIndex = null, Func<string, bool>? select = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var stem = BaseName(output, cellIndex);
        var mimes = select is null ? DefaultMimeTypes(output.Data) : output.Data.Keys.Where(select);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new List<KernelOutputFile>();
        foreach (var mime in mimes)
        {
            var value = output.Data[mime];
            if (value is null) continue;
            var (content, binary) = Content(mime, value);
            var extension = Extension(mime, binary);
            if (!used.Add(extension))
            {
                extension = "." + Safe(mime.Replace('/', '.').Replace('+', '.')) + (binary ? ".bin" : ".txt");
                used.Add(extension);
            }
            files.Add(new KernelOutputFile(mime, stem + extension, content));
        }
        return files;
    }

    /// <summary>The extension for a MIME type: the usual one (.png, .svg, .html, .md, .tex, .json ...); a vendor JSON
    /// type keeps its name (application/vnd.plotly.v1+json → .vnd.plotly.v1.json); anything else is named after itself.</summary>
    public static string Extension(string mime, bool binary)
    {
        if (Extensions.TryGetValue(mime, out var known)) return known;
        var slash = mime.IndexOf('/');
        var subtype = slash >= 0 ? mime[(slash + 1)..] : mime;
        if (subtype.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            return "." + Safe(subtype[..^5]) + ".json";
        if (subtype.EndsWith("+xml", StringComparison.OrdinalIgnoreCase))
            return "." + Safe(subtype[..^4]) + ".xml";
        return "." + Safe(subtype) + (binary ? ".bin" : ".txt");
    }

    /// <summary>The bytes of one MIME value and whether they are binary: base64 of a binary type decoded, JSON indented,
    /// text as UTF-8.</summary>
    public static (byte[] Content, bool Binary) Content(string mime, object value)
    {
        if (value is string text)
        {
            if (IsBinary(mime) && TryBase64(text, out var bytes)) return (bytes, true);
            return (Encoding.UTF8.GetBytes(text), false);
        }
        // Some kernels split long text values into a list of lines, as nbformat stores them.
        if (value is object?[] parts && parts.All(p => p is string) && !IsJsonType(mime))
            return (Encoding.UTF8.GetBytes(string.Concat(parts.Cast<string>())), false);
        return (Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, Indented)), false);
    }

    /// <summary>
    /// Writes <paramref name="file"/> into <paramref name="folder"/> (created when missing) and returns its full path.
    /// An existing file is an OutputFileExists error unless <paramref name="overwrite"/>; then it is replaced whole (written
    /// beside it, then renamed over it), never left half-written.
    /// </summary>
    /// <exception cref="KernelException">OutputFileExists, OutputPathInvalid</exception>
    public static string Write(string folder, KernelOutputFile file, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = Path.Combine(folder, file.FileName);
        try
        {
            if (File.Exists(folder))
                throw new KernelException(ErrorIds.OutputPathInvalid, KernelErrorCategory.InvalidArgument, $"'{folder}' is a file, not a folder to save outputs in.", folder);
            Directory.CreateDirectory(folder);
            if (Directory.Exists(path))
                throw new KernelException(ErrorIds.OutputFileExists, KernelErrorCategory.ResourceExists, $"'{path}' is a folder; the output was not saved.", path);
            if (!overwrite)
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                stream.Write(file.Content);
                return path;
            }
            var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            try
            {
                File.WriteAllBytes(temporary, file.Content);
                AtomicFile.Replace(temporary, path);
            }
            finally
            {
                if (File.Exists(temporary)) File.Delete(temporary);
            }
            return path;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            throw new KernelException(ErrorIds.OutputFileExists, KernelErrorCategory.ResourceExists,
                $"'{path}' already exists; use -Force to replace it.", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.OutputPathInvalid, KernelErrorCategory.WriteError, $"Cannot write '{path}': {e.Message}", path, e);
        }
    }

    /// <summary>Base64 in the protocol: every image but SVG, PDF, and any type that is neither text nor JSON nor XML.</summary>
    private static bool IsBinary(string mime)
    {
        if (mime.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || IsJsonType(mime)) return false;
        if (mime.EndsWith("+xml", StringComparison.OrdinalIgnoreCase) || mime.EndsWith("/xml", StringComparison.OrdinalIgnoreCase)) return false;
        if (mime.Equals("application/javascript", StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }

    private static bool IsJsonType(string mime) => mime.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mime.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static bool TryBase64(string text, out byte[] bytes)
    {
        var compact = text.Replace("\n", "").Replace("\r", "").Trim();
        bytes = new byte[compact.Length * 3 / 4 + 3];
        if (Convert.TryFromBase64String(compact, bytes, out var written))
        {
            Array.Resize(ref bytes, written);
            return true;
        }
        bytes = [];
        return false;
    }

    /// <summary>A name part safe in file names on every OS: letters, digits, '.', '_' and '-' kept, anything else '_'.</summary>
    private static string Safe(string part)
    {
        var chars = part.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var s = new string(chars).Trim('.');
        return s.Length == 0 ? "_" : s;
    }
}
