using System.Diagnostics;
using JupyterKernels;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Sync;

// CoreLane <test kernel exe> <work dir>: the lifecycle of tests/Windows/WineLane.ps1 through KernelService, printing
// "ok N - what" / "not ok N - what: why". Exit code 0 when every check passed.
if (args.Length > 0 && args[0] == "--sleep-naming") return RecoveryChecks.SleepNaming();
var testKernel = args[0];
var work = args[1];
Directory.CreateDirectory(work);
Environment.SetEnvironmentVariable("APPDATA", Path.Combine(work, "Roaming"));
Environment.SetEnvironmentVariable("LOCALAPPDATA", Path.Combine(work, "Local"));
Environment.SetEnvironmentVariable("JUPYTER_RUNTIME_DIR", Path.Combine(work, "runtime"));
Environment.SetEnvironmentVariable("JUPYTER_PATH", Path.Combine(work, "share"));
Environment.SetEnvironmentVariable("JUPYTER_CONFIG_DIR", Path.Combine(work, "config"));
Environment.SetEnvironmentVariable("IPYTHONDIR", Path.Combine(work, "ipython"));
void Spec(string name, params string[] argv)
{
    var dir = Path.Combine(work, "share", "kernels", name);
    Directory.CreateDirectory(dir);
    File.WriteAllText(Path.Combine(dir, "kernel.json"), System.Text.Json.JsonSerializer.Serialize(new
    {
        argv, display_name = "Wine " + name, language = "test", interrupt_mode = "signal",
    }));
}
Spec("wintest", testKernel, "-f", "{connection_file}");
Spec("winbroken", testKernel, "--no-such-option", "-f", "{connection_file}");
Spec("winstorestub", Path.Combine(Environment.GetEnvironmentVariable("windir") ?? @"C:\windows", "system32", "cmd.exe"), "/c",
    "echo Python was not found; run without arguments to install from the Microsoft Store 1>&2 & exit 9009");

int n = 0, failed = 0;
async Task Check(string what, Func<Task<string?>> test)
{
    n++;
    string? why;
    try { why = await test(); }
    catch (Exception e) { why = $"{e.GetType().Name}: {e.Message}"; }
    if (why is null) Console.WriteLine($"ok {n} - {what}");
    else { failed++; Console.WriteLine($"not ok {n} - {what}: {why}"); }
}
using var ct = new CancellationTokenSource(TimeSpan.FromMinutes(6));
await using var service = new KernelService(KernelServiceOptions.FromEnvironment());

await Check("kernelspecs are listed", async () =>
{
    var names = (await service.GetKernelSpecsAsync(null, true, ct.Token)).Specs.Select(s => s.Name).ToList();
    return names.Contains("wintest") && names.Contains("winbroken") ? null : "got " + string.Join(", ", names);
});
await Check("a failed start names its reason and exit code (the kernel's output captured in its log)", async () =>
{
    try { await service.StartKernelAsync(new StartKernelOptions { SpecName = "winbroken", StartTimeout = TimeSpan.FromSeconds(60) }, null, ct.Token); return "it started"; }
    catch (KernelException e)
    {
        if (e.ErrorId != ErrorIds.KernelExitedDuringStart) return $"{e.ErrorId}: {e.Message}";
        if (!e.Message.Contains("unknown argument '--no-such-option'")) return "message: " + e.Message;
        return e.Message.Contains("exit code 2") ? null : "no exit code: " + e.Message;
    }
});
await Check("the Microsoft Store stand-in is told by its exit code 9009", async () =>
{
    try { await service.StartKernelAsync(new StartKernelOptions { SpecName = "winstorestub", StartTimeout = TimeSpan.FromSeconds(60) }, null, ct.Token); return "it started"; }
    catch (KernelException e) { return e.Message.Contains("9009") && e.Message.Contains("Microsoft Store") ? null : "message: " + e.Message; }
});
await Check("the store is under LOCALAPPDATA", () => Task.FromResult(
    File.Exists(Path.Combine(work, "Local", "JupyterKernels", "jupyterkernels.db")) ? null : "no store file there"));

Kernel? kernel = null;
await Check("the win-x64 test kernel starts", async () =>
{
    kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "wintest", StartTimeout = TimeSpan.FromSeconds(120) }, null, ct.Token);
    return kernel.State == KernelState.Idle ? null : "state " + kernel.State;
});
async Task<(string Text, KernelExecuteReply Reply)> Run(string code)
{
    var execution = await service.ExecuteAsync(kernel!.Id, code, new ExecuteOptions(), ct.Token);
    var text = new System.Text.StringBuilder();
    await foreach (var output in execution.Outputs.ReadAllAsync(ct.Token)) text.Append(output).Append('\n');
    return (text.ToString(), await execution.Completion);
}
await Check("code runs", async () => (await Run("print hello from wine")).Text.Contains("hello from wine") ? null : "no output");
await Check("an interrupt goes through the interrupt event and ends the running cell", async () =>
{
    var running = Run("sleep 60");
    await Task.Delay(TimeSpan.FromSeconds(3), ct.Token);
    var watch = Stopwatch.StartNew();
    await service.InterruptKernelAsync(kernel!.Id, ct.Token);
    var finished = await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(30), ct.Token));
    if (finished != running) return "the cell was still running 30 s after the interrupt";
    var (text, _) = await running;
    if (!text.Contains("KeyboardInterrupt")) return "the cell ended with: " + text;
    // The kernel holds its log open for writing: read it as the module does, sharing it.
    using var stream = new FileStream(Path.ChangeExtension(kernel.ConnectionFile!, ".log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
    var log = new StreamReader(stream).ReadToEnd();
    return log.Contains("interrupt event set") ? null : "the kernel's log does not show the event: " + log;
});
await Check("the kernel answers after the interrupt", async () => (await Run("print still here")).Text.Contains("still here") ? null : "no output");
await Check("stop ends the kernel process", async () =>
{
    var pid = kernel!.Pid!.Value;
    await service.StopKernelAsync(kernel.Id, force: false, ct.Token);
    try { using var p = Process.GetProcessById(pid); return p.HasExited ? null : $"process {pid} is still running"; }
    catch (ArgumentException) { return null; }
});
await Check("an atomic write replaces a file held open without FILE_SHARE_DELETE once it is released",
    () => RecoveryChecks.HeldTargetIsReplacedAfterReleaseAsync(work));
await Check("an atomic write over a file held longer gives the sharing error after its bounded retries",
    () => RecoveryChecks.TargetHeldTooLongGivesTheErrorAsync(work));
await Check("a start killed after spawning is adopted by sync with the kernel's pid (found by its command line)",
    () => RecoveryChecks.KilledStartIsAdoptedAsync(service, work, testKernel, ct.Token));
await Check("a start killed before its kernel answered: sync kills the process naming its connection file",
    () => RecoveryChecks.KilledStartThatNeverAnsweredIsStoppedAsync(service, work, ct.Token));
await Check("sync leaves no live kernel recorded", async () =>
{
    await foreach (var _ in service.SynchronizeAsync(new SyncOptions(), null, null, ct.Token)) { }
    var left = (await service.GetKernelsAsync(ct.Token)).Where(k => k.State != KernelState.Dead).ToList();
    return left.Count == 0 ? null : "still listed: " + string.Join(", ", left.Select(k => k.Id));
});
return failed == 0 ? 0 : 1;
