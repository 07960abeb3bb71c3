using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// A duration parameter must be positive and finite: a negative or zero timeout used to reach the core as an
/// argument no wait accepts, and hung the command. Binding fails instead, with PowerShell's own
/// ParameterArgumentValidationError id.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePositiveTimeSpanAttribute : ValidateArgumentsAttribute
{
    /// <summary>The longest duration accepted: about 24 days, the longest a .NET timer can wait.</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is not TimeSpan span) return;
        if (span <= TimeSpan.Zero)
            throw new ValidationMetadataException($"The duration {span} is not positive. Give a positive TimeSpan or number of seconds.");
        if (span > Maximum)
            throw new ValidationMetadataException($"The duration {span} is longer than the {Maximum.TotalDays:0} days a wait can last. Omit the parameter to wait without limit.");
    }
}
