using AttackCore.Models;

namespace AttackCore.Tests.TestSupport;

/// <summary>A deterministic linear classifier (logits = W x + b) for fast attack tests; counts the images it scores.</summary>
internal sealed class LinearClassifier : IClassifier
{
    private readonly float[] _weights;
    private readonly float[] _bias;
    private long _imagesScored;
    private long _calls;

    public LinearClassifier(int size, int classes, int seed)
    {
        InputHeight = size;
        InputWidth = size;
        NumClasses = classes;
        var random = new Random(seed);
        int length = 3 * size * size;
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

    public int NumClasses { get; }

    public IReadOnlyList<string> Labels { get; }

    public long ImagesScored => Interlocked.Read(ref _imagesScored);

    public long Calls => Interlocked.Read(ref _calls);

    public int MaxBatchSeen { get; private set; }

    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        int length = 3 * InputHeight * InputWidth;
        Assert.Equal(count * length, images.Length);
        Interlocked.Add(ref _imagesScored, count);
        Interlocked.Increment(ref _calls);
        MaxBatchSeen = Math.Max(MaxBatchSeen, count);
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

    /// <summary>Returns the top-1 class of one image.</summary>
    public int Top1(float[] image)
    {
        var logits = new float[NumClasses];
        Predict(image, 1, logits);
        return AttackCore.Models.LogitMath.ArgMax(logits);
    }

    /// <summary>Makes a random 8-bit image (values level/255).</summary>
    public static float[] RandomImage(int size, int seed)
    {
        var random = new Random(seed);
        var image = new float[3 * size * size];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = random.Next(256) / 255f;
        }

        return image;
    }
}
