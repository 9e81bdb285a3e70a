using System.Buffers;
using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// The images an attack sends to the model in one batched call, and the scores that come back: slot k holds one
/// image and, after <see cref="Predict"/>, its row of logits.
/// </summary>
/// <remarks>
/// Both arrays are rented from the shared array pool when the buffer is made and returned when it is disposed; an
/// attack makes one per <c>Start</c> or <c>Step</c> call and reuses it for every iteration, so no query allocates.
/// </remarks>
public sealed class QueryBuffer : IDisposable
{
    private float[]? _images;
    private float[]? _logits;

    /// <summary>Initializes a new instance of the <see cref="QueryBuffer"/> class.</summary>
    /// <param name="imageLength">Values per image.</param>
    /// <param name="classes">Scores per image.</param>
    /// <param name="capacity">The most images in one call (at least 1 is kept).</param>
    public QueryBuffer(int imageLength, int classes, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ImageLength = imageLength;
        Classes = classes;
        Capacity = Math.Max(capacity, 1);
        _images = ArrayPool<float>.Shared.Rent(Capacity * imageLength);
        _logits = ArrayPool<float>.Shared.Rent(Capacity * classes);
    }

    /// <summary>Gets the values per image.</summary>
    public int ImageLength { get; }

    /// <summary>Gets the scores per image.</summary>
    public int Classes { get; }

    /// <summary>Gets the most images one call holds.</summary>
    public int Capacity { get; }

    /// <summary>Gets the image of slot <paramref name="slot"/>, to write before <see cref="Predict"/>.</summary>
    /// <param name="slot">The slot, below <see cref="Capacity"/>.</param>
    /// <returns>The slot's values.</returns>
    public Span<float> Image(int slot) => Images.AsSpan(checked(slot * ImageLength), ImageLength);

    /// <summary>Gets the scores of slot <paramref name="slot"/> from the last <see cref="Predict"/>.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The slot's logits.</returns>
    public ReadOnlySpan<float> Logits(int slot) => LogitValues.AsSpan(checked(slot * Classes), Classes);

    /// <summary>Gets the images of slots 0 to <paramref name="count"/> - 1 as one span, for a model call made elsewhere.</summary>
    internal Span<float> ImagesOf(int count) => Images.AsSpan(0, count * ImageLength);

    /// <summary>Gets the logits of slots 0 to <paramref name="count"/> - 1 as one span, for a model call made elsewhere.</summary>
    internal Span<float> LogitsOf(int count) => LogitValues.AsSpan(0, count * Classes);

    /// <summary>Scores the images in slots 0 to <paramref name="count"/> - 1 in one model call; does nothing for 0.</summary>
    /// <param name="classifier">The model.</param>
    /// <param name="count">How many slots to score.</param>
    /// <returns><paramref name="count"/>, the queries spent.</returns>
    public int Predict(IClassifier classifier, int count)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        if (count > 0)
        {
            classifier.Predict(Images.AsSpan(0, count * ImageLength), count, LogitValues.AsSpan(0, count * Classes));
        }

        return count;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_images is not null)
        {
            ArrayPool<float>.Shared.Return(_images);
            ArrayPool<float>.Shared.Return(_logits!);
            _images = null;
            _logits = null;
        }
    }

    private float[] Images => _images ?? throw new ObjectDisposedException(nameof(QueryBuffer));

    private float[] LogitValues => _logits ?? throw new ObjectDisposedException(nameof(QueryBuffer));
}
