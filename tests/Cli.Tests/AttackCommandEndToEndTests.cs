using System.Globalization;
using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Xunit.Abstractions;

namespace AttackCli.Tests;

/// <summary>
/// One run of <c>advaudit attack</c> over all shared photos with the defaults (untargeted, L-inf, eps 0.05,
/// 10,000 queries), shared by the assertions below.
/// </summary>
public sealed class SharedPhotosRunFixture : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _temp = new();

    internal CliRun? Run { get; private set; }

    internal string OutDir => _temp.File("out");

    public async Task InitializeAsync()
    {
        if (SharedAssets.MissingReason is null)
        {
            Run = await CliRun.InvokeAsync(["attack", SharedAssets.ImagesPath, .. SharedAssets.ModelArgs, "--out", OutDir]);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _temp.Dispose();
}

public class AttackCommandEndToEndTests(SharedPhotosRunFixture fixture, ITestOutputHelper log) : IClassFixture<SharedPhotosRunFixture>
{
    private const double Epsilon = 0.05;

    private CliRun Run => fixture.Run ?? throw new InvalidOperationException("The shared run did not happen.");

    private static IEnumerable<string> PhotoNames => SharedAssets.Photos.Select(Path.GetFileNameWithoutExtension)!;

    private string Folder(string photo) => Path.Combine(fixture.OutDir, photo);

    [SharedPhotosFact]
    public void Attack_SharedPhotos_ExitsZeroAndWritesEveryFilePerPhoto()
    {
        Assert.True(Run.ExitCode == 0, $"exit {Run.ExitCode}\n{Run.AllText}");
        Assert.Equal(14, SharedAssets.Photos.Count);
        foreach (string photo in PhotoNames)
        {
            foreach (string file in new[] { "clean.png", "adversarial.png", "perturbation.png", "report.json", "report.html" })
            {
                Assert.True(File.Exists(Path.Combine(Folder(photo), file)), $"{photo}/{file} missing");
            }

            Assert.False(File.Exists(Path.Combine(Folder(photo), "error.json")), $"{photo} has an error.json");
        }

        Assert.Equal(PhotoNames.Order(StringComparer.Ordinal), Directory.GetDirectories(fixture.OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [SharedPhotosFact]
    public void Attack_SharedPhotos_ReportsDescribeTheRequestedAttack()
    {
        foreach (string photo in PhotoNames)
        {
            AttackReport report = ReadReport(photo);
            Assert.Equal("square", report.Attack.Name, ignoreCase: true);
            Assert.Equal(Epsilon, report.Attack.Eps, 9);
            Assert.False(report.Attack.Targeted);
            Assert.Equal(10_000, report.Attack.MaxQueries);
            Assert.Equal(photo + ".png", report.Input.Name);
            Assert.Contains("<html", File.ReadAllText(Path.Combine(Folder(photo), "report.html")), StringComparison.OrdinalIgnoreCase);
        }
    }

    [SharedPhotosFact]
    public void Attack_SharedPhotos_FoolsMostAndEveryClaimSurvivesIndependentVerification()
    {
        Assert.Equal(0, Run.ExitCode);
        using var verifier = new Verifier();
        var fooledQueries = new List<int>();
        foreach (string photo in PhotoNames)
        {
            AttackReport report = ReadReport(photo);
            string clean = Path.Combine(Folder(photo), "clean.png");
            string adversarial = Path.Combine(Folder(photo), "adversarial.png");

            int cleanTop1 = verifier.Top1(clean);
            Assert.Equal(report.Clean.Top5[0].Index, cleanTop1);

            (double lInf, double l2) = Verifier.Distance(clean, adversarial);
            Assert.True(lInf <= Epsilon + 1e-9, $"{photo}: L-inf {lInf} above {Epsilon}");
            Assert.NotNull(report.Perturbation);
            Assert.Equal(lInf, report.Perturbation.LInf, 6);
            Assert.Equal(l2, report.Perturbation.L2, 4);

            int adversarialTop1 = verifier.Top1(adversarial);
            Assert.NotNull(report.Adversarial);
            Assert.Equal(report.Adversarial.Top5[0].Index, adversarialTop1);
            Assert.True(report.Adversarial.Verified == (report.Outcome.Status == OutcomeStatus.Fooled), $"{photo}: verified flag disagrees with status {report.Outcome.Status}");
            if (report.Outcome.Status == OutcomeStatus.Fooled)
            {
                Assert.True(report.Outcome.Success);
                Assert.NotEqual(cleanTop1, adversarialTop1);
                Assert.InRange(report.Outcome.Queries, 1, 10_000);
                Assert.NotNull(report.Outcome.EpsStar);
                Assert.InRange(report.Outcome.EpsStar.Value, lInf - 1e-9, Epsilon + 1e-9);
                fooledQueries.Add(report.Outcome.Queries);
            }
            else
            {
                Assert.Equal(OutcomeStatus.NotFooled, report.Outcome.Status);
                Assert.Equal(cleanTop1, adversarialTop1);
            }
        }

        int total = PhotoNames.Count();
        fooledQueries.Sort();
        double median = fooledQueries.Count == 0 ? double.NaN
            : fooledQueries.Count % 2 == 1 ? fooledQueries[fooledQueries.Count / 2]
            : (fooledQueries[(fooledQueries.Count / 2) - 1] + fooledQueries[fooledQueries.Count / 2]) / 2.0;
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Success rate {fooledQueries.Count}/{total} ({100.0 * fooledQueries.Count / total:0.#}%); queries over fooled photos: mean {(fooledQueries.Count == 0 ? double.NaN : fooledQueries.Average()):0.0}, median {median:0.#}; run took {Run.Elapsed.TotalSeconds:0.0} s"));
        log.WriteLine(Run.Output);
        Assert.True(fooledQueries.Count >= 12, $"fooled only {fooledQueries.Count} of {total}");
    }

    [SharedPhotosFact]
    public void Attack_SharedPhotos_SummaryTableCountsAndPointsToResults()
    {
        Assert.Contains(fixture.OutDir, Run.Output, StringComparison.Ordinal);
        Assert.Contains("0 inputs failed", Run.Output, StringComparison.Ordinal);
        foreach (string photo in PhotoNames)
        {
            Assert.Contains(photo, Run.Output, StringComparison.Ordinal);
        }
    }

    private AttackReport ReadReport(string photo) =>
        SchemaCheck.Report(File.ReadAllText(Path.Combine(Folder(photo), "report.json")));
}
