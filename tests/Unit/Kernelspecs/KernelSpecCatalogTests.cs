using JupyterKernels.Kernelspecs;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Kernelspecs;

public class KernelSpecCatalogTests
{
    private static string Spec(string display, string argv0 = "python3") =>
        $$"""{"argv": ["{{argv0}}", "-f", "{connection_file}"], "display_name": "{{display}}", "language": "python"}""";

    [Fact]
    public void First_directory_wins_and_names_are_lower_cased()
    {
        using var temp = new TempDirectory();
        temp.Write("high/kernels/Python3/kernel.json", Spec("High"));
        temp.Write("low/kernels/python3/kernel.json", Spec("Low"));
        temp.Write("low/kernels/julia-1.10/kernel.json", Spec("Julia", "julia"));
        var catalog = new KernelSpecCatalog([temp.Combine("high", "kernels"), temp.Combine("missing", "kernels"), temp.Combine("low", "kernels")]);

        var listing = catalog.List();
        Assert.Empty(listing.Problems);
        Assert.Equal(["julia-1.10", "python3"], listing.Specs.Select(s => s.Name));
        var python = listing.Specs.Single(s => s.Name == "python3");
        Assert.Equal("High", python.DisplayName);
        Assert.Equal(temp.Combine("high", "kernels", "Python3"), python.ResourceDirectory);
        Assert.Equal("python3", python.ProviderSpecName);
        Assert.Equal("local", python.Provider);
        Assert.Equal(["python3", "-f", "{connection_file}"], python.Argv);
    }

    [Fact]
    public void Lookup_is_case_insensitive()
    {
        using var temp = new TempDirectory();
        temp.Write("k/MyKernel/kernel.json", Spec("Mine"));
        var catalog = new KernelSpecCatalog([temp.Combine("k")]);
        Assert.Equal("mykernel", catalog.Find("MYKERNEL").Name);
        Assert.Equal("Mine", catalog.Find("mykernel").DisplayName);
        Assert.True(catalog.TryFind("MyKernel", out var spec));
        Assert.Equal("mykernel", spec!.Name);
        Assert.False(catalog.TryFind("other", out _));
    }

    [Fact]
    public void Broken_specs_are_reported_and_do_not_hide_the_others()
    {
        using var temp = new TempDirectory();
        temp.Write("k/good/kernel.json", Spec("Good"));
        temp.Write("k/badjson/kernel.json", "{\"argv\": [\"x\",]");
        temp.Write("k/noargv/kernel.json", """{"display_name": "No argv"}""");
        temp.Write("k/badmode/kernel.json", """{"argv": ["x"], "interrupt_mode": "sigint"}""");
        temp.Write("k/notakernel/readme.txt", "no kernel.json here");
        var catalog = new KernelSpecCatalog([temp.Combine("k")]);

        var listing = catalog.List();
        Assert.Equal(["good"], listing.Specs.Select(s => s.Name));
        Assert.Equal(3, listing.Problems.Count);
        Assert.All(listing.Problems, p => Assert.Equal(ErrorIds.KernelSpecInvalid, p.ErrorId));
        Assert.Contains(listing.Problems, p => p.Path == temp.Combine("k", "badjson", "kernel.json") && p.Message.Contains("not valid JSON"));
        Assert.Contains(listing.Problems, p => p.Path.Contains("noargv") && p.Message.Contains("has no 'argv'"));
        Assert.Contains(listing.Problems, p => p.Path.Contains("badmode") && p.Message.Contains("interrupt_mode"));

        // Asking for a broken spec by name says what is wrong rather than "not found".
        var ex = Assert.Throws<KernelException>(() => catalog.Find("noargv"));
        Assert.Equal(ErrorIds.KernelSpecInvalid, ex.ErrorId);
    }

    [Fact]
    public void A_broken_spec_is_not_replaced_by_a_lower_priority_one()
    {
        using var temp = new TempDirectory();
        temp.Write("a/k/kernel.json", "not json");
        temp.Write("b/k/kernel.json", Spec("Lower"));
        var catalog = new KernelSpecCatalog([temp.Combine("a"), temp.Combine("b")]);
        var listing = catalog.List();
        Assert.Empty(listing.Specs);
        Assert.Single(listing.Problems);
        Assert.Equal(ErrorIds.KernelSpecInvalid, Assert.Throws<KernelException>(() => catalog.Find("k")).ErrorId);
    }

    [Fact]
    public void Invalid_directory_names_are_skipped_with_a_problem()
    {
        using var temp = new TempDirectory();
        temp.Write("k/has space/kernel.json", Spec("Space"));
        temp.Write("k/ünï/kernel.json", Spec("Unicode"));
        temp.Write("k/ok_1.2-x/kernel.json", Spec("Ok"));
        var listing = new KernelSpecCatalog([temp.Combine("k")]).List();
        Assert.Equal(["ok_1.2-x"], listing.Specs.Select(s => s.Name));
        Assert.Equal(2, listing.Problems.Count);
        Assert.All(listing.Problems, p => Assert.Contains("Skipped kernelspec directory", p.Message));
        Assert.Contains(listing.Problems, p => p.Path == temp.Combine("k", "has space"));
    }

    [Fact]
    public void Not_found_lists_the_available_names()
    {
        using var temp = new TempDirectory();
        temp.Write("k/python3/kernel.json", Spec("P"));
        temp.Write("k/ir/kernel.json", Spec("R", "R"));
        var ex = Assert.Throws<KernelException>(() => new KernelSpecCatalog([temp.Combine("k")]).Find("julia"));
        Assert.Equal(ErrorIds.KernelSpecNotFound, ex.ErrorId);
        Assert.Equal(KernelErrorCategory.ObjectNotFound, ex.Category);
        Assert.Equal("julia", ex.Target);
        Assert.Contains("'julia'", ex.Message);
        Assert.Contains("Available: ir, python3.", ex.Message);
    }

    [Fact]
    public void Not_found_with_no_specs_names_the_searched_directories()
    {
        using var temp = new TempDirectory();
        var ex = Assert.Throws<KernelException>(() => new KernelSpecCatalog([temp.Combine("none")]).Find("x"));
        Assert.Contains(temp.Combine("none"), ex.Message);
    }

    [Fact]
    public void Finds_the_real_debian_python3_kernelspec()
    {
        // Only the system dirs: JUPYTER_PATH etc. empty and a home without kernels.
        using var home = new TempDirectory();
        var env = new FixedJupyterEnvironment(JupyterPlatform.Linux, home.Path,
            [KeyValuePair.Create("JUPYTER_PATH", ""), KeyValuePair.Create("JUPYTER_DATA_DIR", ""), KeyValuePair.Create("XDG_DATA_HOME", "")]);
        var catalog = KernelSpecCatalog.FromEnvironment(env);
        Assert.Contains("/usr/share/jupyter/kernels", catalog.SearchDirectories);

        var spec = catalog.Find("python3");
        Assert.Equal("/usr/share/jupyter/kernels/python3", spec.ResourceDirectory);
        Assert.Equal("python", spec.Language);
        Assert.Equal("Python 3 (ipykernel)", spec.DisplayName);
        Assert.Equal("signal", spec.InterruptMode);
        Assert.Equal(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], spec.Argv);
        Assert.Contains(catalog.List().Specs, s => s.Name == "python3");

        var file = KernelSpecFile.Load("/usr/share/jupyter/kernels/python3/kernel.json");
        Assert.True(file.Metadata!.Value.GetProperty("debugger").GetBoolean());
    }
}
