using AttackCore.Imaging;

namespace AttackCore.Tests.Imaging;

public class PerturbationMetricsTests
{
    [Fact]
    public void Compute_IdenticalImages_ZeroNormsNoPsnrAndSsimOne()
    {
        float[] clean = RandomImage(16, 16, seed: 41);

        PerturbationMetrics sut = PerturbationMetrics.Compute(clean, clean, 16, 16);

        Assert.Equal(0, sut.LInf);
        Assert.Equal(0, sut.L2);
        Assert.Equal(0, sut.L0Pixels);
        Assert.Equal(0, sut.L0Values);
        Assert.Null(sut.Psnr);
        Assert.NotNull(sut.Ssim);
        Assert.Equal(1.0, sut.Ssim.Value, precision: 12);
    }

    [Fact]
    public void Compute_KnownDelta_MatchesHandComputedNorms()
    {
        // 2x2 image, 12 values. Changes: R of pixel 0 by +0.25, G of pixel 1 by -0.5, B of pixel 0 by +0.125
        // (powers of two, so every difference is exact in float).
        // LInf = 0.5; L2 = sqrt(0.0625 + 0.25 + 0.015625) = sqrt(0.328125); L0 = 3 values in 2 pixels;
        // MSE = 0.328125 / 12, PSNR = 10 log10(12 / 0.328125) = 15.6314 dB.
        float[] clean = Enumerable.Repeat(0.5f, 12).ToArray();
        float[] adv = (float[])clean.Clone();
        adv[0] += 0.25f;
        adv[4 + 1] -= 0.5f;
        adv[8 + 0] += 0.125f;

        PerturbationMetrics sut = PerturbationMetrics.Compute(clean, adv, 2, 2);

        Assert.Equal(0.5, sut.LInf);
        Assert.Equal(Math.Sqrt(0.328125), sut.L2, precision: 12);
        Assert.Equal(3, sut.L0Values);
        Assert.Equal(2, sut.L0Pixels);
        Assert.NotNull(sut.Psnr);
        Assert.Equal(10 * Math.Log10(12 / 0.328125), sut.Psnr.Value, precision: 9);
        Assert.Equal(15.6314, sut.Psnr.Value, precision: 4);
        Assert.Null(sut.Ssim); // smaller than the 11 x 11 window
    }

    [Fact]
    public void Compute_UniformImagesOfDifferentGray_SsimIsHandComputedLuminanceTerm()
    {
        // Both images are flat, so every variance and covariance is 0 and SSIM reduces to
        // (2 mx my + C1) / (mx^2 + my^2 + C1) with C1 = 0.0001: (0.625 + 0.0001) / (0.25 + 0.390625 + 0.0001).
        float[] clean = Enumerable.Repeat(0.5f, 3 * 11 * 11).ToArray();
        float[] adv = Enumerable.Repeat(0.625f, 3 * 11 * 11).ToArray();

        PerturbationMetrics sut = PerturbationMetrics.Compute(clean, adv, 11, 11);

        Assert.NotNull(sut.Ssim);
        Assert.Equal(0.6251 / 0.640725, sut.Ssim.Value, precision: 9);
        Assert.Equal(0.97561, sut.Ssim.Value, precision: 5);
    }

    [Fact]
    public void Compute_RandomImages_SsimMatchesDirectWindowedFormula()
    {
        const int height = 14;
        const int width = 13;
        float[] clean = RandomImage(height, width, seed: 42);
        float[] adv = AddNoise(clean, 0.1f, seed: 43);

        PerturbationMetrics sut = PerturbationMetrics.Compute(clean, adv, height, width);

        Assert.NotNull(sut.Ssim);
        Assert.Equal(ReferenceSsim(clean, adv, height, width), sut.Ssim.Value, precision: 10);
    }

