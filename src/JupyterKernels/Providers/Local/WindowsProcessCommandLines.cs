using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static JupyterKernels.Processes.WindowsNative;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Windows' counterpart of reading /proc/&lt;pid&gt;/cmdline: the command line of every process we may query, through
/// NtQueryInformationProcess(ProcessCommandLineInformation), which needs only PROCESS_QUERY_LIMITED_INFORMATION
/// (Windows 8.1 and later). Where that class is unknown (STATUS_INVALID_INFO_CLASS: Windows Server 2012, Wine), the
/// command line is read from the process's own parameters block through its PEB, as psutil does there (needs
/// PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, which a process's owner has). Lets a start killed mid-way find its
/// kernel: the process naming its connection file.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsProcessCommandLines
{
    private const int ProcessBasicInformation = 0;
    private const int ProcessCommandLineInformation = 60;
    private const int StatusInvalidInfoClass = unchecked((int)0xC0000003);
    private const uint PROCESS_QUERY_INFORMATION = 0x400, PROCESS_VM_READ = 0x10;
    // x64 layouts: PEB.ProcessParameters at 0x20; RTL_USER_PROCESS_PARAMETERS.CommandLine (a UNICODE_STRING) at 0x70.
    private const int PebProcessParametersOffset = 0x20, ParametersCommandLineOffset = 0x70;

    [DllImport("ntdll.dll")]
    private static extern int NtQueryInformationProcess(SafeProcessHandle process, int informationClass, IntPtr information, int length, out int returnLength);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool ReadProcessMemory(SafeProcessHandle process, IntPtr address, IntPtr buffer, nint size, out nint read);

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
                if (status == StatusInvalidInfoClass) return CommandLineFromPeb(pid);
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

    /// <summary>The command line from the process's PEB (64-bit processes; a 32-bit one gives null).</summary>
    private static string? CommandLineFromPeb(int pid)
    {
        if (IntPtr.Size != 8) return null;
        using var handle = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, false, pid);
        if (handle.IsInvalid) return null;
        // PROCESS_BASIC_INFORMATION: ExitStatus, PebBaseAddress, AffinityMask, BasePriority, UniqueProcessId, parent.
        var info = Marshal.AllocHGlobal(6 * IntPtr.Size);
        try
        {
            if (NtQueryInformationProcess(handle, ProcessBasicInformation, info, 6 * IntPtr.Size, out _) != 0) return null;
            var peb = Marshal.ReadIntPtr(info, IntPtr.Size);
            if (peb == IntPtr.Zero || ReadPointer(handle, peb + PebProcessParametersOffset) is not { } parameters) return null;
            // UNICODE_STRING: Length (bytes, ushort), MaximumLength, padding, Buffer (a pointer in that process).
            if (ReadPointer(handle, parameters + ParametersCommandLineOffset) is not { } lengths) return null;
            int length = (ushort)(lengths.ToInt64() & 0xFFFF);
            if (ReadPointer(handle, parameters + ParametersCommandLineOffset + 8) is not { } text) return null;
            if (length == 0 || text == IntPtr.Zero) return "";
            var chars = Marshal.AllocHGlobal(length);
            try
            {
                return ReadProcessMemory(handle, text, chars, length, out var read) && read == length ? Marshal.PtrToStringUni(chars, length / 2) : null;
            }
            finally
            {
                Marshal.FreeHGlobal(chars);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(info);
        }
    }

    private static IntPtr? ReadPointer(SafeProcessHandle handle, IntPtr address)
    {
        var value = Marshal.AllocHGlobal(IntPtr.Size);
        try
        {
            return ReadProcessMemory(handle, address, value, IntPtr.Size, out var read) && read == IntPtr.Size ? Marshal.ReadIntPtr(value) : null;
        }
        finally
        {
            Marshal.FreeHGlobal(value);
        }
    }
}
