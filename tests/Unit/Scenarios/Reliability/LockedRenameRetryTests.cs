namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// The rename that ends every atomic write, when the target is held for a moment by another process (Windows:
/// antivirus, the indexer, OneDrive open files without FILE_SHARE_DELETE): retried on access denied and sharing
/// violation, known by their codes whatever the message says; a bounded number of times; then that error. The failures
/// are injected (Linux cannot refuse a rename this way) and the waits recorded, not slept.
/// </summary>
public sealed class LockedRenameRetryTests : IDisposable
{
    private const int SharingViolation = unchecked((int)0x80070020);
    private const int DiskFull = unchecked((int)0x80070070);
    private readonly string _folder = Directory.CreateTempSubdirectory("jk-rename-").FullName;
    private readonly List<TimeSpan> _waits = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (string Temp, string Target) Files()
    {
        var temp = Path.Combine(_folder, ".target.json.1.ab.tmp");
        var target = Path.Combine(_folder, "target.json");
        File.WriteAllText(temp, "new");
        File.WriteAllText(target, "old");
        return (temp, target);
    }

    /// <summary>A move that fails with <paramref name="failures"/> in turn, then renames for real.</summary>
    private static Action<string, string> FailingThen(params Exception[] failures)
    {
        var calls = 0;
        return (temp, target) =>
        {
            if (calls < failures.Length) throw failures[calls++];
            File.Move(temp, target, overwrite: true);
        };
    }

    [Fact]
    public void A_target_held_for_a_moment_is_replaced_once_it_is_released()
    {
        var (temp, target) = Files();
        // Messages in another language: only the codes are read.
        var move = FailingThen(new IOException("Der Prozess kann nicht auf die Datei zugreifen", SharingViolation),
            new UnauthorizedAccessException("Zugriff verweigert"));

        AtomicFile.ReplaceRetryingLocked(temp, target, move, _waits.Add);

        Assert.Equal("new", File.ReadAllText(target));
        Assert.False(File.Exists(temp));
        Assert.Equal(AtomicFile.LockedRetryDelays.Take(2), _waits);
    }

    [Fact]
    public void A_target_held_longer_than_the_retries_gives_the_error_itself_after_a_bounded_wait()
    {
        var (temp, target) = Files();
        var attempts = 0;
        void Move(string t, string p)
        {
            attempts++;
            throw new IOException($"sharing violation {attempts}", SharingViolation);
        }

        var e = Assert.Throws<IOException>(() => AtomicFile.ReplaceRetryingLocked(temp, target, Move, _waits.Add));

        Assert.Equal(SharingViolation, e.HResult);
        Assert.Equal($"sharing violation {attempts}", e.Message);
        Assert.Equal(AtomicFile.LockedRetryDelays.Length + 1, attempts);
        Assert.Equal(AtomicFile.LockedRetryDelays, _waits);
        Assert.True(_waits.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= TimeSpan.FromSeconds(2));
        Assert.Equal("old", File.ReadAllText(target));
    }

    [Fact]
    public void Other_failures_are_not_retried()
    {
        var (temp, target) = Files();
        foreach (var failure in new Exception[] { new IOException("disk full", DiskFull), new DirectoryNotFoundException("gone"), new InvalidOperationException("bug") })
        {
            var attempts = 0;
            void Move(string t, string p)
            {
                attempts++;
                throw failure;
            }
            var thrown = Assert.ThrowsAny<Exception>(() => AtomicFile.ReplaceRetryingLocked(temp, target, Move, _waits.Add));
            Assert.Same(failure, thrown);
            Assert.Equal(1, attempts);
        }
        Assert.Empty(_waits);
    }

    [Fact]
    public void Locked_is_told_by_code_and_type()
    {
        Assert.True(AtomicFile.IsBrieflyLocked(new IOException("x", SharingViolation)));
        Assert.True(AtomicFile.IsBrieflyLocked(new UnauthorizedAccessException("x")));
        Assert.False(AtomicFile.IsBrieflyLocked(new IOException("The process cannot access the file because it is being used by another process")));
    }

    [Fact]
    public void A_write_goes_through_the_rename_and_leaves_no_temporary_file()
    {
        var target = Path.Combine(_folder, "written.json");
        File.WriteAllText(target, "old");
        AtomicFile.Write(target, "new"u8, userOnly: false, durable: false);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(_folder));
    }
}
