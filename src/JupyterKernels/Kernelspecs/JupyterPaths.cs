namespace JupyterKernels.Kernelspecs;

/// <summary>
/// Where Jupyter keeps data, runtime files and kernelspecs, by jupyter_core's rules (paths.py, 5.x, legacy mode,
/// i.e. without JUPYTER_PLATFORM_DIRS). Computed from an <see cref="IJupyterEnvironment"/> so every OS can be tested
/// from any OS: paths are joined with the simulated platform's separator, not the host's.
/// </summary>
/// <remarks>
/// Python's <c>sys.prefix</c> has no equivalent in a .NET process. We use the active virtual environment
/// (<c>VIRTUAL_ENV</c>) or conda environment (<c>CONDA_PREFIX</c>), or an explicit prefix given by the caller,
/// because that is the Python whose kernels a user expects to see; on Windows without either, the folder of the
/// python.exe on PATH (<see cref="WindowsPythonPrefix"/>), where a global pip install puts share\jupyter.
/// </remarks>
internal sealed class JupyterPaths
{
    private readonly IJupyterEnvironment _env;
    private readonly string? _explicitPrefix;

    public JupyterPaths(IJupyterEnvironment? environment = null, string? environmentPrefix = null, Func<string, bool>? fileExists = null)
    {
        _env = environment ?? ProcessJupyterEnvironment.Instance;
        _explicitPrefix = string.IsNullOrEmpty(environmentPrefix) ? null : environmentPrefix;
        _fileExists = fileExists ?? File.Exists;
    }

    private readonly Func<string, bool> _fileExists;

    /// <summary>Paths for the current process.</summary>
    public static JupyterPaths Current { get; } = new();

    public JupyterPlatform Platform => _env.Platform;

    private bool IsWindows => _env.Platform == JupyterPlatform.Windows;
    private char Separator => IsWindows ? '\\' : '/';
    private char PathListSeparator => IsWindows ? ';' : ':';

    /// <summary>jupyter_config_dir(): JUPYTER_CONFIG_DIR, else ~/.jupyter (JUPYTER_NO_CONFIG is not supported).</summary>
    public string ConfigDir => _env.GetNonEmpty("JUPYTER_CONFIG_DIR") ?? Join(_env.HomeDirectory, ".jupyter");

    /// <summary>jupyter_data_dir(): the user's data directory.</summary>
    public string DataDir
    {
        get
        {
            if (_env.GetNonEmpty("JUPYTER_DATA_DIR") is { } explicitDir)
            {
                return explicitDir;
            }
            switch (_env.Platform)
            {
                case JupyterPlatform.MacOS:
                    return Join(_env.HomeDirectory, "Library", "Jupyter");
                case JupyterPlatform.Windows:
                    // jupyter_core falls back to {config_dir}\data when APPDATA is missing (old Windows, services).
                    return _env.GetNonEmpty("APPDATA") is { } appData ? Join(appData, "jupyter") : Join(ConfigDir, "data");
                default:
                    var xdg = _env.GetNonEmpty("XDG_DATA_HOME") ?? Join(_env.HomeDirectory, ".local", "share");
                    return Join(xdg, "jupyter");
            }
        }
    }

    /// <summary>jupyter_runtime_dir(): JUPYTER_RUNTIME_DIR, else {DataDir}/runtime on every OS (XDG_RUNTIME_DIR is no longer used).</summary>
    public string RuntimeDir => _env.GetNonEmpty("JUPYTER_RUNTIME_DIR") ?? Join(DataDir, "runtime");

    /// <summary>The sys.prefix equivalent (see remarks), or null when no Python environment is active.</summary>
    public string? EnvironmentPrefix =>
        _explicitPrefix ?? _env.GetNonEmpty("VIRTUAL_ENV") ?? _env.GetNonEmpty("CONDA_PREFIX") ?? _pathPythonPrefix.Value;

    /// <summary>Windows only: the prefix of the python.exe on PATH (<see cref="WindowsPythonPrefix"/>), looked up once.</summary>
    private Lazy<string?> _pathPythonPrefix => _pathPython ??= new Lazy<string?>(() => WindowsPythonPrefix.Find(_env, _fileExists));
    private Lazy<string?>? _pathPython;

    /// <summary>
    /// jupyter_core's prefer_environment_over_user(): an explicit JUPYTER_PREFER_ENV_PATH decides (any value, even
    /// empty, counts as set); otherwise an active venv, or a conda env other than base, puts the env dir first.
    /// jupyter_core also checks that the user owns the prefix; we do not (no portable owner lookup in .NET).
    /// </summary>
    public bool PreferEnvironmentOverUser
    {
        get
        {
            if (_env.GetVariable("JUPYTER_PREFER_ENV_PATH") is not null)
            {
                return _env.EnvSet("JUPYTER_PREFER_ENV_PATH") == true;
            }
            if (_env.GetNonEmpty("VIRTUAL_ENV") is not null)
            {
                return true;
            }
            return _env.GetVariable("CONDA_PREFIX") is not null
                && (_env.GetVariable("CONDA_DEFAULT_ENV") ?? "base") != "base";
        }
    }

