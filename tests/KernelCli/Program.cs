// KernelCli: one service call per process, configured by the Jupyter/JupyterKernels environment variables.
//   KernelCli start <spec> [session]   prints the kernel id
//   KernelCli exec <kernelId> <code>   prints stdout, then "status=<status>"
//   KernelCli list                     prints "<id> <state> <session>" per kernel
//   KernelCli session <name> <spec>    prints the session's kernel id (create or reuse)
using JupyterKernels;
using JupyterKernels.Connections;
using JupyterKernels.Service;

using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
var service = KernelService.Shared;
try
{
    switch (args[0])
    {
        case "start":
            var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = args[1], SessionName = args.Length > 2 ? args[2] : null }, null, cts.Token);
            Console.WriteLine(kernel.Id);
            return 0;
        case "exec":
            var execution = await service.ExecuteAsync(args[1], args[2], new ExecuteOptions(), cts.Token);
            await foreach (var output in execution.Outputs.ReadAllAsync(cts.Token))
                if (output is KernelStreamOutput s) Console.Write(s.Text);
            Console.WriteLine($"status={(await execution.Completion).Status}");
            return 0;
        case "list":
            foreach (var k in await service.GetKernelsAsync(cts.Token)) Console.WriteLine($"{k.Id} {k.State} {k.Session}");
            return 0;
        case "session":
            var session = await service.NewSessionAsync(args[1], args[2], null, null, null, cts.Token);
            Console.WriteLine(session.KernelId);
            return 0;
        default:
            Console.Error.WriteLine("unknown command");
            return 2;
    }
}
catch (KernelException e)
{
    Console.Error.WriteLine($"{e.ErrorId}: {e.Message}");
    return 1;
}
