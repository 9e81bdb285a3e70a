using System.Buffers;

namespace AttackCore.Models;

/// <summary>
/// A model seen through an API that returns only the top-1 label: each image's scores are replaced by a one-hot row
/// (1 for the top-1 class, 0 elsewhere) before the caller sees them. A decision-based attack runs against this
/// wrapper, so it cannot read the scores even by mistake, and a test can prove that it gives the same run as against
/// the full model.
/// </summary>
public sealed class LabelOnlyClassifier : IClassifier
{
    private readonly IClassifier _inner;

    /// <summary>Initializes a new instance of the <see cref="LabelOnlyClassifier"/> class.</summary>
    /// <param name="inner">The model; its scores never leave this wrapper.</param>
    public LabelOnlyClassifier(IClassifier inner)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    /// <inheritdoc />
    public int InputHeight => _inner.InputHeight;

    /// <inheritdoc />
    public int InputWidth => _inner.InputWidth;

    /// <inheritdoc/>
    public int Channels => _inner.Channels;

    /// <inheritdoc />
    public int NumClasses => _inner.NumClasses;

    /// <inheritdoc />
    public IReadOnlyList<string> Labels => _inner.Labels;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int classes = NumClasses;
        if (logits.Length < count * classes)
        {
            throw new ArgumentException($"The output holds {logits.Length} values; {count} images need {count * classes}.", nameof(logits));
        }

        float[] scores = ArrayPool<float>.Shared.Rent(count * classes);
        try
        {
            _inner.Predict(images, count, scores.AsSpan(0, count * classes));
            for (int i = 0; i < count; i++)
            {
                int top = LogitMath.ArgMax(scores.AsSpan(i * classes, classes));
                Span<float> row = logits.Slice(i * classes, classes);
                row.Clear();
                row[top] = 1f;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores, clearArray: true);
        }
    }
}
