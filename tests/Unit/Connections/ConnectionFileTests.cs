using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using TempDirectory = JupyterKernels.Tests.Support.TempDirectory;
using UnixFact = JupyterKernels.Tests.Support.UnixFactAttribute;
using UserOnly = JupyterKernels.Tests.Support.UserOnly;

namespace JupyterKernels.Tests.ConnectionFiles;

[Trait("Category", "Integration")] // starts processes or servers
public class ConnectionFileTests
{
    private const string SecretKey = "a0436f6c-1916-498b-8eb9-e81ab9368e84";

    private static ConnectionInfo Sample() => new()
    {
        ShellPort = 57503, IOPubPort = 40885, StdinPort = 52597, ControlPort = 50160, HbPort = 42540,
        Ip = "127.0.0.1", Key = SecretKey, KernelName = "python3",
    };

    private static KernelException Invalid(string json)
    {
        var ex = Assert.Throws<KernelException>(() => ConnectionFile.Parse(json, "/run/kernel-x.json"));
        Assert.Equal(ErrorIds.ConnectionFileInvalid, ex.ErrorId);
        Assert.Contains("/run/kernel-x.json", ex.Message);
        Assert.DoesNotContain(SecretKey, ex.Message);
        Assert.DoesNotContain("sekrit", ex.Message);
        return ex;
    }

    [Fact]
    public void Serializes_exactly_like_json_dumps_indent_2()
    {
        const string expected = "{\n  \"shell_port\": 57503,\n  \"iopub_port\": 40885,\n  \"stdin_port\": 52597,\n  \"control_port\": 50160,\n  \"hb_port\": 42540,\n  \"ip\": \"127.0.0.1\",\n  \"key\": \"a0436f6c-1916-498b-8eb9-e81ab9368e84\",\n  \"transport\": \"tcp\",\n  \"signature_scheme\": \"hmac-sha256\",\n  \"kernel_name\": \"python3\"\n}";
        Assert.Equal(expected, ConnectionFile.Serialize(Sample()));
    }

    [Fact]
    public void Escapes_strings_as_python_ensure_ascii_does()
    {
        var text = ConnectionFile.Serialize(Sample() with { KernelName = "é\"\\\n\u0001\u007f😀" });
        Assert.Contains("\"kernel_name\": \"\\u00e9\\\"\\\\\\n\\u0001\\u007f\\ud83d\\ude00\"", text);
        Assert.Equal("é\"\\\n\u0001\u007f😀", ConnectionFile.Parse(text).KernelName);
    }

