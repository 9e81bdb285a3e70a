using System.Text.RegularExpressions;
using AttackCore.Engine;

namespace AttackCli.Tests;

/// <summary>The progress display written to a file (not a terminal): per attack, monotonic, never a silent restart.</summary>
public sealed partial class ProgressDisplayTests
{
    [Fact]
    public void Redirected_PlanOverTwoBatches_SaysWhenTheNextAttackStartsAndTheOverallCountNeverGoesBack()
    {
        using var errors = new StringWriter();
        var sut = new ProgressDisplay(errors, total: 8);

        // Batch 1 (5 images): fgsm fools 4, square takes the fifth.
        IProgress<AttackProgress> batch = sut.ForBatch();
        batch.Report(new AttackProgress(0, 5, 0, null, "fgsm", 0, 2, StageImages: 5, StageDone: 0));
        batch.Report(new AttackProgress(5, 5, 5, null, "fgsm", 0, 2, StageImages: 5, StageDone: 5));
        batch.Report(new AttackProgress(4, 5, 40, 0.5, "square", 1, 2, StageImages: 1, StageDone: 0, ImagesFinished: 4));
        batch.Report(new AttackProgress(5, 5, 90, null, null, 1, 2, ImagesFinished: 5));
        sut.BatchDone(5);

        // An unreadable input, then batch 2 (2 images): fgsm fools both.
        sut.InputDone();
        batch = sut.ForBatch();
        batch.Report(new AttackProgress(0, 2, 0, null, "fgsm", 0, 2, StageImages: 2, StageDone: 0));
        batch.Report(new AttackProgress(2, 2, 2, null, null, 1, 2, ImagesFinished: 2));
        sut.BatchDone(2);
        sut.Finish();

        string text = errors.ToString();
        Assert.Contains("fgsm done on 5 images; now square (2 of 2) on the 1 not fooled yet", text, StringComparison.Ordinal);
        Assert.Contains("fgsm done on 2 images" + Environment.NewLine, text, StringComparison.Ordinal);
        int[] overall = [.. Overall().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.NotEmpty(overall);
        Assert.Equal(overall.Order(), overall);   // never goes back when the next attack or batch starts
        Assert.Single(Regex.Matches(text, @"\[8/8 images\]"));
        Assert.Contains("92 queries", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[(\d+)/8 images\]")]
    private static partial Regex Overall();
}
