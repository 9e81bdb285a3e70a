using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public sealed class TransferMatrixTests
{
    private static readonly AuditAttack Attack = new() { Norm = "linf", Eps = 0.05, MaxQueries = 300, Seed = 0, Target = "none", Minimize = true };
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TransferResult Entry(string target, bool fooled, bool agrees = true) => new()
    {
        Model = new ModelInfo { Name = target, Sha256 = target + "-sha", Provider = "CPUExecutionProvider", InputSize = 160, NumClasses = 1001, BackgroundOffset = 1, Preprocessing = "p/127.5 - 1" },
        CleanTop5 = [new ClassScore { Index = 389, Label = "giant panda", Probability = 0.9, Logit = 9 }],
        AdversarialTop5 = [new ClassScore { Index = fooled ? 388 : 389, Label = fooled ? "lesser panda" : "giant panda", Probability = 0.6, Logit = 7 }],
        AgreesOnClean = agrees,
        Fooled = fooled,
    };

    private static AttackReport WithTransfer(params TransferResult[] entries) => SampleReports.Fooled() with { Transfer = entries };

    [Fact]
    public void Build_ReportsWithTransfer_CountsPerSourceAttackAndTarget()
    {
        AttackReport l2 = WithTransfer(Entry("v1", fooled: true)) with { Attack = SampleReports.Fooled().Attack with { Norm = "l2" } };

        IReadOnlyList<TransferMatrixCell> sut = TransferMatrix.Build(
        [
            WithTransfer(Entry("v1", fooled: true), Entry("v3", fooled: false)),
            WithTransfer(Entry("v1", fooled: false, agrees: false), Entry("v3", fooled: false)),
            WithTransfer(Entry("v1", fooled: true), Entry("v3", fooled: true)),
            SampleReports.Fooled(),
            null,
            l2,
        ]);

        Assert.Equal(3, sut.Count);
        TransferMatrixCell v1 = sut[0];
        Assert.Equal(("inception-v3-timm", "square", "linf", "v1", "v1-sha"), (v1.SourceModel, v1.Attack, v1.Norm, v1.TargetModel, v1.TargetSha256));
        Assert.Equal((3, 2, 2), (v1.Evaluated, v1.Fooled, v1.AgreedOnClean));
        Assert.Equal(2.0 / 3, v1.Rate!.Value, 12);
        Assert.Equal(("v3", 3, 1), (sut[1].TargetModel, sut[1].Evaluated, sut[1].Fooled));
        Assert.Equal(("l2", 1, 1, 1.0), (sut[2].Norm, sut[2].Evaluated, sut[2].Fooled, sut[2].Rate!.Value));
    }

    [Fact]
    public void Build_NoTransferSections_IsEmpty()
    {
        Assert.Empty(TransferMatrix.Build([SampleReports.Fooled(), null]));
    }

    [Fact]
    public void AuditSummaryBuilder_ReportsWithTransfer_SummaryHasMatrixInJsonAndHtml()
    {
        AuditSummary sut = AuditSummaryBuilder.Build("id", "test", Attack,
        [
            new AuditImageInput("a.png", "a", null, WithTransfer(Entry("v1", fooled: true))),
            new AuditImageInput("b.png", "b", null, WithTransfer(Entry("v1", fooled: false))),
            new AuditImageInput("c.png", "c", null, null, "Corrupt", "cut short"),
        ], Start, Start.AddSeconds(1));

        TransferMatrixCell cell = Assert.Single(sut.Transfer!);
        Assert.Equal((2, 1, 0.5), (cell.Evaluated, cell.Fooled, cell.Rate!.Value));
        Assert.Equal(sut.Transfer, AuditSummaryJson.Deserialize(AuditSummaryJson.Serialize(sut)).Transfer);
        string html = AuditSummaryHtml.Render(sut);
        Assert.Contains("id=\"transfer\"", html, StringComparison.Ordinal);
        Assert.Contains("1 / 2 (50.0%)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditSummaryBuilder_NoTransfer_OmitsMatrix()
    {
        AuditSummary sut = AuditSummaryBuilder.Build("id", "test", Attack, [new AuditImageInput("a.png", "a", null, SampleReports.Fooled())], Start, Start);

        Assert.Null(sut.Transfer);
        Assert.DoesNotContain("\"transfer\"", AuditSummaryJson.Serialize(sut), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"transfer\"", AuditSummaryHtml.Render(sut), StringComparison.Ordinal);
    }
}
