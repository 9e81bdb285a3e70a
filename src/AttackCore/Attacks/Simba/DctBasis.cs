namespace AttackCore.Attacks.Simba;

/// <summary>
/// The orthonormal 2-D DCT basis of an image of height x width, one channel at a time (the whole image as one block,
/// as the reference's <c>block_idct(x, block_size=image_size)</c>), and the SimBA coordinate order over it.
/// </summary>
/// <remarks>
/// Basis image (u, v) is the outer product of two 1-D cosines, <c>B(r, q) = a_u cos(pi (2r+1) u / 2H) a_v cos(pi (2q+1) v / 2W)</c>
/// with <c>a_0 = sqrt(1/N)</c> and <c>a_k = sqrt(2/N)</c> (scipy's <c>idct(norm='ortho')</c>, a DCT-III), so each has unit
/// L2 norm and the inverse DCT of a coefficient vector is the sum of its coefficients times these images. The 1-D
/// tables are computed once, which makes one coordinate step cost H x W multiply-adds instead of a full inverse DCT.
/// </remarks>
internal sealed class DctBasis
{
    public DctBasis(int height, int width)
    {
        Height = height;
        Width = width;
        Rows = CosineTable(height);
        Columns = CosineTable(width);
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Gets <c>a_u cos(pi (2r+1) u / 2H)</c> at <c>[u * H + r]</c>.</summary>
    public double[] Rows { get; }

    /// <summary>Gets <c>a_v cos(pi (2q+1) v / 2W)</c> at <c>[v * W + q]</c>.</summary>
    public double[] Columns { get; }

    /// <summary>The orthonormal 1-D DCT-III table of size n x n, frequency-major.</summary>
    public static double[] CosineTable(int n)
    {
        var table = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            double scale = Math.Sqrt((k == 0 ? 1.0 : 2.0) / n);
            for (int i = 0; i < n; i++)
            {
                table[(k * n) + i] = scale * Math.Cos(Math.PI * ((2 * i) + 1) * k / (2.0 * n));
            }
        }

        return table;
    }

    /// <summary>
    /// The reference's strided <c>block_order</c>, generalized to non-square images: first the coefficients
    /// (c, u, v) with u, v below <paramref name="initialSize"/> in all channels, in random order; then, band by band,
    /// the coefficients with max(u, v) in [i, i + stride) for i = initialSize, initialSize + stride, ..., each band in
    /// random order. Each band is shuffled uniformly (Fisher-Yates), which is the distribution of the reference's
    /// ranks-then-argsort. Indices are CHW offsets c H W + u W + v.
    /// </summary>
    /// <param name="channels">Number of channels.</param>
    /// <param name="height">Coefficient rows (image height).</param>
    /// <param name="width">Coefficient columns (image width).</param>
    /// <param name="initialSize">Side of the first block.</param>
    /// <param name="stride">Width of each later band.</param>
    /// <param name="random">The stream the shuffles draw from; advanced.</param>
    /// <param name="count">How many leading entries to return; bands past them are not drawn.</param>
    /// <returns>The first <paramref name="count"/> (at most channels H W) coefficient indices.</returns>
    public static int[] BlockOrder(int channels, int height, int width, int initialSize, int stride, SeededRandom random, int count)
    {
        int total = channels * height * width;
        count = Math.Min(count, total);
        var order = new List<int>(count);
        initialSize = Math.Min(initialSize, Math.Max(height, width));
        Add(order, channels, height, width, 0, initialSize, 0, initialSize);
        Shuffle(order, 0, random);
        for (int i = initialSize; i < Math.Max(height, width) && order.Count < count; i += stride)
        {
            int start = order.Count;
            Add(order, channels, height, width, 0, i + stride, i, i + stride);
            Add(order, channels, height, width, i, i + stride, 0, i);
            Shuffle(order, start, random);
        }

        return order.GetRange(0, count).ToArray();

        static void Add(List<int> order, int channels, int h, int w, int u0, int u1, int v0, int v1)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int u = u0; u < Math.Min(u1, h); u++)
                {
                    for (int v = v0; v < Math.Min(v1, w); v++)
                    {
                        order.Add((((c * h) + u) * w) + v);
                    }
                }
            }
        }

        static void Shuffle(List<int> order, int start, SeededRandom random)
        {
            for (int k = order.Count - 1; k > start; k--)
            {
                int j = start + random.NextInt(k - start + 1);
                (order[k], order[j]) = (order[j], order[k]);
            }
        }
    }
}