    /// <summary>System-wide data dirs (SYSTEM_JUPYTER_PATH).</summary>
    public IReadOnlyList<string> SystemDataDirs
    {
        get
        {
            if (!IsWindows)
            {
                return ["/usr/local/share/jupyter", "/usr/share/jupyter"];
            }
            // jupyter_core >= 5.8: ProgramData is writable by every user, so it is trusted only on request;
            // otherwise the system path is {sys.prefix}\share\jupyter.
            if (_env.EnvSet("JUPYTER_USE_PROGRAMDATA") == true && _env.GetNonEmpty("PROGRAMDATA") is { } programData)
            {
                return [Join(programData, "jupyter")];
            }
            return EnvironmentPrefix is { } prefix ? [Join(prefix, "share", "jupyter")] : [];
        }
    }

    /// <summary>
    /// Python's user base <c>share/jupyter</c> (site.getuserbase()), which jupyter_path() lists with the user dir.
    /// Not in a venv, where site.ENABLE_USER_SITE is false. macOS framework builds use ~/Library/Python/X.Y, which
    /// depends on the Python version; we use PYTHONUSERBASE or ~/.local there.
    /// </summary>
    private string? UserSiteDataDir
    {
        get
        {
            if (_env.GetNonEmpty("VIRTUAL_ENV") is not null)
            {
                return null;
            }
            var userBase = _env.GetNonEmpty("PYTHONUSERBASE");
            if (userBase is null)
            {
                if (IsWindows)
                {
                    if (_env.GetNonEmpty("APPDATA") is not { } appData)
                    {
                        return null;
                    }
                    userBase = Join(appData, "Python");
                }
                else
                {
                    userBase = Join(_env.HomeDirectory, ".local");
                }
            }
            return Join(userBase, "share", "jupyter");
        }
    }

    /// <summary>jupyter_path(): every directory searched for data files, highest priority first.</summary>
    public IReadOnlyList<string> DataPath
    {
        get
        {
            var paths = new List<string>();
            if (_env.GetNonEmpty("JUPYTER_PATH") is { } jupyterPath)
            {
                foreach (var entry in jupyterPath.Split(PathListSeparator))
                {
                    // jupyter_core keeps empty entries (meaning the current directory); searching the working
                    // directory of a PowerShell session for kernels is surprising, so we drop them.
                    var trimmed = entry.TrimEnd(Separator);
                    if (trimmed.Length > 0)
                    {
                        paths.Add(trimmed);
                    }
                }
            }

            var user = new List<string> { DataDir };
            if (UserSiteDataDir is { } userSite && !user.Contains(userSite))
            {
                user.Add(userSite);
            }

            var system = SystemDataDirs;
            var env = new List<string>();
            if (EnvironmentPrefix is { } prefix)
            {
                var envDir = Join(prefix, "share", "jupyter");
                if (!system.Contains(envDir))
                {
                    env.Add(envDir);
                }
            }

            if (PreferEnvironmentOverUser)
            {
                paths.AddRange(env);
                paths.AddRange(user);
            }
            else
            {
                paths.AddRange(user);
                paths.AddRange(env);
            }
            paths.AddRange(system);
            return paths;
        }
    }

    /// <summary>
    /// jupyter_client's KernelSpecManager.kernel_dirs: {each DataPath entry}/kernels, then the IPython dir's
    /// kernels ($IPYTHONDIR or ~/.ipython), which jupyter_client still adds when IPython is importable.
    /// </summary>
    public IReadOnlyList<string> KernelSpecDirs
    {
        get
        {
            var dirs = DataPath.Select(p => Join(p, "kernels")).ToList();
            var ipythonDir = _env.GetNonEmpty("IPYTHONDIR") ?? Join(_env.HomeDirectory, ".ipython");
            dirs.Add(Join(ipythonDir, "kernels"));
            return dirs;
        }
    }

    /// <summary>The user's own kernelspec directory ({DataDir}/kernels), where `jupyter kernelspec install --user` puts specs.</summary>
    public string UserKernelSpecDir => Join(DataDir, "kernels");

    /// <summary>Creates the runtime dir (user-only, 0700 on POSIX) if needed and returns it.</summary>
    public string EnsureRuntimeDir()
    {
        var dir = RuntimeDir;
        SecureFile.EnsurePrivateDirectory(dir);
        return dir;
    }

    /// <summary>Joins with the simulated platform's separator (Path.Combine would use the host's).</summary>
    private string Join(string first, params string[] rest)
    {
        var result = first;
        foreach (var part in rest)
        {
            result = result.Length == 0 || result[^1] == Separator || (IsWindows && result[^1] == '/')
                ? result + part
                : result + Separator + part;
        }
        return result;
    }
}
