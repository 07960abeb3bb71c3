using JupyterKernels.Connections;
using JupyterKernels.Tests.Architecture.Probe.High;
using JupyterKernels.Tests.Architecture.Probe.Low;
using JupyterKernels.Tests.Module;

namespace JupyterKernels.Tests.Architecture
{
    /// <summary>The folder tree is the architecture: a type may use its own layer and the layers below it, never one
    /// above or a sibling on its own level (docs/ARCHITECTURE.md lists the layers); the cmdlets use only the Service,
    /// the model and the errors. Fast: reflection and metadata only, no process.</summary>
    public class LayerTests
    {
        [Fact]
        public void Core_ImportsOnlyDownward()
        {
            var upward = LayerRules.UpwardReferences(typeof(KernelClient).Assembly, LayerRules.CoreLayers);
            Assert.True(upward.Count == 0, "Upward or sideways references (lower layer -> higher or sibling layer):\n" + string.Join("\n", upward));
        }

        [Fact]
        public void Core_EveryNamespaceIsALayer()
        {
            var strays = typeof(KernelClient).Assembly.GetTypes()
                .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("Microsoft.", StringComparison.Ordinal)
                            && !t.Namespace.StartsWith("System.", StringComparison.Ordinal)
                            && LayerRules.LayerOf(t.Namespace, LayerRules.CoreLayers).Level < 0)
                .Select(t => t.FullName)
                .ToList();
            Assert.True(strays.Count == 0, "Types outside every layer: " + string.Join(", ", strays));
        }

        [Fact]
        public void Cmdlets_UseOnlyTheServiceAndTheModel()
        {
            // The built module (out/JupyterKernels), read through metadata: the cmdlets need PowerShell to load.
            using var module = new ModuleLayout();
            // What the Service's public members hand out or take (options, results, observers) is part of it.
            var serviceSurface = LayerRules.PublicClosure(module.Core, new[] { "JupyterKernels.Service" });
            var outside = LayerRules.ReferencesOutside(module.CmdletsDllPath, module.Cmdlets, "JupyterKernels", LayerRules.CmdletsMayUse, serviceSurface);
            Assert.True(outside.Count == 0, "The cmdlets use the core beyond the Service, the model and the errors:\n" + string.Join("\n", outside)
                + "\n\nThe Service's surface:\n" + string.Join("\n", serviceSurface.Order()));
        }

        [Fact]
        public void Checker_SeesEveryKindOfUpwardReference()
        {
            // Probe types in this test assembly: each Low type uses High in one way only.
            var layers = LayerRules.Levels("JupyterKernels.Tests.Architecture.Probe.Low", "JupyterKernels.Tests.Architecture.Probe.High");
            var upward = LayerRules.UpwardReferences(typeof(LayerTests).Assembly, layers);
            void Seen(string type, string how) =>
                Assert.Contains(upward, u => u.StartsWith($"JupyterKernels.Tests.Architecture.Probe.Low.{type} ", StringComparison.Ordinal) && u.Contains(how, StringComparison.Ordinal));
            Seen("ByField", "field");
            Seen("BySignature", "parameter");
            Seen("ByBody", "body");
            Seen("ByLambda", "body");
            Seen("ByCatch", "catch clause");
            Seen("ByTypeConstraint`1", "generic constraint");
            Seen("ByMethodConstraint", "generic constraint");
            Seen("ByAttributeArgument", "attribute");
            Seen("ByMemberAttributeArgument", "attribute");
            Assert.DoesNotContain(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.High.", StringComparison.Ordinal));
            Assert.Equal(9, upward.Select(u => u.Split(' ')[0]).Distinct().Count());
        }

        [Fact]
        public void Checker_SeesSiblingsOnOneLevel()
        {
            var levels = new[]
            {
                new[] { "JupyterKernels.Tests.Architecture.Probe.Low" },
                new[] { "JupyterKernels.Tests.Architecture.Probe.High", "JupyterKernels.Tests.Architecture.Probe.Sibling" },
            };
            var found = LayerRules.UpwardReferences(typeof(LayerTests).Assembly, levels);
            Assert.Contains(found, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Sibling.Beside ", StringComparison.Ordinal)
                                        && u.Contains("-> JupyterKernels.Tests.Architecture.Probe.High.Upper", StringComparison.Ordinal));
            // Downward from either sibling is allowed.
            Assert.DoesNotContain(found, u => u.Contains("-> JupyterKernels.Tests.Architecture.Probe.Low.Lower ", StringComparison.Ordinal));
        }

        [Fact]
        public void Checker_SeesAnotherAssemblysUseOutsideWhatItMayUse()
        {
            // This test assembly used as "the user" of the core: it names Connections (KernelClient), which is outside
            // the root and the Service; and a typeof in an attribute argument counts too.
            var path = typeof(LayerTests).Assembly.Location;
            var outside = LayerRules.ReferencesOutside(path, typeof(LayerTests).Assembly, "JupyterKernels", LayerRules.CmdletsMayUse);
            Assert.Contains(outside, u => u.EndsWith("-> JupyterKernels.Connections.KernelClient via type reference", StringComparison.Ordinal));
            Assert.Contains(outside, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Low.NamesTheCoreInAnAttribute -> JupyterKernels.Transport.Zmq.", StringComparison.Ordinal)
                                          && u.EndsWith("via attribute argument", StringComparison.Ordinal));
            Assert.DoesNotContain(outside, u => u.Contains("-> JupyterKernels.KernelSpec ", StringComparison.Ordinal));
        }
    }
}

namespace JupyterKernels.Tests.Architecture.Probe.High
{
    internal sealed class Upper
    {
        public static int Value() => 42;
        public Lower? Down; // downward: allowed
    }

    internal sealed class UpperException : Exception { }
}

namespace JupyterKernels.Tests.Architecture.Probe.Sibling
{
    internal sealed class Beside { public static int Run() => Upper.Value(); }
}

namespace JupyterKernels.Tests.Architecture.Probe.Low
{
    [AttributeUsage(AttributeTargets.All)]
    internal sealed class NamesAttribute : Attribute { public NamesAttribute(Type t) => Named = t; public Type Named { get; } }

    internal sealed class Lower { }
    internal sealed class ByField { public List<Upper>? Uppers; }
    internal sealed class BySignature { public static void Take(Upper? _) { } }
    internal sealed class ByBody { public static int Run() => Upper.Value(); }
    internal sealed class ByLambda { public static Func<int> Run() => () => Upper.Value() + 1; }

    internal sealed class ByCatch
    {
        public static int Run(Action a)
        {
            try { a(); return 0; }
            catch (UpperException) { return 1; }
        }
    }

    internal sealed class ByTypeConstraint<T> where T : Exception, IEquatable<UpperException> { }

    internal sealed class ByMethodConstraint
    {
        public static int Count<T>(T[] items) where T : IComparable<UpperException> => items.Length;
    }

    [Names(typeof(Upper))]
    internal sealed class ByAttributeArgument { }

    internal sealed class ByMemberAttributeArgument
    {
        [Names(typeof(List<Upper>))]
        public int Value;
    }

    [Names(typeof(JupyterKernels.Transport.Zmq.ZmtpFrame))]
    internal sealed class NamesTheCoreInAnAttribute { }
}
