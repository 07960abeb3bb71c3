using JupyterKernels.Service;

namespace JupyterKernels.Tests.Service;

public sealed class StreamLineJoinerTests
{
    private static KernelStreamOutput Chunk(string text, string name = "stdout") => new() { KernelId = "k", ParentMsgId = "m", Name = name, Text = text };

    [Fact]
    public void Xeus_pythons_four_chunks_of_one_print_are_one_line()
    {
        var joiner = new StreamLineJoiner();
        var written = new[] { "got", " ", "Ada", "\n" }.SelectMany(t => joiner.Add(Chunk(t))).ToList();
        Assert.Null(joiner.Flush());
        var line = Assert.Single(written);
        Assert.Equal("got Ada\n", ((KernelStreamOutput)line).Text);
    }

    [Fact]
    public void A_partial_line_goes_out_before_another_output_another_stream_and_at_the_end()
    {
        var joiner = new StreamLineJoiner();
        Assert.Empty(joiner.Add(Chunk("Name? ")));
        var onError = joiner.Add(Chunk("bad\n", "stderr")).Cast<KernelStreamOutput>().ToList();
        Assert.Equal(new[] { ("stdout", "Name? "), ("stderr", "bad\n") }, onError.Select(o => (o.Name, o.Text)));
        Assert.Empty(joiner.Add(Chunk("half")));
        var display = new KernelDisplayData { KernelId = "k", Data = new Dictionary<string, object?>() };
        Assert.Equal(2, joiner.Add(display).Count());
        Assert.Single(joiner.Add(Chunk("a\nb\nc")));
        Assert.Equal("c", joiner.Flush()!.Text);
    }

    [Fact]
    public void A_joined_line_keeps_its_first_chunks_kernel_name_execution_count_and_index()
    {
        var joiner = new StreamLineJoiner();
        var first = new KernelStreamOutput { KernelId = "k", KernelName = "python3", ExecutionCount = 4, OutputIndex = 0, ParentMsgId = "m", Name = "stdout", Text = "got" };
        Assert.Empty(joiner.Add(first));
        var line = (KernelStreamOutput)Assert.Single(joiner.Add(Chunk(" Ada\n")));
        Assert.Equal(("got Ada\n", "python3", 4, 0), (line.Text, line.KernelName, line.ExecutionCount, line.OutputIndex));
        Assert.Equal("python3 k", line.KernelLabel);
    }
}
