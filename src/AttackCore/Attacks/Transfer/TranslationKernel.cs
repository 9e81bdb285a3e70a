namespace AttackCore.Attacks.Transfer;

/// <summary>
/// The Gaussian kernel of translation-invariant attacks (Dong, Pang, Su, Zhu, CVPR 2019): smoothing the gradient with it
/// is the gradient of the loss averaged over small translations of the image. The kernel is separable (the outer
/// product of one normalized 1-D Gaussian with itself), so it sums to 1 and is applied as two 1-D passes per plane,
/// with zeros outside the image (the reference's "same" convolution).
/// </summary>
internal sealed class TranslationKernel
{
    private readonly double[] _weights;

    /// <summary>Initializes a new instance of the <see cref="TranslationKernel"/> class.</summary>
    /// <param name="size">The side in pixels (odd, at least 1).</param>
    /// <param name="sigma">The standard deviation in pixels (above 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is even or below 1, or sigma is not above 0.</exception>
    public TranslationKernel(int size, double sigma)
    {
        if (size < 1 || size % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The kernel side must be odd and at least 1.");
        }

        if (!(sigma > 0) || !double.IsFinite(sigma))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The kernel's sigma must be above 0.");
        }

        int half = size / 2;
        _weights = [.. Enumerable.Range(-half, size).Select(x => Math.Exp(-(x * x) / (2 * sigma * sigma)))];
        double sum = _weights.Sum();
        for (int k = 0; k < size; k++)
        {
            _weights[k] /= sum;
        }
    }

    /// <summary>Gets the side of the kernel in pixels.</summary>
    public int Size => _weights.Length;

    /// <summary>Gets the 2-D kernel's weight at row <paramref name="y"/>, column <paramref name="x"/> (0 to <see cref="Size"/> - 1).</summary>
    /// <param name="y">The row.</param>
    /// <param name="x">The column.</param>
    /// <returns>The weight.</returns>
    public double Weight(int y, int x) => _weights[y] * _weights[x];

    /// <summary>Convolves every plane of <paramref name="values"/> with the kernel, in place.</summary>
    /// <param name="values">channels x height x width values.</param>
    /// <param name="channels">The planes.</param>
    /// <param name="height">The plane height.</param>
    /// <param name="width">The plane width.</param>
    /// <param name="scratch">Room for one plane (height x width values).</param>
    public void Smooth(Span<float> values, int channels, int height, int width, Span<float> scratch)
    {
        int half = Size / 2;
        for (int c = 0; c < channels; c++)
        {
            Span<float> plane = values.Slice(c * height * width, height * width);

            // Along each row into scratch, then along each column back into the plane.
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    double sum = 0;
                    for (int k = Math.Max(0, half - x); k < Size && x + k - half < width; k++)
                    {
                        sum += _weights[k] * plane[(y * width) + x + k - half];
                    }

                    scratch[(y * width) + x] = (float)sum;
                }
            }

            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    double sum = 0;
                    for (int k = Math.Max(0, half - y); k < Size && y + k - half < height; k++)
                    {
                        sum += _weights[k] * scratch[((y + k - half) * width) + x];
                    }

                    plane[(y * width) + x] = (float)sum;
                }
            }
        }
    }
}
