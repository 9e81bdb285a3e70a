using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

/// <summary>Reports with every section filled, for the JSON and HTML tests.</summary>
internal static class SampleReports
{
    public static AttackReport Fooled(string trueLabel = "giant panda") => new()
    {
        Tool = new ToolInfo { Name = "attack-audit", Version = "1.0.0+abc123" },
        CreatedUtc = new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero),
        Model = new ModelInfo
        {
            Name = "inception-v3-timm",
            Sha256 = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
            Provider = "CPUExecutionProvider",
            ProviderNote = "CUDA not available",
            InputSize = 299,
            NumClasses = 1000,
            BackgroundOffset = 0,
            Preprocessing = "resize shortest side to 342 (bilinear), center crop 299, mean/std",
        },
        Input = new InputInfo { Name = "zoo/panda.jpg", Width = 640, Height = 480, Bytes = 123_456, Sha256 = "aa11" },
        Clean = new CleanResult
        {
            Top5 =
            [
                new ClassScore { Index = 388, Label = trueLabel, Probability = 0.8765, Logit = 12.5 },
                new ClassScore { Index = 387, Label = "lesser panda", Probability = 0.05, Logit = 9.75 },
                new ClassScore { Index = 296, Label = "ice bear", Probability = 0.03, Logit = 9.1 },
                new ClassScore { Index = 295, Label = "American black bear", Probability = 0.02, Logit = 8.9 },
                new ClassScore { Index = 150, Label = "sea lion", Probability = 0.01, Logit = 8.2 },
            ],
            TrueClass = new ClassRef { Index = 388, Label = trueLabel },
            TrueClassSource = CleanResult.SourceCleanTop1,
        },
        Adversarial = new AdversarialResult
        {
            Top5 =
            [
                new ClassScore { Index = 387, Label = "lesser panda", Probability = 0.41, Logit = 10.2 },
                new ClassScore { Index = 388, Label = trueLabel, Probability = 0.39, Logit = 10.15 },
                new ClassScore { Index = 296, Label = "ice bear", Probability = 0.07, Logit = 8.4 },
                new ClassScore { Index = 295, Label = "American black bear", Probability = 0.05, Logit = 8.1 },
                new ClassScore { Index = 102, Label = "echidna", Probability = 0.01, Logit = 6.5 },
            ],
            Verified = true,
            VerificationNote = "PNG read back: top-1 lesser panda",
        },
        Attack = new AttackInfo
        {
            Name = "square",
            Norm = "linf",
            Eps = 0.05,
            EpsUsed = 12 / 255.0,
            Loss = LossInfo.Margin,
            Targeted = false,
            Seed = 42,
            MaxQueries = 10_000,
            Options = new Dictionary<string, string> { ["pInit"] = "0.05", ["batch"] = "1", ["loss"] = "margin" },
        },
        Outcome = new AttackOutcome
        {
            Status = OutcomeStatus.Fooled,
            Success = true,
            Queries = 137,
            VerificationQueries = 1,
            MinimizeQueries = 40,
            EpsStar = 0.031372549019607843,
            Message = "fooled after 137 queries",
        },
        Perturbation = new PerturbationMetrics
        {
            LInf = 0.0470588,
            L2 = 9.87,
            L0Pixels = 80_000,
            L0Values = 230_000,
            Psnr = 31.25,
            Ssim = 0.9123,
            Amplification = 10,
        },
        Timings = new TimingInfo { PrepareMs = 120.5, AttackMs = 2_500.25, MinimizeMs = 700, VerifyMs = 30.5, TotalMs = 3_400 },
        Trace =
        [
            new TracePoint { Queries = 1, Loss = 2.75, TrueConfidence = 0.8765, WinningConfidence = 0.05, WinningClass = 387 },
            new TracePoint { Queries = 50, Loss = 1.5, TrueConfidence = 0.6, WinningConfidence = 0.2, WinningClass = 387 },
            new TracePoint { Queries = 137, Loss = -0.05, TrueConfidence = 0.39, WinningConfidence = 0.41, WinningClass = 387 },
        ],
    };
}
