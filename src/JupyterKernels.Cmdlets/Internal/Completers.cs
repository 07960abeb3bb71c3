using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Shared plumbing of the argument completers: ask the core with a short timeout on a pool thread and swallow
/// every failure, because completion must never throw or hang the prompt.
/// </summary>
public abstract class KernelCompleterBase : IArgumentCompleter
{
    internal static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a completer waits for remote providers: well inside <see cref="Timeout"/>, so what the others
    /// (the local one first) gave still arrives.</summary>
    internal static TimeSpan ProviderBudget => Timeout * 0.6;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var pattern = WildcardPattern.Get((Unquote(wordToComplete) ?? "") + "*", WildcardOptions.IgnoreCase);
            using var cts = new CancellationTokenSource(Timeout);
            var task = Task.Run(() => GetCandidatesAsync(KernelServiceAccessor.Service, cts.Token), cts.Token);
            if (!task.Wait(Timeout)) return Array.Empty<CompletionResult>();
            return task.Result
                .Where(c => !string.IsNullOrEmpty(c.Value) && pattern.IsMatch(c.Value))
                .OrderBy(c => c.Value, StringComparer.OrdinalIgnoreCase)
                .Select(c => new CompletionResult(Quote(c.Value), ListItemText(c.Value, c.ToolTip), CompletionResultType.ParameterValue, string.IsNullOrEmpty(c.ToolTip) ? c.Value : c.ToolTip))
                .ToList();
        }
        catch
        {
            return Array.Empty<CompletionResult>();
        }
    }

    protected abstract Task<IEnumerable<(string Value, string? ToolTip)>> GetCandidatesAsync(IKernelService service, CancellationToken cancellationToken);

    /// <summary>What the completion menu (Ctrl+Space) lists for a candidate: the value itself unless a completer says more.</summary>
    protected virtual string ListItemText(string value, string? toolTip) => value;

    private static string? Unquote(string? word)
    {
        if (string.IsNullOrEmpty(word)) return word;
        return word.Trim('\'', '"');
    }

    internal static string Quote(string value)
    {
        foreach (var ch in value)
        {
            if (char.IsWhiteSpace(ch) || "'\"`$;,(){}[]@&|<>#".Contains(ch))
                return "'" + value.Replace("'", "''") + "'";
        }
        return value;
    }
}

/// <summary>Where cmdlets and completers get the service.</summary>
internal static class KernelServiceAccessor
{
    /// <summary>Test seam: replaces <see cref="KernelService.Shared"/> (null = the shared service).</summary>
    internal static IKernelService? Override { get; set; }

    public static IKernelService Service => Override ?? KernelService.Shared;
}

/// <summary>Kernelspec names (Start-Kernel -Name, New-KernelSession -KernelName, Get-KernelSpec -Name).</summary>
public sealed class KernelSpecNameCompleter : KernelCompleterBase
{
    protected override async Task<IEnumerable<(string Value, string? ToolTip)>> GetCandidatesAsync(IKernelService service, CancellationToken cancellationToken)
    {
        // Answer within the completion budget with what the providers that answered gave.
        var listing = await service.GetKernelSpecsAsync(null, false, cancellationToken, budget: ProviderBudget).ConfigureAwait(false);
        return listing.Specs.Select(s => (s.Name, (string?)$"{s.DisplayName} ({s.Language})"));
    }
}

/// <summary>Kernel ids; the menu lists each with its kernel's name and state (a bare GUID says nothing), as does the tooltip.</summary>
public sealed class KernelIdCompleter : KernelCompleterBase
{
    protected override string ListItemText(string value, string? toolTip) => string.IsNullOrEmpty(toolTip) ? value : $"{value}  {toolTip}";

    protected override async Task<IEnumerable<(string Value, string? ToolTip)>> GetCandidatesAsync(IKernelService service, CancellationToken cancellationToken)
    {
        var kernels = await service.GetKernelsAsync(cancellationToken).ConfigureAwait(false);
        return kernels.Select(k => (k.Id, (string?)$"{(string.IsNullOrEmpty(k.DisplayName) ? k.Name : k.DisplayName)} [{k.State}]"));
    }
}

/// <summary>Session names.</summary>
public sealed class KernelSessionNameCompleter : KernelCompleterBase
{
    protected override async Task<IEnumerable<(string Value, string? ToolTip)>> GetCandidatesAsync(IKernelService service, CancellationToken cancellationToken)
    {
        var sessions = await service.GetSessionsAsync(cancellationToken).ConfigureAwait(false);
        return sessions.Select(s => (s.Name, (string?)$"{s.Name} → {s.KernelName ?? s.KernelId}"));
    }
}

/// <summary>Provider names.</summary>
public sealed class KernelProviderNameCompleter : KernelCompleterBase
{
    protected override async Task<IEnumerable<(string Value, string? ToolTip)>> GetCandidatesAsync(IKernelService service, CancellationToken cancellationToken)
    {
        var providers = await service.GetProvidersAsync(cancellationToken).ConfigureAwait(false);
        return providers.Select(p => (p.Name, (string?)$"{p.Name} ({p.Kind}{(p.Url is null ? "" : " " + p.Url)})"));
    }
}
