namespace JupyterKernels.Service;

// A kernelspec's name says which provider has it ("provider/name"; a bare name is local), so a listing of named
// specs asks only those providers and never waits on the others (a remote server that hangs costs a local name nothing).
public sealed partial class KernelService
{
    /// <summary>
    /// The providers that own the spec names asked for (what <see cref="GetKernelSpecsAsync"/> takes as onlyProviders),
    /// or null when a name may match any provider's specs: a bare name with a wildcard (<c>*python*</c> matches
    /// <c>gw/python3</c> too), or a wildcard in the provider part. Wildcards are PowerShell's (* ? [ ], ` escapes).
    /// </summary>
    public static IReadOnlyCollection<string>? ProvidersOwningSpecNames(IReadOnlyCollection<string>? specNames)
    {
        if (specNames is null || specNames.Count == 0) return null;
        var owners = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in specNames)
        {
            var slash = name.IndexOf('/');
            var owner = slash < 0 ? (HasWildcard(name) ? null : LocalProviderName) : name[..slash];
            if (owner is null || HasWildcard(owner)) return null;
            owners.Add(owner);
        }
        return owners;
    }

    /// <summary>Whether PowerShell's WildcardPattern would read <paramref name="text"/> as a pattern: an unescaped
    /// *, ?, [ or ] (a backtick escapes the character after it). The core does not reference PowerShell.</summary>
    internal static bool HasWildcard(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '*' or '?' or '[' or ']') return true;
            if (text[i] == '`') i++;
        }
        return false;
    }
}
