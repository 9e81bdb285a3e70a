using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Tests.TestSupport;

/// <summary>
/// A deterministic linear classifier (logits = W x + b) for fast attack tests; counts the images it scores. Its input
/// gradients are exact (W transposed times the loss's derivative by the logits), so white-box attacks run on it too.
/// It is also its own surrogate (<see cref="ISurrogateModels"/>), so surrogate-based attacks run the contract tests on
/// it: their target queries count in <see cref="ImagesScored"/>, their surrogate evaluations in <see cref="GradientImages"/>.
/// </summary>
internal sealed class LinearClassifier : IClassifier, IGradientModel, ISurrogateModels
{
    private readonly float[] _weights;
    private readonly float[] _bias;
    private long _imagesScored;
    private long _gradientImages;
    private long _calls;

    public LinearClassifier(int size, int classes, int seed, int channels = 3)
    {
        InputHeight = size;
        InputWidth = size;
        Channels = channels;
        NumClasses = classes;
        var random = new Random(seed);
        int length = channels * size * size;
        _weights = new float[classes * length];
        for (int i = 0; i < _weights.Length; i++)
        {
            _weights[i] = (float)((random.NextDouble() * 2) - 1);
        }

        _bias = new float[classes];
        Labels = Enumerable.Range(0, classes).Select(i => $"class {i}").ToArray();
    }

    public int InputHeight { get; }

    public int InputWidth { get; }

    /// <summary>Gets the planes per image: 3 (RGB) or 1 (a gray model).</summary>
    public int Channels { get; }

    public int NumClasses { get; }

    public IReadOnlyList<string> Labels { get; }

    public long ImagesScored => Interlocked.Read(ref _imagesScored);

    public IReadOnlyList<GradientLoss> SupportedLosses { get; } = Enum.GetValues<GradientLoss>();

    /// <summary>Gets the images whose gradients were computed (not counted in <see cref="ImagesScored"/>).</summary>
    public long GradientImages => Interlocked.Read(ref _gradientImages);

    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets this model, as the one surrogate of itself.</summary>
    public IReadOnlyList<IGradientModel> Surrogates => [this];

    public int MaxBatchSeen { get; private set; }

    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int length = Channels * InputHeight * InputWidth;
        Assert.Equal(count * length, images.Length);
        Interlocked.Add(ref _imagesScored, count);
        Interlocked.Increment(ref _calls);
        MaxBatchSeen = Math.Max(MaxBatchSeen, count);
        Score(images, count, logits);
    }

    private void Score(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int length = Channels * InputHeight * InputWidth;
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> x = images.Slice(n * length, length);
            for (int k = 0; k < NumClasses; k++)
            {
                ReadOnlySpan<float> w = _weights.AsSpan(k * length, length);
                double sum = _bias[k];
                for (int i = 0; i < length; i++)
                {
                    sum += w[i] * x[i];
                }

                logits[(n * NumClasses) + k] = (float)sum;
            }
        }
    }

    public void ComputeGradients(ReadOnlySpan<float> images, int count, GradientLoss loss, ReadOnlySpan<int> labels, ReadOnlySpan<int> targets, Span<float> logits, Span<float> losses, Span<float> gradients)
    {
        int length = Channels * InputHeight * InputWidth;
        Score(images, count, logits);
        Interlocked.Add(ref _gradientImages, count);
        var derivative = new double[NumClasses];
        for (int n = 0; n < count; n++)
        {
            int? target = GradientLossMath.IsTargeted(loss) ? targets[n] : null;
            losses[n] = (float)GradientLossMath.Evaluate(logits.Slice(n * NumClasses, NumClasses), loss, labels[n], target, derivative);
            Span<float> g = gradients.Slice(n * length, length);
            g.Clear();
            for (int k = 0; k < NumClasses; k++)
            {
                ReadOnlySpan<float> w = _weights.AsSpan(k * length, length);
                for (int i = 0; i < length; i++)
                {
                    g[i] += (float)(derivative[k] * w[i]);
                }
            }
        }
    }

    public void ComputeLogitGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weights, Span<float> logits, Span<float> losses, Span<float> gradients)
    {
        int length = Channels * InputHeight * InputWidth;
        Score(images, count, logits);
        Interlocked.Add(ref _gradientImages, count);
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> row = weights.Slice(n * NumClasses, NumClasses);
            double loss = 0;
            Span<float> g = gradients.Slice(n * length, length);
            g.Clear();
            for (int k = 0; k < NumClasses; k++)
            {
                loss += row[k] * (double)logits[(n * NumClasses) + k];
                ReadOnlySpan<float> w = _weights.AsSpan(k * length, length);
                for (int i = 0; i < length; i++)
                {
                    g[i] += row[k] * w[i];
                }
            }

            losses[n] = (float)loss;
        }
    }

    /// <summary>Returns the top-1 class of one image.</summary>
    public int Top1(float[] image)
    {
        var logits = new float[NumClasses];
        Predict(image, 1, logits);
        return AttackCore.Models.LogitMath.ArgMax(logits);
    }

    /// <summary>Makes a random 8-bit image (values level/255), RGB or one gray plane.</summary>
    public static float[] RandomImage(int size, int seed, int channels = 3)
    {
        var random = new Random(seed);
        var image = new float[channels * size * size];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = random.Next(256) / 255f;
        }

        return image;
    }
}
