using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace JupyterKernels.Bench.Harness;

/// <summary>Where the numbers were measured: cores, memory, OS, .NET, the Python reference stack, load.</summary>
internal static class MachineInfo
{
    public static async Task<Dictionary<string, object?>> CollectAsync(CancellationToken ct)
    {
        var info = new Dictionary<string, object?>
        {
            ["date_utc"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["host"] = Environment.MachineName,
            ["cores"] = Environment.ProcessorCount,
            ["cpu_model"] = ReadCpuModel(),
            ["memory_total_mib"] = ReadMemInfoKiB("MemTotal") / 1024,
            ["memory_available_mib"] = ReadMemInfoKiB("MemAvailable") / 1024,
            ["os"] = ReadOsRelease() ?? RuntimeInformation.OSDescription,
            ["kernel"] = RuntimeInformation.OSDescription,
            ["arch"] = RuntimeInformation.OSArchitecture.ToString(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
            ["load_average_at_start"] = LoadAverage(),
        };
        try
        {
            var psi = new ProcessStartInfo(BenchContext.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "python", "versions.py"));
            using var p = Process.Start(psi)!;
            var text = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            var node = JsonNode.Parse(text)!.AsObject();
            info["python_reference"] = node.ToDictionary(kv => kv.Key, kv => (object?)kv.Value?.ToString());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            info["python_reference"] = $"unavailable: {e.Message}";
        }
        return info;
    }

    /// <summary>/proc/loadavg's 1, 5 and 15 minute averages (null off Linux).</summary>
    public static double[]? LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Take(3).Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception) { return null; }
    }

    public static long ReadMemInfoKiB(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (Exception) { }
        return 0;
    }

    /// <summary>Resident set size of a process in bytes (Linux), 0 when unknown.</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception) { }
        return 0;
    }

    private static string? ReadCpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (Exception) { return null; }
    }

    private static string? ReadOsRelease()
    {
        try
        {
            var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            return line?.Split('=', 2)[1].Trim('"');
        }
        catch (Exception) { return null; }
    }
}
