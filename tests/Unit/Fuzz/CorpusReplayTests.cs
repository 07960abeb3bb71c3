using System.Diagnostics;
using JupyterKernels.Fuzz;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>
/// Replays every committed input of the coverage-guided fuzz targets (tests/Fuzz/corpus/TARGET/: the seeds, the
/// coverage afl found, and every input that ever crashed or hung, kept as crash-* / hang-*) through the same target
/// code afl-fuzz runs (tools/fuzz.sh). Fast: no fuzzing here, only the replay.
/// </summary>
public sealed class CorpusReplayTests
{
    private static string CorpusRoot => Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");

    public static TheoryData<string> Targets() => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_committed_input_is_handled_as_documented_and_quickly(string target)
    {
        var folder = Path.Combine(CorpusRoot, target);
        Assert.True(Directory.Exists(folder), $"no corpus for fuzz target {target} at {folder}");
        var files = Directory.GetFiles(folder);
        Assert.NotEmpty(files);
        var failures = new List<string>();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            var watch = Stopwatch.StartNew();
            try { FuzzTargets.All[target](File.ReadAllBytes(file)); }
            catch (Exception e) { failures.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
            // afl-fuzz runs with a 10 s hang limit; an input the parser needs seconds for is a finding too.
            if (watch.Elapsed > TimeSpan.FromSeconds(5)) failures.Add($"{Path.GetFileName(file)}: took {watch.Elapsed.TotalSeconds:0.0} s");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} inputs of {target}:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Every_target_has_a_corpus_folder_and_every_folder_a_target()
    {
        var folders = Directory.GetDirectories(CorpusRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(FuzzTargets.All.Keys.Order(StringComparer.Ordinal), folders);
    }
}
