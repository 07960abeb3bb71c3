using System.Globalization;
using System.Text;

namespace JupyterKernels.Messaging;

/// <summary>
/// A JSON string written byte for byte as Python's json module writes it, for files other Jupyter tools read and
/// diff: connection files (jupyter_client, ensure_ascii) and notebooks (nbformat, ensure_ascii=False).
/// </summary>
internal static class PythonJsonString
{
    /// <summary>Appends <paramref name="value"/> quoted. With ensureAscii only printable ASCII stays as is, everything
    /// else becomes \uXXXX (UTF-16 code units, like Python's surrogate pairs); without, non-ASCII stays as it is.</summary>
    public static void Append(StringBuilder sb, string value, bool ensureAscii)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ' || (ensureAscii && c > '~')) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
