using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.Reporting;
using AttackCore.Transfer;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Transfer;

public sealed class TransferEvaluatorTests
{
    private const string Panda = "giant panda";
    private const string LesserPanda = "lesser panda";

    /// <summary>A result whose clean crop is dark and whose adversarial image is bright (8 x 8, the source's input).</summary>
    private static ImageResult Result(AttackReport? report = null) =>
        new(report ?? SampleReports.Fooled(Panda), Png(40), Png(200), Png(128));

    private static byte[] Png(byte level)
    {
        using var image = new Image<Rgb24>(8, 8, new Rgb24(level, level, level));
        return PngCodec.Encode(image);
    }

    private static TransferTarget Target(IClassifier classifier, string name, int cropTo = 4) =>
        new(classifier, new ModelInfo { Name = name, Sha256 = name + "-sha", Provider = "test", InputSize = classifier.InputHeight, NumClasses = classifier.NumClasses, Preprocessing = "test" }, CropRecipe.ShortSide(4, cropTo));

    [Fact]
    public void Evaluate_TargetFollowsBrightness_IsFooledAndAgreesOnClean()
    {
        var brightness = new BrightnessClassifier([Panda, LesserPanda]);
        var sut = new TransferEvaluator([Target(brightness, "brightness")]);

        ImageResult evaluated = sut.Evaluate(Result());

        TransferResult entry = Assert.Single(evaluated.Report.Transfer!);
        Assert.Equal("brightness", entry.Model.Name);
        Assert.Equal(Panda, entry.CleanTop5[0].Label);
        Assert.Equal(LesserPanda, entry.AdversarialTop5[0].Label);
        Assert.True(entry.AgreesOnClean);
        Assert.True(entry.Fooled);
        Assert.Equal(2, entry.CleanTop5.Count);
        Assert.InRange(entry.CleanTop5.Sum(s => s.Probability), 1 - 1e-9, 1 + 1e-9);
        Assert.Equal((1, 2), (brightness.Calls, brightness.LastCount));
        Assert.Equal((4, 4), (brightness.SeenSize, brightness.SeenSize));
    }

    [Fact]
    public void Evaluate_TargetAlwaysSaysTheSame_IsNotFooledAndDisagreesOnClean()
    {
        var sut = new TransferEvaluator([Target(new ConstantClassifier(["toaster", Panda], winner: 0), "constant")]);

        TransferResult entry = Assert.Single(sut.Evaluate(Result()).Report.Transfer!);

        Assert.False(entry.Fooled);
        Assert.False(entry.AgreesOnClean);
        Assert.Equal("toaster", entry.AdversarialTop5[0].Label);
    }

    [Fact]
    public void Evaluate_LabelsDifferOnlyInCaseAndIndexOffset_AgreesOnClean()
    {
        // A target with a background class at index 0 names the same class with another index.
        var sut = new TransferEvaluator([Target(new ConstantClassifier(["background", "Giant Panda "], winner: 1), "offset")]);

        TransferResult entry = Assert.Single(sut.Evaluate(Result()).Report.Transfer!);

        Assert.True(entry.AgreesOnClean);
        Assert.Equal(1, entry.CleanTop5[0].Index);
    }

    [Fact]
    public void Evaluate_Targeted_FooledOnlyWhenTargetLabelReached()
    {
        AttackReport targeted = SampleReports.Fooled(Panda) with
        {
            Attack = SampleReports.Fooled(Panda).Attack with { Targeted = true, TargetClass = new ClassRef { Index = 859, Label = "toaster" } },
        };
        var sut = new TransferEvaluator(
        [
            Target(new BrightnessClassifier([Panda, LesserPanda]), "brightness"),
            Target(new BrightnessClassifier([Panda, "Toaster"]), "toaster-when-bright"),
        ]);

        IReadOnlyList<TransferResult> entries = sut.Evaluate(Result(targeted)).Report.Transfer!;

        Assert.Equal([false, true], entries.Select(e => e.Fooled));
    }

    [Theory]
    [InlineData(OutcomeStatus.NotFooled)]
    [InlineData(OutcomeStatus.AlreadyMisclassified)]
    [InlineData(OutcomeStatus.Failed)]
    public void Evaluate_NotASuccess_ReturnsResultUnchangedWithoutQueries(OutcomeStatus status)
    {
        var classifier = new BrightnessClassifier([Panda, LesserPanda]);
        var sut = new TransferEvaluator([Target(classifier, "brightness")]);
        ImageResult result = Result(SampleReports.Fooled(Panda) with { Outcome = new AttackOutcome { Status = status, Success = false, Queries = 3 } });

        ImageResult evaluated = sut.Evaluate(result);

        Assert.Same(result, evaluated);
        Assert.Null(evaluated.Report.Transfer);
        Assert.Equal(0, classifier.Calls);
    }

    [Fact]
    public void Evaluate_NoTargets_ReturnsResultUnchanged()
    {
        var sut = new TransferEvaluator([]);
        ImageResult result = Result();

        Assert.Same(result, sut.Evaluate(result));
    }

