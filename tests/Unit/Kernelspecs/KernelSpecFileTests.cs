using System.Text.Json;
using JupyterKernels.Kernelspecs;

namespace JupyterKernels.Tests.Kernelspecs;

public class KernelSpecFileTests
{
    private static KernelException Invalid(string json)
    {
        var ex = Assert.Throws<KernelException>(() => KernelSpecFile.Parse(json, "/specs/k/kernel.json"));
        Assert.Equal(ErrorIds.KernelSpecInvalid, ex.ErrorId);
        Assert.Equal(KernelErrorCategory.InvalidData, ex.Category);
        Assert.Contains("/specs/k/kernel.json", ex.Message);
        return ex;
    }

    [Fact]
    public void Parses_every_field()
    {
        var spec = KernelSpecFile.Parse("""
            {"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
             "display_name": "Python 3", "language": "python", "interrupt_mode": "message",
             "env": {"A": "1", "PATH": "${PATH}:/x"}, "metadata": {"debugger": true, "nested": {"k": [1, 2]}},
             "kernel_protocol_version": "5.5", "unknown": 42}
            """, "x");
        Assert.Equal(["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], spec.Argv);
        Assert.Equal("Python 3", spec.DisplayName);
        Assert.Equal("python", spec.Language);
        Assert.Equal("message", spec.InterruptMode);
        Assert.Equal("${PATH}:/x", spec.Env["PATH"]);
        Assert.True(spec.Metadata!.Value.GetProperty("debugger").GetBoolean());
        Assert.Equal(2, spec.Metadata!.Value.GetProperty("nested").GetProperty("k")[1].GetInt32());
        Assert.Equal("5.5", spec.KernelProtocolVersion);
    }

    [Fact]
    public void Defaults_when_optional_fields_are_absent()
    {
        var spec = KernelSpecFile.Parse("""{"argv": ["k"]}""", "x");
        Assert.Equal("signal", spec.InterruptMode);
        Assert.Equal("", spec.DisplayName);
        Assert.Empty(spec.Env);
        Assert.Null(spec.Metadata);
        Assert.Null(spec.KernelProtocolVersion);
        var pub = spec.ToKernelSpec("k", "/dir");
        Assert.Equal("k", pub.DisplayName); // falls back to the name
        Assert.Equal("local", pub.Provider);
    }

    [Fact]
    public void Bad_json_reports_one_based_line_and_position()
    {
        var ex = Invalid("{\n  \"argv\": [\"a\"],\n  oops\n}");
        Assert.Contains("not valid JSON at line 3, position 3", ex.Message);
        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Missing_or_empty_argv()
    {
        Assert.Contains("has no 'argv'", Invalid("""{"display_name": "x"}""").Message);
        Assert.Contains("has no 'argv'", Invalid("""{"argv": null}""").Message);
        Assert.Contains("'argv' is empty", Invalid("""{"argv": []}""").Message);
        Assert.Contains("empty string", Invalid("""{"argv": ["", "x"]}""").Message);
    }

    [Theory]
    [InlineData("""{"argv": "python -m x"}""", "'argv' must be an array of strings, not a string")]
    [InlineData("""{"argv": ["a", 1]}""", "'argv' element 1 must be a string, not a number")]
    [InlineData("""{"argv": ["a"], "display_name": 3}""", "'display_name' must be a string, not a number")]
    [InlineData("""{"argv": ["a"], "language": ["py"]}""", "'language' must be a string, not an array")]
    [InlineData("""{"argv": ["a"], "env": ["A=1"]}""", "'env' must be an object")]
    [InlineData("""{"argv": ["a"], "env": {"A": 1}}""", "'env' value for 'A' must be a string, not a number")]
    [InlineData("""{"argv": ["a"], "metadata": "x"}""", "'metadata' must be an object, not a string")]
    [InlineData("""{"argv": ["a"], "interrupt_mode": "kill"}""", "'interrupt_mode' is 'kill'; it must be \"signal\" or \"message\"")]
    [InlineData("""{"argv": ["a"], "interrupt_mode": true}""", "'interrupt_mode' must be a string, not a boolean")]
    [InlineData("""[1, 2]""", "must contain a JSON object, not an array")]
    public void Wrong_types_are_named(string json, string expected)
    {
        Assert.Contains(expected, Invalid(json).Message);
    }

    [Fact]
    public void Load_missing_file_is_invalid_with_path()
    {
        var ex = Assert.Throws<KernelException>(() => KernelSpecFile.Load("/nonexistent/dir/kernel.json"));
        Assert.Equal(ErrorIds.KernelSpecInvalid, ex.ErrorId);
        Assert.Contains("/nonexistent/dir/kernel.json", ex.Message);
    }
}
