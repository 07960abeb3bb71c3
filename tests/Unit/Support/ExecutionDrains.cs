using JupyterKernels.Connections;

namespace JupyterKernels.Tests.Support;

/// <summary>Reads an execution to its end: the text of every stream output, then the reply.</summary>
public static class ExecutionDrains
{
    public static async Task<(string Stdout, KernelExecuteReply Reply)> DrainAsync(KernelExecution execution, CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct))
            if (o is KernelStreamOutput s) text.Append(s.Text);
        return (text.ToString(), await execution.Completion.WaitAsync(ct));
    }
}
