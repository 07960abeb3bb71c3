using System.Text.RegularExpressions;

namespace JupyterKernels.Cmdlets;

/// <summary>Removes ANSI escape sequences (CSI colours, OSC links, two-byte escapes) from kernel tracebacks. No PowerShell types.</summary>
public static class AnsiText
{
    private static readonly Regex Ansi = new(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])", RegexOptions.Compiled);

    public static string Strip(string text) => string.IsNullOrEmpty(text) ? text : Ansi.Replace(text, "");
}
