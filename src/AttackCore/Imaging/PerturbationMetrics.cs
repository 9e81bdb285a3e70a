namespace AttackCore.Imaging;

/// <summary>How far an adversarial image is from its clean original, in the norms attacks are judged by.</summary>
/// <remarks>
/// Distances are in [0, 1] pixel units over all values of the attack image, as in the Square Attack paper
/// (Andriushchenko et al., 2020): an L-inf of 8/255 is the usual ImageNet budget. The image is 3 x height x width
/// for a colour model and height x width for a gray one, so a gray model's norms are measured on the gray image.
/// </remarks>
public sealed record PerturbationMetrics
{
    private const int SsimWindow = 11;
    private const double SsimSigma = 1.5;
    private const double SsimC1 = 0.01 * 0.01; // (K1 L)^2 with K1 = 0.01, L = 1
    private const double SsimC2 = 0.03 * 0.03; // (K2 L)^2 with K2 = 0.03, L = 1

    private static readonly double[] SsimKernel = CreateGaussianKernel(SsimWindow, SsimSigma);

    /// <summary>Gets the largest absolute change of any value: max |adv - clean|.</summary>
    public required double LInf { get; init; }

    /// <summary>Gets the Euclidean norm of the change over all values: sqrt(sum (adv - clean)^2).</summary>
    public required double L2 { get; init; }

    /// <summary>Gets how many pixel positions (of height x width) had at least one channel changed.</summary>
    public required int L0Pixels { get; init; }

    /// <summary>Gets how many values (of channels x height x width) changed.</summary>
    public required int L0Values { get; init; }

    /// <summary>
    /// Gets the peak signal-to-noise ratio in dB with peak 1: 10 log10(1 / MSE) over all values;
    /// <see langword="null"/> when the images are identical (the ratio is infinite, which JSON cannot hold).
    /// </summary>
    public required double? Psnr { get; init; }

    /// <summary>
    /// Gets the mean structural similarity of the luma channels (Y = 0.299 R + 0.587 G + 0.114 B; a gray image is its own luma), 1 for identical images;
    /// <see langword="null"/> when the image is smaller than the 11 x 11 window in either direction.
    /// </summary>
    /// <remarks>
    /// As Wang et al. (2004) and their reference <c>ssim_index.m</c>: an 11 x 11 Gaussian window with sigma 1.5
    /// (normalised to sum 1), K1 = 0.01, K2 = 0.03, L = 1, evaluated only where the window lies wholly inside the
    /// image ('valid' filtering, no padding), averaged over those positions.
    /// </remarks>
    public required double? Ssim { get; init; }

    /// <summary>Measures the difference between a clean and an adversarial image.</summary>
    /// <param name="cleanChw">The clean image, CHW RGB in [0, 1], or one gray plane.</param>
    /// <param name="advChw">The adversarial image, same layout and length.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">A span holds neither 3 x height x width nor height x width values, or the two differ.</exception>
    public static PerturbationMetrics Compute(ReadOnlySpan<float> cleanChw, ReadOnlySpan<float> advChw, int height, int width)
    {
        int channels = CheckPair(cleanChw, advChw, height, width);
        int plane = height * width;

        double maxAbs = 0;
        double sumSquares = 0;
        int changedValues = 0;
        int changedPixels = 0;
        for (int p = 0; p < plane; p++)
        {
            bool pixelChanged = false;
            for (int c = 0; c < channels; c++)
            {
                int i = (c * plane) + p;
                double delta = (double)advChw[i] - cleanChw[i];
                if (delta != 0)
                {
                    pixelChanged = true;
                    changedValues++;
                    maxAbs = Math.Max(maxAbs, Math.Abs(delta));
                    sumSquares += delta * delta;
                }
            }

            if (pixelChanged)
            {
                changedPixels++;
            }
        }

        double mse = sumSquares / ((double)channels * plane);
        return new PerturbationMetrics
        {
            LInf = maxAbs,
            L2 = Math.Sqrt(sumSquares),
            L0Pixels = changedPixels,
            L0Values = changedValues,
            Psnr = mse > 0 ? 10 * Math.Log10(1 / mse) : null,
            Ssim = height >= SsimWindow && width >= SsimWindow ? MeanSsim(Luma(cleanChw, plane), Luma(advChw, plane), height, width) : null,
        };
    }

