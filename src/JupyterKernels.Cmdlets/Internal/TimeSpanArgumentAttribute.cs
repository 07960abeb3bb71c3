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
            long l => TimeSpan.FromSeconds(l),
            double d => TimeSpan.FromSeconds(d),
            decimal m => TimeSpan.FromSeconds((double)m),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) => TimeSpan.FromSeconds(secs),
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => inputData,
        };
    }
}
