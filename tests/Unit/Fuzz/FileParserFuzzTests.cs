using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>
/// The connection-file and kernel.json parsers under random and mutated text (fixed seeds): each input either parses
/// or throws <see cref="KernelException"/> with ConnectionFileInvalid / KernelSpecInvalid, nothing else; and a
/// connection-file error never quotes the key.
/// </summary>
public sealed class FileParserFuzzTests(ITestOutputHelper output)
{
    private const string Secret = "c0ffee00-5ec2-4e7a-b1a5-fuzzsecret000";

    private static readonly string[] ConnectionSeeds =
    [
        ConnectionFile.Serialize(new ConnectionInfo { ShellPort = 50001, IOPubPort = 50002, StdinPort = 50003, ControlPort = 50004, HbPort = 50005, Key = Secret, KernelName = "python3" }),
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5,\"key\":\"" + Secret + "\",\"jupyter_session\":\"/x.ipynb\"}",
        "{\"shell_port\":65535,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5,\"ip\":\"::1\",\"transport\":\"tcp\",\"signature_scheme\":\"hmac-sha512\",\"key\":\"" + Secret + "\"}",
    ];

    private static readonly string[] SpecSeeds =
    [
        "{\"argv\":[\"python3\",\"-m\",\"ipykernel_launcher\",\"-f\",\"{connection_file}\"],\"display_name\":\"Python 3\",\"language\":\"python\",\"metadata\":{\"debugger\":true}}",
        "{\"argv\":[\"/bin/k\"],\"display_name\":\"K\",\"language\":\"k\",\"interrupt_mode\":\"message\",\"env\":{\"A\":\"1\",\"B\":\"\"},\"kernel_protocol_version\":\"5.5\"}",
        "{\"argv\":[\"x\",\"y\"],\"env\":null,\"metadata\":null,\"display_name\":null}",
    ];

    [Fact]
    public void Connection_file_parser_only_succeeds_or_throws_ConnectionFileInvalid_and_never_echoes_the_key()
    {
        var rng = new Random(0x5EED_0201);
        int ok = 0, invalid = 0;
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, i => i % 5 == 0
            ? FuzzSupport.RandomText(rng, rng.Next(0, 120))
            : FuzzSupport.MutateText(rng, ConnectionSeeds[rng.Next(ConnectionSeeds.Length)]),
            s => 2 * s.Length, (i, text) =>
        {
            try
            {
                var info = ConnectionFile.Parse(text, "fuzz.json");
                ok++;
                Assert.InRange(info.ShellPort, 1, 65535);
                Assert.DoesNotContain(Secret, info.ToString());
            }
            catch (KernelException e)
            {
                invalid++;
                Assert.Equal(ErrorIds.ConnectionFileInvalid, e.ErrorId);
                Assert.DoesNotContain(Secret, e.Message);
                Assert.DoesNotContain(Secret, e.InnerException?.Message ?? "");
            }
            catch (Exception e)
            {
                Assert.Fail($"input #{i} threw {e.GetType().Name}: {e.Message}\ninput: {Escape(text)}");
            }
        });
        output.WriteLine($"{stats}; parsed {ok}, invalid {invalid}");
        Assert.True(ok > 1000 && invalid > 10_000, $"parsed {ok}, invalid {invalid}");
        Assert.True(stats.RepeatedExtraAllocation < 256 * 1024, stats.ToString());
    }

    [Fact]
    public void Kernelspec_parser_only_succeeds_or_throws_KernelSpecInvalid()
    {
        var rng = new Random(0x5EED_0202);
        int ok = 0, invalid = 0;
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, i => i % 5 == 0
            ? FuzzSupport.RandomText(rng, rng.Next(0, 120))
            : FuzzSupport.MutateText(rng, SpecSeeds[rng.Next(SpecSeeds.Length)]),
            s => 2 * s.Length, (i, text) =>
        {
            try
            {
                var spec = KernelSpecFile.Parse(text, "fuzz/kernel.json");
                ok++;
                Assert.NotEmpty(spec.Argv);
                Assert.NotEqual("", spec.Argv[0]);
                Assert.Contains(spec.InterruptMode, new[] { "signal", "message" });
            }
            catch (KernelException e)
            {
                invalid++;
                Assert.Equal(ErrorIds.KernelSpecInvalid, e.ErrorId);
            }
            catch (Exception e)
            {
                Assert.Fail($"input #{i} threw {e.GetType().Name}: {e.Message}\ninput: {Escape(text)}");
            }
        });
        output.WriteLine($"{stats}; parsed {ok}, invalid {invalid}");
        Assert.True(ok > 1000 && invalid > 10_000, $"parsed {ok}, invalid {invalid}");
        Assert.True(stats.RepeatedExtraAllocation < 256 * 1024, stats.ToString());
    }

    private static string Escape(string s) => string.Concat(s.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}"));
}
