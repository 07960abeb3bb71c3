using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Get-KernelSubShell: lists subshells. Without a kernel it lists those of every kernel that has subshells; kernels
/// piped in (Get-Kernel | Get-KernelSubShell) are a listing too. A listing skips kernels without subshells (protocol
/// before 5.5, e.g. ipykernel 6) and kernels known dead; a kernel named with -KernelId that has none is an error.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KernelSubShell", DefaultParameterSetName = AllParameterSet)]
[OutputType(typeof(KernelSubShell))]
public sealed class GetKernelSubShellCommand : KernelTargetCmdletBase
{
    private const string AllParameterSet = "All";
    private bool _kernelNamed;

    [Parameter(HelpMessage = "Only these subshell ids; wildcards are allowed.")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? SubShellId { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // Bound now = typed on the command line (pipeline input binds later, per record).
        _kernelNamed = MyInvocation.BoundParameters.ContainsKey(nameof(KernelId));
    }

    protected override void ProcessRecord()
    {
        var targets = ParameterSetName == AllParameterSet
            ? RunOrThrow(ct => Service.GetKernelsAsync(ct), null).Where(k => k.State != KernelState.Dead).Select(k => (k.Id, Label: k.Id))
            : TargetKernels();
        foreach (var (id, _) in targets)
        {
            IReadOnlyList<KernelSubShell> subShells;
            try
            {
                subShells = Run(ct => Service.GetSubShellsAsync(id, ct));
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (KernelException e) when (e.ErrorId == ErrorIds.SubShellsNotSupported && !_kernelNamed)
            {
                WriteVerbose($"Skipped: {e.Message}");
                continue;
            }
            catch (Exception e)
            {
                WriteError(ErrorRecords.From(e, id));
                continue;
            }
            // A listing of every kernel names none of them: a subshell id it lacks is no error there.
            WriteMatching(subShells, SubShellId, s => s.SubShellId, ParameterSetName == AllParameterSet ? null
                : wanted => ErrorRecords.Simple(ErrorIds.SubShellNotFound, ErrorCategory.ObjectNotFound, $"Kernel {id} has no subshell '{wanted}'.", wanted));
        }
    }
}
