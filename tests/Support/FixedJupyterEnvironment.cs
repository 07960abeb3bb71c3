namespace JupyterKernels.Kernelspecs;

// Test support, never shipped: compiled into the test kernel's assembly, which the tests and the bench reference and
// see the internals of.
/// <summary>A fixed environment: a test simulating another OS, another user's home or variables.</summary>
internal sealed class FixedJupyterEnvironment : IJupyterEnvironment
{
    private readonly Dictionary<string, string> _variables;

    public FixedJupyterEnvironment(JupyterPlatform platform, string homeDirectory, IEnumerable<KeyValuePair<string, string>>? variables = null)
    {
        Platform = platform;
        HomeDirectory = homeDirectory;
        _variables = new Dictionary<string, string>(JupyterEnvironmentExtensions.KeyComparer(platform));
        if (variables is not null)
        {
            foreach (var (key, value) in variables)
            {
                _variables[key] = value;
            }
        }
    }

    public JupyterPlatform Platform { get; }
    public string HomeDirectory { get; }
    public string? GetVariable(string name) => _variables.TryGetValue(name, out var value) ? value : null;
    public IReadOnlyDictionary<string, string> GetVariables() => new Dictionary<string, string>(_variables, _variables.Comparer);
}
