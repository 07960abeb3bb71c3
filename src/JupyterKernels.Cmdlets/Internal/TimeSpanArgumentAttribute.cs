using System.Globalization;
using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Lets TimeSpan parameters take plain numbers as seconds (-Timeout 30) besides TimeSpan values and strings
/// ("00:00:30"). Without it PowerShell would read an integer as ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanArgumentAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => null,
            TimeSpan ts => ts,
            int i => TimeSpan.FromSeconds(i),
            long l => Seconds(l),
            double d => Seconds(d),
            decimal m => Seconds((double)m),
            // PowerShell's numeric suffixes make `30s` a short and `5u` a uint: every number is seconds, never ticks.
            sbyte or byte or short or ushort or uint or ulong or float => Seconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            System.Numerics.BigInteger n => Seconds((double)n),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) => Seconds(secs),
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => inputData,
        };
    }

    /// <summary>Seconds as a TimeSpan; NaN, infinity and out-of-range numbers fail the binding with a clear message.</summary>
    private static TimeSpan Seconds(double seconds)
    {
        if (!double.IsFinite(seconds) || Math.Abs(seconds) >= TimeSpan.MaxValue.TotalSeconds)
            throw new ArgumentTransformationMetadataException($"{seconds.ToString(CultureInfo.InvariantCulture)} is not a usable number of seconds (it must be finite).");
        return TimeSpan.FromSeconds(seconds);
    }
}