    [Fact]
    public async Task Round_trip_writes_a_0600_file()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("kernel-1.json");
        File.WriteAllText(path, "old, world-readable");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100); // 0644: must not survive
        }

        await ConnectionFile.WriteAsync(path, Sample());

        Assert.Equal(Sample(), ConnectionFile.Read(path));
        Assert.Equal(Sample(), await ConnectionFile.ReadAsync(path));
        UserOnly.AssertFile(path);
    }

    [UnixFact("Windows has no sticky bit; the file's own ACL is its protection there.")]
    public async Task Writing_a_connection_file_sets_the_sticky_bit_on_its_directory()
    {
        using var temp = new TempDirectory();
        await ConnectionFile.WriteAsync(temp.Combine("kernel-1.json"), Sample());
        Assert.True((File.GetUnixFileMode(temp.Path) & UnixFileMode.StickyBit) != 0, "jupyter_client sets the sticky bit on the directory");
    }

    [Fact]
    public void To_string_never_shows_the_key()
    {
        var text = Sample().ToString();
        Assert.DoesNotContain(SecretKey, text);
        Assert.Contains("(hidden)", text);
        Assert.Contains("57503", text);
        Assert.Contains("python3", text);
        Assert.DoesNotContain(SecretKey, $"{Sample()}");
    }

    [Fact]
    public void Endpoints_are_tcp_ip_port()
    {
        var info = Sample();
        Assert.Equal("tcp://127.0.0.1:57503", info.Endpoint(KernelChannel.Shell));
        Assert.Equal("tcp://127.0.0.1:40885", info.Endpoint(KernelChannel.IOPub));
        Assert.Equal("tcp://127.0.0.1:52597", info.Endpoint(KernelChannel.Stdin));
        Assert.Equal("tcp://127.0.0.1:50160", info.Endpoint(KernelChannel.Control));
        Assert.Equal("tcp://127.0.0.1:42540", info.HeartbeatEndpoint);
        Assert.Equal("tcp://[::1]:1", (info with { Ip = "::1", ShellPort = 1 }).Endpoint(KernelChannel.Shell));
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_defaults_applied()
    {
        var info = ConnectionFile.Parse("""
            {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
             "jupyter_session": "/x.ipynb", "curve_publickey": null}
            """);
        Assert.Equal([1, 2, 3, 4, 5], info.Ports);
        Assert.Equal("127.0.0.1", info.Ip);
        Assert.Equal("", info.Key);
        Assert.Equal("tcp", info.Transport);
        Assert.Equal("hmac-sha256", info.SignatureScheme);
        Assert.Equal("", info.KernelName);
    }

    [Fact]
    public void Malformed_files_are_connection_file_invalid()
    {
        Assert.Contains("not valid JSON at line 1", Invalid("""{"key": "sekrit" """).Message);
        Assert.Contains("not valid JSON", Invalid("""{"key": "sekrit", x}""").Message);
        Assert.Contains("must contain a JSON object", Invalid("[]").Message);
        Assert.Contains("missing iopub_port, hb_port", Invalid("""{"shell_port": 1, "stdin_port": 3, "control_port": 4, "key": "sekrit"}""").Message);
        Assert.Contains("shell_port that is not an integer", Invalid("""{"shell_port": "1", "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}""").Message);
        Assert.Contains("shell_port that is not an integer", Invalid("""{"shell_port": 1.5, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}""").Message);
        Assert.Contains("between 1 and 65535", Invalid("""{"shell_port": 70000, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}""").Message);
        Assert.Contains("between 1 and 65535", Invalid("""{"shell_port": 0, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}""").Message);
        Assert.Contains("key that is not a string", Invalid("""{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": ["sekrit"]}""").Message);
        Assert.Contains("must start with 'hmac-'", Invalid("""{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "signature_scheme": "sha256"}""").Message);
        Assert.Contains("has transport 'udp'; only 'tcp' is supported", Invalid("""{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "transport": "udp"}""").Message);
    }

    [Fact]
    public void Ipc_transport_is_rejected_clearly()
    {
        var ex = Invalid("""{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "transport": "ipc", "ip": "/tmp/k", "key": "sekrit"}""");
        Assert.Contains("'ipc' transport, which is not supported", ex.Message);
        Assert.Contains("only 'tcp'", ex.Message);
    }

    [Fact]
    public void Missing_file_is_invalid_and_not_found()
    {
        var ex = Assert.Throws<KernelException>(() => ConnectionFile.Read("/nonexistent/kernel-404.json"));
        Assert.Equal(ErrorIds.ConnectionFileInvalid, ex.ErrorId);
        Assert.Equal(KernelErrorCategory.ObjectNotFound, ex.Category);
    }

    [Fact]
    public void Create_local_allocates_distinct_ports_and_a_fresh_key()
    {
        var a = ConnectionInfo.CreateLocal("python3", allocator: new PortAllocator());
        var b = ConnectionInfo.CreateLocal("python3", allocator: new PortAllocator());
        Assert.Equal(5, a.Ports.Distinct().Count());
        Assert.True(Guid.TryParse(a.Key, out _));
        Assert.NotEqual(a.Key, b.Key);
        Assert.Equal("python3", a.KernelName);
    }

    // --- compatibility with the real jupyter_client (Debian package; /usr/bin/python3, not the pyenv python on PATH) ---

    private static string RunPython(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        // Keep jupyter_core's path logic away from the real user dirs.
        psi.Environment["JUPYTER_PLATFORM_DIRS"] = "0";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "python timed out");
        Assert.True(process.ExitCode == 0, $"python failed: {stderr}");
        return stdout;
    }

    [Fact]
    public async Task Jupyter_client_loads_a_file_we_wrote()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("kernel-ours.json");
        await ConnectionFile.WriteAsync(path, Sample());
        var output = RunPython("""
            import sys, json
            from jupyter_client.connect import ConnectionFileMixin
            c = ConnectionFileMixin()
            c.load_connection_file(sys.argv[1])
            print(json.dumps({"shell": c._make_url("shell"), "hb": c._make_url("hb"), "iopub": c.iopub_port,
                              "key": c.session.key.decode(), "scheme": c.session.signature_scheme, "transport": c.transport}))
            """, path);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("tcp://127.0.0.1:57503", root.GetProperty("shell").GetString());
        Assert.Equal("tcp://127.0.0.1:42540", root.GetProperty("hb").GetString());
        Assert.Equal(40885, root.GetProperty("iopub").GetInt32());
        Assert.Equal(SecretKey, root.GetProperty("key").GetString());
        Assert.Equal("hmac-sha256", root.GetProperty("scheme").GetString());
        Assert.Equal("tcp", root.GetProperty("transport").GetString());
    }

    [Fact]
    public void We_read_a_file_jupyter_client_wrote_and_write_it_byte_for_byte()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("kernel-theirs.json");
        RunPython("""
            import sys
            from jupyter_client.connect import write_connection_file
            write_connection_file(sys.argv[1], shell_port=1001, iopub_port=1002, stdin_port=1003, hb_port=1004,
                                  control_port=1005, ip="127.0.0.1", key=b"5ec2e7-k3y", kernel_name="python3")
            """, path);

        var info = ConnectionFile.Read(path);
        Assert.Equal([1001, 1002, 1003, 1005, 1004], info.Ports);
        Assert.Equal("5ec2e7-k3y", info.Key);
        Assert.Equal("python3", info.KernelName);
        Assert.Equal("hmac-sha256", info.SignatureScheme);
        Assert.Equal(File.ReadAllText(path), ConnectionFile.Serialize(info));
        UserOnly.AssertFile(path, allowAdministrators: true);
    }
}