    [Fact]
    public void Compute_MoreNoise_LowersSsimAndPsnr()
    {
        float[] clean = RandomImage(32, 32, seed: 44);

        PerturbationMetrics small = PerturbationMetrics.Compute(clean, AddNoise(clean, 0.02f, seed: 45), 32, 32);
        PerturbationMetrics large = PerturbationMetrics.Compute(clean, AddNoise(clean, 0.2f, seed: 45), 32, 32);

        Assert.InRange(small.Ssim!.Value, 0.0, 0.9999);
        Assert.True(large.Ssim < small.Ssim, $"{large.Ssim} should be below {small.Ssim}");
        Assert.True(large.Psnr < small.Psnr, $"{large.Psnr} should be below {small.Psnr}");
        Assert.True(large.LInf <= 0.2 + 1e-6);
    }

    [Fact]
    public void Compute_WrongLength_ThrowsNamingParameter()
    {
        var ex = Assert.Throws<ArgumentException>(() => PerturbationMetrics.Compute(new float[12], new float[13], 2, 2));

        Assert.Equal("advChw", ex.ParamName);
    }

    private static float[] RandomImage(int height, int width, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * height * width).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static float[] AddNoise(float[] clean, float amplitude, int seed)
    {
        var random = new Random(seed);
        return clean.Select(v => Math.Clamp(v + (amplitude * ((2 * (float)random.NextDouble()) - 1)), 0f, 1f)).ToArray();
    }

    /// <summary>Wang et al.'s definition evaluated window by window with the full 2-D Gaussian, no shortcuts.</summary>
    private static double ReferenceSsim(float[] clean, float[] adv, int height, int width)
    {
        int plane = height * width;
        double Luma(float[] chw, int y, int x) =>
            (0.299 * chw[(y * width) + x]) + (0.587 * chw[plane + (y * width) + x]) + (0.114 * chw[(2 * plane) + (y * width) + x]);

        double[,] weights = new double[11, 11];
        double total = 0;
        for (int i = 0; i < 11; i++)
        {
            for (int j = 0; j < 11; j++)
            {
                weights[i, j] = Math.Exp(-(((i - 5) * (i - 5)) + ((j - 5) * (j - 5))) / (2 * 1.5 * 1.5));
                total += weights[i, j];
            }
        }

        double sum = 0;
        int windows = 0;
        for (int top = 0; top + 11 <= height; top++)
        {
            for (int left = 0; left + 11 <= width; left++)
            {
                double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
                for (int i = 0; i < 11; i++)
                {
                    for (int j = 0; j < 11; j++)
                    {
                        double w = weights[i, j] / total;
                        double x = Luma(clean, top + i, left + j);
                        double y = Luma(adv, top + i, left + j);
                        mx += w * x;
                        my += w * y;
                    }
                }

                for (int i = 0; i < 11; i++)
                {
                    for (int j = 0; j < 11; j++)
                    {
                        double w = weights[i, j] / total;
                        double x = Luma(clean, top + i, left + j) - mx;
                        double y = Luma(adv, top + i, left + j) - my;
                        sxx += w * x * x;
                        syy += w * y * y;
                        sxy += w * x * y;
                    }
                }

                const double c1 = 0.0001;
                const double c2 = 0.0009;
                sum += ((2 * mx * my) + c1) * ((2 * sxy) + c2) / (((mx * mx) + (my * my) + c1) * (sxx + syy + c2));
                windows++;
            }
        }

        return sum / windows;
    }

    [Fact]
    public void Compute_GrayImages_NormsAreOnTheGrayPlane()
    {
        float[] clean = Enumerable.Repeat(0.5f, 4).ToArray();
        float[] adv = (float[])clean.Clone();
        adv[1] += 0.3f;
        adv[2] -= 0.4f;

        PerturbationMetrics sut = PerturbationMetrics.Compute(clean, adv, height: 2, width: 2);

        Assert.Equal(0.5, sut.L2, 5);    // sqrt(0.09 + 0.16), not spread over three channels
        Assert.Equal(0.4, sut.LInf, 5);
        Assert.Equal((2, 2), (sut.L0Pixels, sut.L0Values));
        Assert.Equal(10 * Math.Log10(4 / 0.25), sut.Psnr!.Value, 3);  // MSE over the 4 gray values
    }

    [Fact]
    public void Compute_MismatchedChannels_Throws()
    {
        Assert.Throws<ArgumentException>(() => PerturbationMetrics.Compute(new float[4], new float[12], 2, 2));
    }
}
