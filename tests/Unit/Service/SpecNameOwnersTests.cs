using JupyterKernels.Service;

namespace JupyterKernels.Tests.Service;

/// <summary>Which providers a listing of named kernelspecs asks (<see cref="KernelService.ProvidersOwningSpecNames"/>):
/// only the owners the names say, or every provider when a name may match any of them.</summary>
public sealed class SpecNameOwnersTests
{
    [Theory]
    [InlineData(new[] { "python3" }, new[] { "local" })]
    [InlineData(new[] { "gw/python3" }, new[] { "gw" })]
    [InlineData(new[] { "gw/py*" }, new[] { "gw" })] // the wildcard is in the spec part: still only gw's
    [InlineData(new[] { "python3", "gw/ir", "GW/python3" }, new[] { "local", "gw" })]
    [InlineData(new[] { "py`*" }, new[] { "local" })] // an escaped star is a literal character
    public void Names_that_say_their_provider_ask_only_those(string[] names, string[] owners)
        => Assert.Equal(owners.Order(), KernelService.ProvidersOwningSpecNames(names)!.Select(o => o.ToLowerInvariant()).Order());

    [Theory]
    [InlineData("py*")] // may match gw/python3
    [InlineData("*")]
    [InlineData("python3,g?/ir")]
    [InlineData("[gh]w/python3")]
    public void A_name_that_may_match_any_provider_asks_them_all(string names)
        => Assert.Null(KernelService.ProvidersOwningSpecNames(names.Split(',')));

    [Fact]
    public void No_names_ask_every_provider()
    {
        Assert.Null(KernelService.ProvidersOwningSpecNames(null));
        Assert.Null(KernelService.ProvidersOwningSpecNames(Array.Empty<string>()));
    }

    [Theory]
    [InlineData("abc", false)]
    [InlineData("a*c", true)]
    [InlineData("a?c", true)]
    [InlineData("a[bc]", true)]
    [InlineData("a]", true)]
    [InlineData("a`*c", false)]
    [InlineData("a``*c", true)] // an escaped backtick, then a star
    [InlineData("", false)]
    public void Wildcards_are_read_as_PowerShell_reads_them(string text, bool wildcard)
        => Assert.Equal(wildcard, KernelService.HasWildcard(text));
}
