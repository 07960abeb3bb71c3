using JupyterKernels.Kernelspecs;

namespace JupyterKernels.Tests.Kernelspecs;

public class KernelCommandLineTests
{
    [Fact]
    public void Substitutes_known_placeholders_and_leaves_unknown_ones()
    {
        var argv = KernelCommandLine.FormatArgv(
            ["{prefix}/bin/python", "-f", "{connection_file}", "--res={resource_dir}/x", "{unknown}", "{not valid}", "{{connection_file}}", "{extra_1}"],
            connectionFile: "/run/kernel-1.json", resourceDirectory: "/specs/k", prefix: "/opt/py",
            extra: new Dictionary<string, string> { ["extra_1"] = "E" }, homeDirectory: "/home/ada");
        Assert.Equal(["/opt/py/bin/python", "-f", "/run/kernel-1.json", "--res=/specs/k/x", "{unknown}", "{not valid}", "{/run/kernel-1.json}", "E"], argv);
    }

    [Fact]
    public void Missing_prefix_and_resource_dir_stay_as_written()
    {
        Assert.Equal(["{prefix}", "{resource_dir}"], KernelCommandLine.FormatArgv(["{prefix}", "{resource_dir}"], "/c.json", homeDirectory: "/h"));
    }

    [Fact]
    public void Expands_tilde_at_the_start_of_each_element_only()
    {
        var argv = KernelCommandLine.FormatArgv(["~/bin/kernel", "~", "a~/b", "~other/x", "--x=~/y"], "/c.json", homeDirectory: "/home/ada", windowsPaths: false);
        Assert.Equal(["/home/ada/bin/kernel", "/home/ada", "a~/b", "~other/x", "--x=~/y"], argv);
        Assert.Equal(@"C:\Users\ada\bin", KernelCommandLine.ExpandUser(@"~\bin", @"C:\Users\ada", windowsPaths: true));
        Assert.Equal(@"~\bin", KernelCommandLine.ExpandUser(@"~\bin", "/home/ada", windowsPaths: false));
    }

    [Theory]
    [InlineData("${HOME}/x", "/home/ada/x")]
    [InlineData("$HOME/x", "/home/ada/x")]
    [InlineData("$HOMEx", "$HOMEx")]              // the identifier is HOMEx, which is unknown
    [InlineData("${MISSING}:$MISSING", "${MISSING}:$MISSING")]
    [InlineData("$$HOME", "$HOME")]
    [InlineData("cost: 5$", "cost: 5$")]
    [InlineData("$1 ${1} ${", "$1 ${1} ${")]
    [InlineData("a$_U-b", "a_-b")]
    [InlineData("no dollars", "no dollars")]
    public void Safe_substitute_matches_python_string_template(string template, string expected)
    {
        var values = new Dictionary<string, string> { ["HOME"] = "/home/ada", ["_U"] = "_" };
        Assert.Equal(expected, KernelCommandLine.SafeSubstitute(template, values));
    }

    [Fact]
    public void Environment_merges_spec_over_parent_substitutes_and_drops_parent_pid()
    {
        var parent = new Dictionary<string, string> { ["PATH"] = "/usr/bin", ["KEEP"] = "k", ["JPY_PARENT_PID"] = "123", ["OVER"] = "old" };
        var spec = new Dictionary<string, string> { ["PATH"] = "/opt/bin:${PATH}", ["OVER"] = "new", ["UNSET"] = "${NOPE}", ["LITERAL"] = "$$5", ["SELF"] = "$PATH" };
        var env = KernelCommandLine.BuildEnvironment(spec, parent, ignoreCase: false);
        Assert.Equal("/opt/bin:/usr/bin", env["PATH"]);
        Assert.Equal("k", env["KEEP"]);
        Assert.Equal("new", env["OVER"]);
        Assert.Equal("${NOPE}", env["UNSET"]);
        Assert.Equal("$5", env["LITERAL"]);
        Assert.Equal("/usr/bin", env["SELF"]); // substitution reads the parent env, not the merged one
        Assert.False(env.ContainsKey("JPY_PARENT_PID"));
    }

    [Fact]
    public void Spec_cannot_reintroduce_parent_pid_and_windows_names_are_case_insensitive()
    {
        var win = new FixedJupyterEnvironment(JupyterPlatform.Windows, @"C:\Users\ada", [KeyValuePair.Create("Path", @"C:\Windows")]);
        var env = KernelCommandLine.BuildEnvironment(new Dictionary<string, string> { ["PATH"] = @"C:\py;${PATH}", ["JPY_PARENT_PID"] = "1" }, win);
        Assert.Equal(@"C:\py;C:\Windows", env["path"]);
        Assert.Single(env);
    }
}
