using System.Globalization;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Transfer;

/// <summary>
/// Shows every verified adversarial image to other models (transfer targets) and records what each said in the
/// report's <see cref="AttackReport.Transfer"/> section: adversarial images made against one model often fool another.
/// </summary>
/// <remarks>
/// <para>The evaluator reads only what a user has: the written PNG bytes of the clean crop and of the adversarial
/// image (<see cref="ImageResult.CleanPng"/>, <see cref="ImageResult.AdversarialPng"/>). Each is decoded and
/// brought to the target's input with the target's own crop rule (<see cref="TransferTarget.Recipe"/>), and both go to the target in one call.
/// Classifying the clean crop (rather than the original upload) compares like with like: the only difference the
/// target sees between its two inputs is the perturbation.</para>
/// <para>Channels follow the target, as for any input: a colour image shown to a gray target is converted with the
/// target's <see cref="TransferTarget.GrayConversion"/> before its crop, and a gray PNG (from a gray source model)
/// shown to a colour target is read as R = G = B.</para>
/// <para>Only results whose outcome is a verified success are evaluated; other results are returned unchanged,
/// since there is no adversarial image to transfer. The attacked model is never queried, so the report's query
/// counts stay those of the attack. Thread-safe when the targets' classifiers are.</para>
/// </remarks>
public sealed partial class TransferEvaluator
{
    private const int TopK = 5;
    private readonly IReadOnlyList<TransferTarget> _targets;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="TransferEvaluator"/> class.</summary>
    /// <param name="targets">The models to show adversarial images to, in the order the report lists them; may be empty.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentException">A target's input is not square, or its recipe crops to another size.</exception>
    public TransferEvaluator(IReadOnlyList<TransferTarget> targets, ILogger<TransferEvaluator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        foreach (TransferTarget target in targets)
        {
            ArgumentNullException.ThrowIfNull(target, nameof(targets));
            if (target.Classifier.InputWidth != target.Classifier.InputHeight)
            {
                throw new ArgumentException($"Transfer target '{target.Info.Name}' has a {target.Classifier.InputWidth}x{target.Classifier.InputHeight} input; only square inputs are supported.", nameof(targets));
            }

            if (target.Recipe is null || target.Recipe.InputSize != target.Classifier.InputHeight)
            {
                throw new ArgumentException($"Transfer target '{target.Info.Name}' crops to {target.Recipe?.InputSize.ToString(CultureInfo.InvariantCulture) ?? "nothing"}, not its input size {target.Classifier.InputHeight}.", nameof(targets));
            }
        }

        _targets = targets;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the targets, in report order.</summary>
    public IReadOnlyList<TransferTarget> Targets => _targets;

    /// <summary>Classifies a fooled result's clean and adversarial images with every target.</summary>
    /// <param name="result">One image's result from the attack on the source model.</param>
    /// <returns>
    /// A copy of <paramref name="result"/> whose report has <see cref="AttackReport.Transfer"/> filled, or
    /// <paramref name="result"/> itself when there are no targets or the attack did not succeed.
    /// </returns>
    /// <exception cref="InvalidImageException">The result's PNG bytes cannot be decoded.</exception>
    public ImageResult Evaluate(ImageResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        AttackReport report = result.Report;
        if (_targets.Count == 0 || !report.Outcome.Success || result.AdversarialPng is null || result.CleanPng.Length == 0)
        {
            return result;
        }

        using Image<Rgb24> clean = ImageDecoder.Decode(result.CleanPng);
        using Image<Rgb24> adversarial = ImageDecoder.Decode(result.AdversarialPng);
        var entries = new List<TransferResult>(_targets.Count);
        foreach (TransferTarget target in _targets)
        {
            TransferResult entry = Classify(target, clean, adversarial, report);
            entries.Add(entry);
            Log.Evaluated(_logger, report.Input.Name, target.Info.Name, entry.CleanTop5[0].Label, entry.AdversarialTop5[0].Label, entry.Fooled);
        }

        return result with { Report = report with { Transfer = entries } };
    }

    /// <summary>Evaluates each result (see <see cref="Evaluate(ImageResult)"/>).</summary>
    /// <param name="results">The results of one batch.</param>
    /// <returns>The results, in the same order.</returns>
    public IReadOnlyList<ImageResult> Evaluate(IReadOnlyList<ImageResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return [.. results.Select(Evaluate)];
    }

    /// <summary>Gets whether an adversarial image fools a target, by the attack's criterion (see <see cref="TransferResult.Fooled"/>).</summary>
    /// <param name="report">The source report (gives the attack's goal and target label).</param>
    /// <param name="cleanTop1">The target's clean top-1 class.</param>
    /// <param name="adversarialTop1">The target's adversarial top-1 class.</param>
    /// <returns><see langword="true"/> when the target is fooled.</returns>
    public static bool IsFooled(AttackReport report, ClassScore cleanTop1, ClassScore adversarialTop1)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(cleanTop1);
        ArgumentNullException.ThrowIfNull(adversarialTop1);
        return report.Attack is { Targeted: true, TargetClass: { } target }
            ? SameLabel(adversarialTop1.Label, target.Label)
            : adversarialTop1.Index != cleanTop1.Index;
    }

    /// <summary>Compares class labels of two models as text (trimmed, case-insensitive).</summary>
    /// <param name="a">One label.</param>
    /// <param name="b">The other label.</param>
    /// <returns><see langword="true"/> when they name the same class.</returns>
    public static bool SameLabel(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private static TransferResult Classify(TransferTarget target, Image<Rgb24> clean, Image<Rgb24> adversarial, AttackReport report)
    {
        IClassifier classifier = target.Classifier;
        int size = classifier.InputHeight;
        int plane = classifier.Channels * size * size;
        var inputs = new float[2 * plane];
        Prepare(target, clean, inputs.AsSpan(0, plane));
        Prepare(target, adversarial, inputs.AsSpan(plane, plane));

        var logits = new float[2 * classifier.NumClasses];
        classifier.Predict(inputs, 2, logits);
        IReadOnlyList<ClassScore> cleanTop = ClassRanking.Top(logits.AsSpan(0, classifier.NumClasses), classifier.Labels, TopK);
        IReadOnlyList<ClassScore> adversarialTop = ClassRanking.Top(logits.AsSpan(classifier.NumClasses), classifier.Labels, TopK);
        return new TransferResult
        {
            Model = target.Info,
            CleanTop5 = cleanTop,
            AdversarialTop5 = adversarialTop,
            AgreesOnClean = report.Clean.Top5.Count > 0 && SameLabel(cleanTop[0].Label, report.Clean.Top5[0].Label),
            Fooled = IsFooled(report, cleanTop[0], adversarialTop[0]),
        };
    }

    /// <summary>One decoded image as the target's input: gray first for a gray target, then its crop, then its planes.</summary>
    private static void Prepare(TransferTarget target, Image<Rgb24> image, Span<float> destination)
    {
        bool gray = target.Classifier.Channels == 1;
        using Image<Rgb24>? converted = gray ? GrayImage.ToGray(image, target.GrayConversion) : null;
        using Image<Rgb24> input = ImagePreprocessor.Preprocess(converted ?? image, target.Recipe);
        TensorImage.WriteChw(input, destination, target.GrayConversion);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 150, Level = LogLevel.Debug, Message = "Transfer of {Input} to {Target}: {CleanLabel} -> {AdversarialLabel} (fooled {Fooled})")]
        public static partial void Evaluated(ILogger logger, string input, string target, string cleanLabel, string adversarialLabel, bool fooled);
    }
}
