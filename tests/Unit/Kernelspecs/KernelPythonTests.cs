using JupyterKernels.Kernelspecs;

namespace JupyterKernels.Tests.Kernelspecs;

public sealed class KernelPythonTests
{
    [Theory]
    [InlineData("python", true)]
    [InlineData("python3", true)]
    [InlineData("python3.11", true)]
    [InlineData("/usr/bin/python3", false)]
    [InlineData("R", false)]
    [InlineData("pythonw", false)]
    public void Only_a_bare_python_name_is_replaced(string argv0, bool bare) => Assert.Equal(bare, KernelPython.IsBarePython(argv0));

    [Fact]
    public void A_spec_placed_as_Debian_places_it_runs_its_installations_python3_first()
    {
        Assert.Equal(new[] { "/usr/bin/python3", "/usr/bin/python", "python3", "python" },
            KernelPython.Candidates("python", "/usr/share/jupyter/kernels/metakernel_bash", windows: false));
        Assert.Equal(new[] { "/opt/venv/bin/python3", "/opt/venv/bin/python", "python3" },
            KernelPython.Candidates("python3", "/opt/venv/share/jupyter/kernels/x/", windows: false));
    }

    [Fact]
    public void A_spec_elsewhere_falls_back_to_python3_on_path_and_other_programs_stay_as_written()
    {
        Assert.Equal(new[] { "python3", "python" }, KernelPython.Candidates("python", "/home/u/specs/x", windows: false));
        Assert.Equal(new[] { "R" }, KernelPython.Candidates("R", "/usr/share/jupyter/kernels/ir", windows: false));
    }
}
