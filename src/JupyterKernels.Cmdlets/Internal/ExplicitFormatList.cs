using System.Collections;
using System.Management.Automation;
using System.Reflection;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Lets an output's view (module/Format.ps1xml) tell an explicit <c>Format-List</c> from the default display. The
/// output views are out of band, so that a cell reads as its text even after a table in the same pipeline; PowerShell's
/// formatter then uses them for <c>Format-List</c> too unless <c>-Force</c> is given, and never tells a view which
/// command formats it. While a view's script runs, the command running is the one formatting the object: when that is
/// Format-List, the view lists the properties itself (<c>Format-List @parameters -Force</c>), so
/// <c>$out | Format-List *</c> shows what it shows for any other object.
/// The command is read from PowerShell's own execution context, which has no public accessor: if a PowerShell version
/// lacks any of those members, the answer is null and the views show the value, as <c>Format-List</c> shows an
/// ErrorRecord (<c>-Force</c> still lists its properties).
/// </summary>
public static class ExplicitFormatList
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const string FormatListCommandType = "Microsoft.PowerShell.Commands.FormatListCommand";

    private static readonly Lazy<Accessors?> Members = new(Resolve);

    /// <summary>
    /// The parameters Format-List was given (without its input object) when Format-List is formatting the current
    /// object; null for the default display, Format-Table, Out-String and the rest.
    /// </summary>
    public static Hashtable? Parameters()
    {
        if (Members.Value is not { } members) return null;
        try
        {
            var context = members.ExecutionContext.Invoke(null, null);
            var processor = context is null ? null : members.CurrentCommandProcessor.GetValue(context);
            if ((processor is null ? null : members.Command.GetValue(processor)) is not PSCmdlet command
                || command.GetType().FullName != FormatListCommandType) return null;
            var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in command.MyInvocation.BoundParameters)
                if (!string.Equals(name, "InputObject", StringComparison.OrdinalIgnoreCase)) parameters[name] = value;
            return parameters;
        }
        catch (Exception e) when (e is TargetInvocationException or InvalidCastException or MemberAccessException)
        {
            return null;
        }
    }

    private sealed record Accessors(MethodInfo ExecutionContext, PropertyInfo CurrentCommandProcessor, PropertyInfo Command);

    private static Accessors? Resolve()
    {
        var engine = typeof(PSObject).Assembly;
        var getContext = engine.GetType("System.Management.Automation.Runspaces.LocalPipeline")
            ?.GetMethod("GetExecutionContextFromTLS", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, Type.EmptyTypes);
        var current = getContext?.ReturnType.GetProperty("CurrentCommandProcessor", Instance);
        var command = current?.PropertyType.GetProperty("Command", Instance);
        return getContext is null || current is null || command is null ? null : new Accessors(getContext, current, command);
    }
}
