using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public sealed class SurrogateTransferTests
{
    private static readonly AuditAttack Attack = new() { Norm = "linf", Eps = 16 / 255.0, MaxQueries = 10000, Seed = 0, Target = "none", Minimize = false };
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AttackReport Crafted(bool fooled, params string[] surrogates)
    {
        AttackReport sample = SampleReports.Fooled();
        return sample with
        {
            Attack = sample.Attack with { Name = "transfer", Surrogates = [.. surrogates.Select(s => new SurrogateInfo { Name = s, InputSize = 160 })] },
            Outcome = sample.Outcome with { Status = fooled ? OutcomeStatus.Fooled : OutcomeStatus.NotFooled, Success = fooled, Queries = 1, SurrogateGradientEvaluations = 10 * surrogates.Length },
        };
    }

    [Fact]
    public void Build_ReportsOfSurrogateAttacks_CountsPerSurrogateSetTargetAndAttack()
    {
        IReadOnlyList<SurrogateTransferRow> sut = SurrogateTransfer.Build(
        [
            Crafted(true, "v1"),
            Crafted(false, "v1"),
            Crafted(true, "v1", "v3"),
            SampleReports.Fooled(),
            null,
            Crafted(true, "v1"),
        ]);

        Assert.Equal(2, sut.Count);
        Assert.Equal(["v1"], sut[0].Surrogates);
        Assert.Equal(("inception-v3-timm", "transfer"), (sut[0].TargetModel, sut[0].Attack));
        Assert.Equal((3, 2), (sut[0].Attacked, sut[0].Fooled));
        Assert.Equal(2.0 / 3, sut[0].Rate!.Value, 12);
        Assert.Equal((1.0, 10.0), (sut[0].MeanTargetQueries, sut[0].MeanSurrogateGradientEvaluations));
        Assert.Equal(["v1", "v3"], sut[1].Surrogates);
        Assert.Equal((1, 20.0), (sut[1].Attacked, sut[1].MeanSurrogateGradientEvaluations));
    }

    [Fact]
    public void AuditSummaryBuilder_SurrogateAttack_TableInJsonHtmlAndCsvColumn()
    {
        AuditSummary sut = AuditSummaryBuilder.Build("id", "test", Attack,
        [
            new AuditImageInput("a.png", "a", null, Crafted(true, "v1")),
            new AuditImageInput("b.png", "b", null, Crafted(false, "v1")),
        ], Start, Start.AddSeconds(1));

        SurrogateTransferRow row = Assert.Single(sut.SurrogateTransfer!);
        Assert.Equal((2, 1), (row.Attacked, row.Fooled));
        Assert.Equal(sut.SurrogateTransfer![0] with { Surrogates = [] }, AuditSummaryJson.Deserialize(AuditSummaryJson.Serialize(sut)).SurrogateTransfer![0] with { Surrogates = [] });
        Assert.Contains("id=\"surrogate-transfer\"", AuditSummaryHtml.Render(sut), StringComparison.Ordinal);
        string csv = AuditSummaryCsv.Render(sut);
        Assert.EndsWith(",surrogate_gradient_evaluations", csv.Split("\r\n")[0], StringComparison.Ordinal);
        Assert.EndsWith(",10", csv.Split("\r\n")[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AuditSummaryBuilder_NoSurrogateAttack_OmitsTable()
    {
        AuditSummary sut = AuditSummaryBuilder.Build("id", "test", Attack, [new AuditImageInput("a.png", "a", null, SampleReports.Fooled())], Start, Start);

        Assert.Null(sut.SurrogateTransfer);
        Assert.DoesNotContain("surrogateTransfer", AuditSummaryJson.Serialize(sut), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"surrogate-transfer\"", AuditSummaryHtml.Render(sut), StringComparison.Ordinal);
    }
}