    /// <summary>Checks that both images hold 3 x height x width values, or both height x width; returns the channel count.</summary>
    internal static int CheckPair(ReadOnlySpan<float> cleanChw, ReadOnlySpan<float> advChw, int height, int width)
    {
        int channels = ChannelSpace.ChannelsOf(cleanChw.Length, height, width, nameof(cleanChw));
        if (advChw.Length != cleanChw.Length)
        {
            throw new ArgumentException($"The clean image has {cleanChw.Length} values and the adversarial one {advChw.Length}; they must match.", nameof(advChw));
        }

        return channels;
    }

    private static double[] Luma(ReadOnlySpan<float> chw, int plane)
    {
        // ITU-R BT.601 weights, the luma Wang et al. and MATLAB's rgb2gray use; a gray image is its own luma.
        double[] y = new double[plane];
        if (chw.Length == plane)
        {
            for (int p = 0; p < plane; p++)
            {
                y[p] = chw[p];
            }

            return y;
        }

        for (int p = 0; p < plane; p++)
        {
            y[p] = (0.299 * chw[p]) + (0.587 * chw[plane + p]) + (0.114 * chw[(2 * plane) + p]);
        }

        return y;
    }

    private static double MeanSsim(double[] x, double[] y, int height, int width)
    {
        // The 2-D Gaussian is separable, so each local moment is a horizontal then a vertical 1-D pass:
        // O(11) per position instead of O(121).
        int outH = height - SsimWindow + 1;
        int outW = width - SsimWindow + 1;
        double[] xx = new double[x.Length];
        double[] yy = new double[x.Length];
        double[] xy = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }

        double[] muX = FilterValid(x, height, width);
        double[] muY = FilterValid(y, height, width);
        double[] ex2 = FilterValid(xx, height, width);
        double[] ey2 = FilterValid(yy, height, width);
        double[] exy = FilterValid(xy, height, width);

        double sum = 0;
        for (int i = 0; i < outH * outW; i++)
        {
            double mx = muX[i];
            double my = muY[i];
            double varX = ex2[i] - (mx * mx);
            double varY = ey2[i] - (my * my);
            double cov = exy[i] - (mx * my);
            sum += ((2 * mx * my) + SsimC1) * ((2 * cov) + SsimC2)
                / (((mx * mx) + (my * my) + SsimC1) * (varX + varY + SsimC2));
        }

        return sum / (outH * outW);
    }

    private static double[] FilterValid(double[] source, int height, int width)
    {
        int outW = width - SsimWindow + 1;
        int outH = height - SsimWindow + 1;
        double[] kernel = SsimKernel;

        double[] horizontal = new double[height * outW];
        for (int r = 0; r < height; r++)
        {
            int row = r * width;
            for (int c = 0; c < outW; c++)
            {
                double acc = 0;
                for (int k = 0; k < SsimWindow; k++)
                {
                    acc += kernel[k] * source[row + c + k];
                }

                horizontal[(r * outW) + c] = acc;
            }
        }

        double[] result = new double[outH * outW];
        for (int r = 0; r < outH; r++)
        {
            for (int c = 0; c < outW; c++)
            {
                double acc = 0;
                for (int k = 0; k < SsimWindow; k++)
                {
                    acc += kernel[k] * horizontal[((r + k) * outW) + c];
                }

                result[(r * outW) + c] = acc;
            }
        }

        return result;
    }

    private static double[] CreateGaussianKernel(int size, double sigma)
    {
        double[] kernel = new double[size];
        int half = size / 2;
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            kernel[i] = Math.Exp(-((i - half) * (i - half)) / (2 * sigma * sigma));
            sum += kernel[i];
        }

        // Normalising the 1-D kernel to 1 makes the 2-D outer product sum to 1 as well (fspecial's normalisation).
        for (int i = 0; i < size; i++)
        {
            kernel[i] /= sum;
        }

        return kernel;
    }
}
