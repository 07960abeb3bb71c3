using JupyterKernels.Kernelspecs;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Kernelspecs;

public class JupyterPathsTests
{
    private static JupyterPaths Linux(params (string, string)[] vars) =>
        new(new FixedJupyterEnvironment(JupyterPlatform.Linux, "/home/ada", vars.Select(v => KeyValuePair.Create(v.Item1, v.Item2))));

    private static JupyterPaths Mac(params (string, string)[] vars) =>
        new(new FixedJupyterEnvironment(JupyterPlatform.MacOS, "/Users/ada", vars.Select(v => KeyValuePair.Create(v.Item1, v.Item2))));

    private static JupyterPaths Windows(params (string, string)[] vars) =>
        new(new FixedJupyterEnvironment(JupyterPlatform.Windows, @"C:\Users\ada", vars.Select(v => KeyValuePair.Create(v.Item1, v.Item2))));

    [Fact]
    public void Linux_defaults_follow_xdg_fallback()
    {
        var paths = Linux();
        Assert.Equal("/home/ada/.local/share/jupyter", paths.DataDir);
        Assert.Equal("/home/ada/.local/share/jupyter/runtime", paths.RuntimeDir);
        Assert.Equal("/home/ada/.jupyter", paths.ConfigDir);
        // The user-site dir (~/.local/share/jupyter) equals the data dir and is not repeated.
        Assert.Equal(["/home/ada/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], paths.DataPath);
        Assert.Equal(
            ["/home/ada/.local/share/jupyter/kernels", "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels", "/home/ada/.ipython/kernels"],
            paths.KernelSpecDirs);
    }

    [Fact]
    public void Linux_xdg_data_home_moves_the_data_dir_and_user_site_is_still_listed()
    {
        var paths = Linux(("XDG_DATA_HOME", "/data/xdg"));
        Assert.Equal("/data/xdg/jupyter", paths.DataDir);
        Assert.Equal("/data/xdg/jupyter/runtime", paths.RuntimeDir);
        Assert.Equal(["/data/xdg/jupyter", "/home/ada/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], paths.DataPath);
    }

    [Fact]
    public void Explicit_variables_win()
    {
        var paths = Linux(("JUPYTER_DATA_DIR", "/d"), ("JUPYTER_RUNTIME_DIR", "/r"), ("JUPYTER_CONFIG_DIR", "/c"), ("XDG_DATA_HOME", "/x"), ("IPYTHONDIR", "/ipy"));
        Assert.Equal("/d", paths.DataDir);
        Assert.Equal("/r", paths.RuntimeDir);
        Assert.Equal("/c", paths.ConfigDir);
        Assert.Equal("/ipy/kernels", paths.KernelSpecDirs[^1]);
    }

    [Fact]
    public void Runtime_dir_defaults_under_an_explicit_data_dir()
    {
        Assert.Equal("/d/runtime", Linux(("JUPYTER_DATA_DIR", "/d")).RuntimeDir);
    }

    [Fact]
    public void Empty_variables_count_as_unset()
    {
        var paths = Linux(("JUPYTER_DATA_DIR", ""), ("JUPYTER_PATH", ""), ("XDG_DATA_HOME", ""));
        Assert.Equal("/home/ada/.local/share/jupyter", paths.DataDir);
        Assert.Equal(3, paths.DataPath.Count);
    }

    [Fact]
    public void Jupyter_path_entries_come_first_split_on_colon_and_trailing_separators_trimmed()
    {
        var paths = Linux(("JUPYTER_PATH", "/a/:/b::/c"));
        Assert.Equal(["/a", "/b", "/c", "/home/ada/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], paths.DataPath);
        Assert.Equal("/a/kernels", paths.KernelSpecDirs[0]);
    }

    [Fact]
    public void Venv_puts_env_dir_before_user_dir_and_disables_user_site()
    {
        var paths = Linux(("VIRTUAL_ENV", "/home/ada/venv"), ("XDG_DATA_HOME", "/x"));
        Assert.True(paths.PreferEnvironmentOverUser);
        Assert.Equal(["/home/ada/venv/share/jupyter", "/x/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], paths.DataPath);
    }

    [Fact]
    public void Conda_base_env_keeps_user_first_non_base_prefers_env()
    {
        var baseEnv = Linux(("CONDA_PREFIX", "/opt/conda"), ("CONDA_DEFAULT_ENV", "base"));
        Assert.False(baseEnv.PreferEnvironmentOverUser);
        Assert.Equal(["/home/ada/.local/share/jupyter", "/opt/conda/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], baseEnv.DataPath);

        var noDefault = Linux(("CONDA_PREFIX", "/opt/conda"));
        Assert.False(noDefault.PreferEnvironmentOverUser);

        var named = Linux(("CONDA_PREFIX", "/opt/conda/envs/ml"), ("CONDA_DEFAULT_ENV", "ml"));
        Assert.True(named.PreferEnvironmentOverUser);
        Assert.Equal("/opt/conda/envs/ml/share/jupyter", named.DataPath[0]);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("", true)]     // defined but empty is "set" for jupyter_core's envset
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("OFF", false)]
    [InlineData("false", false)]
    [InlineData("0.0", false)]
    public void Prefer_env_path_variable_overrides_detection(string value, bool expected)
    {
        // In a venv (which alone would prefer env), the explicit variable decides.
        var paths = Linux(("JUPYTER_PREFER_ENV_PATH", value), ("VIRTUAL_ENV", "/venv"));
        Assert.Equal(expected, paths.PreferEnvironmentOverUser);
        var envIndex = paths.DataPath.ToList().IndexOf("/venv/share/jupyter");
        var userIndex = paths.DataPath.ToList().IndexOf("/home/ada/.local/share/jupyter");
        Assert.Equal(expected, envIndex < userIndex);
    }

    [Fact]
    public void Virtual_env_wins_over_conda_prefix_as_the_environment_prefix()
    {
        Assert.Equal("/venv", Linux(("VIRTUAL_ENV", "/venv"), ("CONDA_PREFIX", "/conda")).EnvironmentPrefix);
        Assert.Equal("/explicit", new JupyterPaths(new FixedJupyterEnvironment(JupyterPlatform.Linux, "/h"), "/explicit").EnvironmentPrefix);
    }

    [Fact]
    public void MacOS_uses_library_jupyter_and_ignores_xdg()
    {
        var paths = Mac(("XDG_DATA_HOME", "/x"));
        Assert.Equal("/Users/ada/Library/Jupyter", paths.DataDir);
        Assert.Equal("/Users/ada/Library/Jupyter/runtime", paths.RuntimeDir);
        Assert.Equal("/Users/ada/.jupyter", paths.ConfigDir);
        Assert.Equal(["/Users/ada/Library/Jupyter", "/Users/ada/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"], paths.DataPath);
    }

    [Fact]
    public void Windows_uses_appdata_backslashes_and_no_programdata_by_default()
    {
        var paths = Windows(("APPDATA", @"C:\Users\ada\AppData\Roaming"), ("PROGRAMDATA", @"C:\ProgramData"));
        Assert.Equal(@"C:\Users\ada\AppData\Roaming\jupyter", paths.DataDir);
        Assert.Equal(@"C:\Users\ada\AppData\Roaming\jupyter\runtime", paths.RuntimeDir);
        Assert.Equal(@"C:\Users\ada\.jupyter", paths.ConfigDir);
        Assert.Equal([@"C:\Users\ada\AppData\Roaming\jupyter", @"C:\Users\ada\AppData\Roaming\Python\share\jupyter"], paths.DataPath);
        Assert.DoesNotContain(paths.KernelSpecDirs, d => d.StartsWith(@"C:\ProgramData", StringComparison.Ordinal));
        Assert.Equal(@"C:\Users\ada\.ipython\kernels", paths.KernelSpecDirs[^1]);
    }

    [Fact]
    public void Windows_programdata_only_with_jupyter_use_programdata()
    {
        var paths = Windows(("APPDATA", @"C:\AppData"), ("PROGRAMDATA", @"C:\ProgramData"), ("JUPYTER_USE_PROGRAMDATA", "1"));
        Assert.Equal(@"C:\ProgramData\jupyter", paths.DataPath[^1]);
        var off = Windows(("APPDATA", @"C:\AppData"), ("PROGRAMDATA", @"C:\ProgramData"), ("JUPYTER_USE_PROGRAMDATA", "0"));
        Assert.DoesNotContain(@"C:\ProgramData\jupyter", off.DataPath);
    }

    [Fact]
    public void Windows_without_programdata_uses_the_env_prefix_as_system_dir()
    {
        // jupyter_core 5.8: SYSTEM_JUPYTER_PATH = [sys.prefix\share\jupyter], and the env list drops it as a duplicate.
        var paths = Windows(("APPDATA", @"C:\AppData"), ("VIRTUAL_ENV", @"C:\venv"));
        // So even with a venv active (prefer env), the prefix comes last, as a system dir.
        Assert.Equal([@"C:\AppData\jupyter", @"C:\venv\share\jupyter"], paths.DataPath);
    }

    [Fact]
    public void Windows_without_an_env_uses_the_prefix_of_the_python_on_PATH_skipping_the_store_alias()
    {
        // A global `pip install ipykernel` puts its spec in {sys.prefix}\share\jupyter; jupyter_core lists it (system dir).
        var installed = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            @"C:\Users\ada\AppData\Local\Microsoft\WindowsApps\python.exe",
            @"C:\Users\ada\AppData\Local\Programs\Python\Python312\python.exe",
        };
        var env = new FixedJupyterEnvironment(JupyterPlatform.Windows, @"C:\Users\ada", new[]
        {
            KeyValuePair.Create("APPDATA", @"C:\AppData"),
            KeyValuePair.Create("PATH", @"C:\Windows\system32;C:\Users\ada\AppData\Local\Microsoft\WindowsApps;""C:\Users\ada\AppData\Local\Programs\Python\Python312\"";C:\Tools"),
        });
        var paths = new JupyterPaths(env, fileExists: installed.Contains);
        Assert.Equal(@"C:\Users\ada\AppData\Local\Programs\Python\Python312", paths.EnvironmentPrefix);
        Assert.Equal(@"C:\Users\ada\AppData\Local\Programs\Python\Python312\share\jupyter", paths.DataPath[^1]);

        // Only the Store alias on PATH: no prefix, no guessed directory.
        installed.Remove(@"C:\Users\ada\AppData\Local\Programs\Python\Python312\python.exe");
        Assert.Null(new JupyterPaths(env, fileExists: installed.Contains).EnvironmentPrefix);
        // An active venv still wins, and POSIX never looks at PATH for this.
        var venv = new FixedJupyterEnvironment(JupyterPlatform.Windows, @"C:\Users\ada",
            new[] { KeyValuePair.Create("PATH", @"C:\Py"), KeyValuePair.Create("VIRTUAL_ENV", @"C:\venv") });
        Assert.Equal(@"C:\venv", new JupyterPaths(venv, fileExists: _ => true).EnvironmentPrefix);
        var linux = new FixedJupyterEnvironment(JupyterPlatform.Linux, "/home/ada", new[] { KeyValuePair.Create("PATH", "/usr/bin") });
        Assert.Null(new JupyterPaths(linux, fileExists: _ => true).EnvironmentPrefix);
    }

    [Fact]
    public void Windows_splits_jupyter_path_on_semicolons_and_names_are_case_insensitive()
    {
        var paths = Windows(("appdata", @"C:\AppData"), ("jupyter_path", @"D:\one\;E:\two"));
        Assert.Equal(@"D:\one", paths.DataPath[0]);
        Assert.Equal(@"E:\two", paths.DataPath[1]);
        Assert.Equal(@"C:\AppData\jupyter", paths.DataDir);
    }

    [Fact]
    public void Windows_without_appdata_falls_back_to_config_dir_data()
    {
        Assert.Equal(@"C:\Users\ada\.jupyter\data", Windows().DataDir);
        Assert.Equal(@"C:\cfg\data", Windows(("JUPYTER_CONFIG_DIR", @"C:\cfg")).DataDir);
    }

    [Fact]
    public void Ensure_runtime_dir_creates_a_private_directory()
    {
        using var temp = new TempDirectory();
        var runtime = temp.Combine("data", "runtime");
        var paths = new JupyterPaths(new FixedJupyterEnvironment(JupyterPlatform.Linux, temp.Path, [KeyValuePair.Create("JUPYTER_RUNTIME_DIR", runtime)]));
        Assert.Equal(runtime, paths.EnsureRuntimeDir());
        Assert.True(Directory.Exists(runtime));
        UserOnly.AssertDirectory(runtime);
    }
}
