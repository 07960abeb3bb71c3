using System.Text;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// An argv as one Windows command line, quoted so that the C runtime's parser (CommandLineToArgvW, Python's and .NET's
/// own) gives the same argv back: backslashes double only before a quote, quotes are escaped, empty arguments kept.
/// </summary>
internal static class WindowsCommandLine
{
    public static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));

    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny(new[] { ' ', '\t', '\n', '\v', '"' }) < 0) return arg;
        var sb = new StringBuilder("\"");
        for (int i = 0; i < arg.Length; i++)
        {
            int backslashes = 0;
            while (i < arg.Length && arg[i] == '\\') { backslashes++; i++; }
            if (i == arg.Length) { sb.Append('\\', backslashes * 2); break; }
            if (arg[i] == '"') sb.Append('\\', backslashes * 2 + 1).Append('"');
            else sb.Append('\\', backslashes).Append(arg[i]);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>The environment block CreateProcessW takes with CREATE_UNICODE_ENVIRONMENT: sorted name=value\0 ... \0.</summary>
    public static char[] EnvironmentBlock(IReadOnlyDictionary<string, string?> environment)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in environment.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
            sb.Append(name).Append('=').Append(value).Append('\0');
        if (sb.Length == 0) sb.Append('\0');
        sb.Append('\0');
        return sb.ToString().ToCharArray();
    }
}
