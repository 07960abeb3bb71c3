using JupyterKernels.Connections;
using JupyterKernels.Tests.Architecture.Probe.High;
using JupyterKernels.Tests.Architecture.Probe.Low;

namespace JupyterKernels.Tests.Architecture
{
    /// <summary>The folder tree is the architecture: a type may use its own layer and the layers below it, never one
    /// above (docs/ARCHITECTURE.md lists the layers). Fast: reflection only, no process.</summary>
    public class LayerTests
    {
        [Fact]
        public void Core_ImportsOnlyDownward()
        {
            var upward = LayerRules.UpwardReferences(typeof(KernelClient).Assembly, LayerRules.CoreLayers);
            Assert.True(upward.Count == 0, "Upward references (lower layer -> higher layer):\n" + string.Join("\n", upward));
        }

        [Fact]
        public void Core_EveryNamespaceIsALayer()
        {
            var strays = typeof(KernelClient).Assembly.GetTypes()
                .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("Microsoft.", StringComparison.Ordinal)
                            && !t.Namespace.StartsWith("System.", StringComparison.Ordinal)
                            && LayerRules.LayerOf(t.Namespace, LayerRules.CoreLayers) < 0)
                .Select(t => t.FullName)
                .ToList();
            Assert.True(strays.Count == 0, "Types outside every layer: " + string.Join(", ", strays));
        }

        [Fact]
        public void Checker_SeesEveryKindOfUpwardReference()
        {
            // Probe types in this test assembly: Low uses High through a field, a signature and a method body only.
            var layers = new[] { "JupyterKernels.Tests.Architecture.Probe.Low", "JupyterKernels.Tests.Architecture.Probe.High" };
            var upward = LayerRules.UpwardReferences(typeof(LayerTests).Assembly, layers);
            Assert.Contains(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Low.ByField ", StringComparison.Ordinal) && u.Contains("field"));
            Assert.Contains(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Low.BySignature ", StringComparison.Ordinal) && u.Contains("parameter"));
            Assert.Contains(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Low.ByBody ", StringComparison.Ordinal) && u.Contains("body"));
            Assert.Contains(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.Low.ByLambda ", StringComparison.Ordinal) && u.Contains("body"));
            Assert.DoesNotContain(upward, u => u.StartsWith("JupyterKernels.Tests.Architecture.Probe.High.", StringComparison.Ordinal));
            Assert.Equal(4, upward.Select(u => u.Split(' ')[0]).Distinct().Count());
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
}

namespace JupyterKernels.Tests.Architecture.Probe.Low
{
    internal sealed class Lower { }
    internal sealed class ByField { public List<Upper>? Uppers; }
    internal sealed class BySignature { public static void Take(Upper? _) { } }
    internal sealed class ByBody { public static int Run() => Upper.Value(); }
    internal sealed class ByLambda { public static Func<int> Run() => () => Upper.Value() + 1; }
}
