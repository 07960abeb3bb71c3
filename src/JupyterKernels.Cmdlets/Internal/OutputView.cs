using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Reflection;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// The text of a cell's output as the console shows it: what every output view of module/Format.ps1xml prints, in one
/// call (<c>[JupyterKernels.Cmdlets.OutputView]::Render($_, $Host)</c>). In C# rather than in the views' scripts: a
/// fresh pwsh compiles a binder and expression tree for every member a view script touches, ~45 ms of CPU for the
/// first output of a runbook's only call, where one static call costs a few.
/// The rules: stderr in the error colour (<c>$PSStyle.Formatting.Error</c>) where the host shows colour, each line
/// marked "stderr: " where it does not; Markdown rendered with ConvertFrom-Markdown where the host shows colour; the
/// files -OutDirectory saved, by name; the kernel's label first when one command ran several kernels; under an
/// explicit Format-List, the properties (<see cref="ExplicitFormatList"/>).
/// </summary>
public static class OutputView
{
    /// <summary>The type name Invoke-KernelCode puts first on the outputs of a command that ran several kernels.</summary>
    public const string LabelledTypeName = "JupyterKernels.KernelOutput#Labelled";

    // Created per call (PowerShell caches their parse by text): a script block keeps to the runspace it first ran in,
    // and views run in every runspace of the process.
    private const string FormatListScript = "param($o, $p) ($o | Format-List @p -Force | Out-String).TrimEnd()";
    private const string MarkdownScript = "param($m) (ConvertFrom-Markdown -InputObject $m -AsVT100EncodedString -ErrorAction Stop).VT100EncodedString";

    public static string Render(PSObject output, PSHost? host)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (ExplicitFormatList.Parameters() is { } parameters)
        {
            return string.Concat(ScriptBlock.Create(FormatListScript).Invoke(output, parameters).Select(r => r?.ToString()));
        }
        string text;
        switch (output.BaseObject)
        {
            case KernelError error:
                return error.ToString();
            case KernelInputRequest request:
                return request.Prompt;
            case KernelStreamOutput stream:
                text = StreamText(stream, Colour(host));
                break;
            case KernelRichOutput rich:
                text = RichText(rich, output, host);
                break;
            case KernelClearOutput:
                text = "(output cleared)";
                break;
            case KernelExecuteReply reply:
                text = string.Format(CultureInfo.CurrentCulture, "({0}, execution {1}, {2:0.###} s)",
                    reply.Status, reply.ExecutionCount is { } count ? count : "-", reply.Duration.TotalSeconds);
                break;
            case var other:
                return other?.ToString() ?? "";
        }
        if (output.TypeNames.Count > 0 && output.TypeNames[0] == LabelledTypeName && output.BaseObject is KernelOutput labelled)
            text = labelled.KernelLabel + (text.Contains('\n') ? ":\n" : ": ") + text;
        return text;
    }

    private static string StreamText(KernelStreamOutput stream, Style? colour)
    {
        var text = stream.Text.TrimEnd('\r', '\n');
        if (stream.Name != "stderr") return text;
        var lines = text.Split('\n');
        return string.Join("\n", colour is { } style
            ? lines.Select(l => style.Error + l + style.Reset)
            : lines.Select(l => "stderr: " + l));
    }

    private static string RichText(KernelRichOutput rich, PSObject output, PSHost? host)
    {
        var text = rich.ToString().TrimEnd('\r', '\n');
        if (rich.TextSource == "text/markdown" && Colour(host) is not null && rich.Data.TryGetValue("text/markdown", out var markdown))
        {
            try
            {
                if (ScriptBlock.Create(MarkdownScript).Invoke(markdown?.ToString() ?? "").FirstOrDefault()?.BaseObject is string rendered) text = rendered.TrimEnd('\r', '\n');
            }
            catch (RuntimeException)
            {
                // Markdown that does not render shows as its text.
            }
        }
        if (output.Properties["Files"]?.Value is IEnumerable files)
        {
            var names = files.Cast<object?>().Select(f => f is null ? null : PSObject.AsPSObject(f).Properties["Name"]?.Value?.ToString()).ToList();
            if (names.Count > 0) text += "\n(saved: " + string.Join(", ", names) + ")";
        }
        return text;
    }

    private sealed record Style(string Error, string Reset);

    /// <summary>The error colour and reset sequences when the host shows colour ($PSStyle.OutputRendering is not
    /// PlainText and the host supports VT), else null. $PSStyle is read by reflection: the module compiles against
    /// PowerShell Standard, which predates it.</summary>
    private static Style? Colour(PSHost? host)
    {
        if (host?.UI is not { SupportsVirtualTerminal: true }) return null;
        var style = PSStyleInstance.Value;
        if (style is null) return null;
        var type = style.GetType();
        if (type.GetProperty("OutputRendering")?.GetValue(style)?.ToString() == "PlainText") return null;
        var formatting = type.GetProperty("Formatting")?.GetValue(style);
        var error = formatting?.GetType().GetProperty("Error")?.GetValue(formatting) as string;
        var reset = type.GetProperty("Reset")?.GetValue(style) as string;
        return error is null || reset is null ? null : new Style(error, reset);
    }

    private static readonly Lazy<object?> PSStyleInstance = new(() =>
        typeof(PSObject).Assembly.GetType("System.Management.Automation.PSStyle")
            ?.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null));
}