    [Fact]
    public void Evaluate_Fooled_KeepsTheSourceReportAndImages()
    {
        var sut = new TransferEvaluator([Target(new BrightnessClassifier([Panda, LesserPanda]), "brightness")]);
        ImageResult result = Result();

        ImageResult evaluated = sut.Evaluate(result);

        Assert.Equal(result.Report with { Transfer = evaluated.Report.Transfer }, evaluated.Report);
        Assert.Same(result.AdversarialPng, evaluated.AdversarialPng);
        Assert.Null(result.Report.Transfer);
    }

    [Fact]
    public void Constructor_RecipeCropsToAnotherSize_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TransferEvaluator([Target(new BrightnessClassifier([Panda, LesserPanda]), "small", cropTo: 2)]));

        Assert.Contains("small", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ReportWithTransfer_RoundTripsThroughJsonAndRendersInHtml()
    {
        var sut = new TransferEvaluator([Target(new BrightnessClassifier([Panda, LesserPanda]), "brightness")]);
        AttackReport report = sut.Evaluate(Result()).Report;

        AttackReport read = ReportJson.Deserialize(ReportJson.Serialize(report));
        string html = ReportHtml.Render(report);

        Assert.Equal(report.Transfer![0].AdversarialTop5, read.Transfer![0].AdversarialTop5);
        Assert.Equal((true, true), (read.Transfer[0].Fooled, read.Transfer[0].AgreesOnClean));
        Assert.Contains("id=\"transfer\"", html, StringComparison.Ordinal);
        Assert.Contains("brightness", html, StringComparison.Ordinal);
    }

    /// <summary>4 x 4 input; class 0 for a dark image, class 1 for a bright one (so it follows the test's "perturbation").</summary>
    [Fact]
    public void Evaluate_GrayTarget_SeesTheColourImageAsBt601Luma_AndAColourTargetSeesAGrayImageAsEqualChannels()
    {
        using var colour = new Image<Rgb24>(8, 8, new Rgb24(200, 40, 10));
        byte[] colourPng = PngCodec.Encode(colour);
        var gray = new RecordingClassifier(channels: 1);
        var rgb = new RecordingClassifier(channels: 3);

        new TransferEvaluator([Target(gray, "gray")]).Evaluate(new ImageResult(SampleReports.Fooled(Panda), colourPng, colourPng, Png(128)));
        new TransferEvaluator([Target(rgb, "rgb")]).Evaluate(Result());

        float luma = TensorImage.FromByte(GrayImage.Luma(200, 40, 10, GrayConversion.Bt601));
        Assert.Equal(16, gray.Last.Length);   // one channel of 4 x 4
        Assert.All(gray.Last, v => Assert.Equal(luma, v));
        Assert.Equal(48, rgb.Last.Length);    // a gray PNG (R = G = B = 200) in three equal channels
        Assert.All(rgb.Last, v => Assert.Equal(TensorImage.FromByte(200), v));
    }

    /// <summary>Keeps the last image it was shown (the adversarial one comes last) and answers class 0.</summary>
    private sealed class RecordingClassifier(int channels) : IClassifier
    {
        public int InputHeight => 4;

        public int InputWidth => 4;

        public int Channels => channels;

        public int NumClasses => 2;

        public IReadOnlyList<string> Labels => [Panda, LesserPanda];

        public float[] Last { get; private set; } = [];

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            int length = images.Length / count;
            Last = images.Slice((count - 1) * length, length).ToArray();
            for (int n = 0; n < count; n++)
            {
                logits[n * 2] = 1;
                logits[(n * 2) + 1] = 0;
            }
        }
    }

    private sealed class BrightnessClassifier(string[] labels) : IClassifier
    {
        public int InputHeight => 4;

        public int InputWidth => 4;

        public int NumClasses => labels.Length;

        public IReadOnlyList<string> Labels => labels;

        public int Calls { get; private set; }

        public int LastCount { get; private set; }

        public int SeenSize { get; private set; }

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            Calls++;
            LastCount = count;
            int length = images.Length / count;
            SeenSize = (int)Math.Sqrt(length / 3);
            for (int n = 0; n < count; n++)
            {
                float mean = 0;
                foreach (float v in images.Slice(n * length, length))
                {
                    mean += v / length;
                }

                Span<float> row = logits.Slice(n * NumClasses, NumClasses);
                row.Clear();
                row[mean < 0.5f ? 0 : 1] = 5;
            }
        }
    }

    /// <summary>4 x 4 input; always the same answer.</summary>
    private sealed class ConstantClassifier(string[] labels, int winner) : IClassifier
    {
        public int InputHeight => 4;

        public int InputWidth => 4;

        public int NumClasses => labels.Length;

        public IReadOnlyList<string> Labels => labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            logits.Clear();
            for (int n = 0; n < count; n++)
            {
                logits[(n * NumClasses) + winner] = 3;
            }
        }
    }
}
