using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>
/// Ctrl-C during a run, then <c>--resume</c>: the finished images are written at once, the batch in flight is saved, the
/// summary says it is partial, the exit code is 130, and resuming gives the results of a run that was never stopped.
/// </summary>
public sealed class AttackCommandResumeTests : IDisposable
{
    private static readonly string Root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
    private readonly TempFolder _temp = new();

    // Batch 1 (ankle boot, pullover) is fooled at once; batch 2 (two trousers) resists and runs to the query budget.
    private static string[] Samples => [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(6)];

    private static string[] Options => ["--model", Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json"), "--eps", "0.05", "--max-queries", "20000", "--batch", "2", "--seed", "4", "--provider", "cpu"];

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Runs the command line on a thread of its own: its attack loop is synchronous, and the test polls the output
    /// folder meanwhile without needing the thread pool (which parallel tests may keep busy).
    /// </summary>
    private static Task<CliRun> OnOwnThread(string[] args, CancellationToken ctrlC)
    {
        var done = new TaskCompletionSource<CliRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(CliRun.InvokeAsync(args, ctrlC).GetAwaiter().GetResult());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    /// <summary>Waits until <paramref name="file"/> exists (the run wrote that image), failing if the run ends first.</summary>
    private static void WaitWritten(string file, Task<CliRun> running)
    {
        while (!File.Exists(file))
        {
            Assert.False(running.IsCompleted, $"the run ended before {file} was written: {(running.IsCompleted ? running.Result.AllText : string.Empty)}");
            Thread.Sleep(2);
        }
    }

    [Fact]
    public async Task CtrlC_ThenResume_SameResultsAsARunNeverStopped()
    {
        string straight = _temp.File("straight"), stopped = _temp.File("stopped");
        CliRun reference = await CliRun.InvokeAsync(["attack", .. Samples, .. Options, "--out", straight]);
        Assert.True(reference.ExitCode == 0, reference.AllText);

        // Stop while the second batch is being attacked: its first trouser is fooled (and written) after about 500
        // queries, its second resists to the 20,000-query budget, 25 queries a slice; Ctrl-C is seen within a slice.
        using var ctrlC = new CancellationTokenSource();
        Task<CliRun> running = OnOwnThread(["attack", .. Samples, .. Options, "--out", stopped], ctrlC.Token);
        WaitWritten(Path.Combine(stopped, Path.GetFileNameWithoutExtension(Samples[2]), "report.json"), running);
        ctrlC.Cancel();   // synchronous: the callbacks that pass it on do not wait for a pool thread
        CliRun interrupted = await running;

        Assert.True(interrupted.ExitCode == 130, interrupted.AllText);
        // Batch 1 and batch 2's first trouser are written; the second trouser's state is saved; batch 3 never started.
        Assert.True(interrupted.Errors.Contains("Stopped: 3 inputs finished and written, 1 saved mid-attack, 2 not started", StringComparison.Ordinal), interrupted.AllText);
        const int finished = 3;
        Assert.True(File.Exists(Path.Combine(stopped, ".advaudit-run", "batch.bin")));
        Assert.Equal(finished, Directory.GetFiles(stopped, "report.json", SearchOption.AllDirectories).Length);
        AuditSummary partial = SchemaCheck.Summary(await File.ReadAllTextAsync(Path.Combine(stopped, "summary.json")));
        Assert.StartsWith("Partial:", partial.Notes[0], StringComparison.Ordinal);
        Assert.Equal(finished, partial.Counts.Images);

        CliRun resumed = await CliRun.InvokeAsync(["attack", .. Samples, .. Options, "--out", stopped, "--resume"]);

        Assert.True(resumed.ExitCode == 0, resumed.AllText);
        Assert.Contains("Resuming: 2 images finished before, 2 resumed from their saved state, 2 to attack", resumed.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(stopped, ".advaudit-run")));
        foreach (string name in Samples.Select(f => Path.GetFileNameWithoutExtension(f)!))
        {
            AttackReport expected = SchemaCheck.Report(await File.ReadAllTextAsync(Path.Combine(straight, name, "report.json")));
            AttackReport actual = SchemaCheck.Report(await File.ReadAllTextAsync(Path.Combine(stopped, name, "report.json")));
            Assert.Equal((expected.Outcome.Status, expected.Outcome.Queries, expected.Outcome.EpsStar), (actual.Outcome.Status, actual.Outcome.Queries, actual.Outcome.EpsStar));
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(straight, name, "adversarial.png")), await File.ReadAllBytesAsync(Path.Combine(stopped, name, "adversarial.png")));
        }

        AuditSummary whole = SchemaCheck.Summary(await File.ReadAllTextAsync(Path.Combine(stopped, "summary.json")));
        Assert.Equal(6, whole.Counts.Images);
        Assert.DoesNotContain(whole.Notes, n => n.StartsWith("Partial:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Attack_ImageFinishedEarlyInItsBatch_WrittenWhileTheOtherIsStillAttacked()
    {
        string folder = _temp.File("early");
        string fast = Samples[0], slow = Samples[3];   // ankle boot: fooled in a few queries; this trouser resists to the budget
        Task<CliRun> running = OnOwnThread(["attack", fast, slow, .. Options, "--out", folder], CancellationToken.None);
        string fastReport = Path.Combine(folder, Path.GetFileNameWithoutExtension(fast), "report.json");
        while (!File.Exists(fastReport) && !running.IsCompleted)
        {
            Thread.Sleep(2);
        }

        bool slowWrittenYet = Directory.Exists(Path.Combine(folder, Path.GetFileNameWithoutExtension(slow)));
        bool runFinishedYet = running.IsCompleted;
        CliRun run = await running;

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.False(runFinishedYet, "the run ended before the first image's folder was seen");
        Assert.False(slowWrittenYet, "the fast image was written only with its batch");
        AttackReport early = SchemaCheck.Report(await File.ReadAllTextAsync(fastReport));
        Assert.True(early.Outcome.Success);
        Assert.Equal(2, SchemaCheck.Summary(await File.ReadAllTextAsync(Path.Combine(folder, "summary.json"))).Counts.Images);
    }

    [Fact]
    public async Task Resume_NothingStoppedOrOtherOptions_ExitsTwoSayingWhatToDo()
    {
        string folder = _temp.File("out");
        CliRun nothing = await CliRun.InvokeAsync(["attack", Samples[0], .. Options, "--out", folder, "--resume"]);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("holds no stopped run", nothing.Errors, StringComparison.Ordinal);

        using var ctrlC = new CancellationTokenSource();
        Task<CliRun> running = OnOwnThread(["attack", .. Samples.Take(4), .. Options, "--out", folder], ctrlC.Token);
        WaitWritten(Path.Combine(folder, Path.GetFileNameWithoutExtension(Samples[2]), "report.json"), running);
        ctrlC.Cancel();   // synchronous: the callbacks that pass it on do not wait for a pool thread
        CliRun interrupted = await running;
        Assert.True(interrupted.ExitCode == 130, interrupted.AllText);

        CliRun other = await CliRun.InvokeAsync(["attack", .. Samples.Take(4), .. Options.Select(o => o == "0.05" ? "0.1" : o), "--out", folder, "--resume"]);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("used other options or models", other.Errors, StringComparison.Ordinal);
    }
}
