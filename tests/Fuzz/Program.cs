using JupyterKernels.Fuzz;
using SharpFuzz;

// tools/fuzz.sh runs: afl-fuzz ... -- dotnet JupyterKernels.Fuzz.dll TARGET
// and "JupyterKernels.Fuzz.dll TARGET --replay FILE..." runs inputs once (what the xunit replay does, from a shell).
if (args.Length == 2 && args[0] == "--write-seeds")
{
    Seeds.Write(args[1]);
    return 0;
}
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: JupyterKernels.Fuzz TARGET [--replay FILE...]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    foreach (var file in args.Skip(2))
    {
        target(File.ReadAllBytes(file));
        Console.WriteLine($"ok {file}");
    }
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
