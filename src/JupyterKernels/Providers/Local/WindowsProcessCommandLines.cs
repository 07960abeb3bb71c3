using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static JupyterKernels.Processes.WindowsNative;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Windows' counterpart of reading /proc/&lt;pid&gt;/cmdline: the command line of every process we may query, through
/// NtQueryInformationProcess(ProcessCommandLineInformation), which needs only PROCESS_QUERY_LIMITED_INFORMATION
/// (Windows 8.1 and later). Lets a start killed mid-way find its kernel: the process naming its connection file.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsProcessCommandLines
{
    private const int ProcessCommandLineInformation = 60;

    [DllImport("ntdll.dll")]
    private static extern int NtQueryInformationProcess(SafeProcessHandle process, int informationClass, IntPtr information, int length, out int returnLength);

    /// <summary>Pids (other than ours) whose command line has <paramref name="file"/> as an argument.</summary>
    public static List<int> FindNaming(string file)
    {
        var found = new List<int>();
        var self = Environment.ProcessId;
        foreach (var process in System.Diagnostics.Process.GetProcesses())
        {
            using (process)
            {
                if (process.Id == self || process.Id == 0) continue;
                if (CommandLineOf(process.Id) is not { } commandLine) continue;
                if (commandLine.Contains(file, StringComparison.OrdinalIgnoreCase)) found.Add(process.Id);
            }
        }
        return found;
    }

    public static string? CommandLineOf(int pid)
    {
        using var handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid);
        if (handle.IsInvalid) return null;
        int size = 4096;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var buffer = Marshal.AllocHGlobal(size);
            try
            {
                int status = NtQueryInformationProcess(handle, ProcessCommandLineInformation, buffer, size, out int needed);
                if (status == 0)
                {
                    // A UNICODE_STRING: Length (bytes), MaximumLength, then the pointer to the text (in our buffer).
                    int length = (ushort)Marshal.ReadInt16(buffer);
                    var text = Marshal.ReadIntPtr(buffer, IntPtr.Size);
                    return length == 0 || text == IntPtr.Zero ? "" : Marshal.PtrToStringUni(text, length / 2);
                }
                if (needed <= size) return null;
                size = needed;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
        return null;
    }
}
