using System.Buffers;
using AttackCore.Models;

namespace AttackCore.Attacks.Bandits;

/// <summary>
/// Bandits-TD: a score-based black-box attack that estimates the loss gradient with two queries per iteration and
/// keeps it as a prior that carries over iterations (time prior) and lives on a coarse grid of tiles (data prior)
/// (Ilyas, Engstrom, Madry, "Prior Convictions: Black-Box Adversarial Attacks with Bandits and Priors", ICLR 2019,
/// arXiv:1807.07978), after the authors' reference code (github.com/MadryLab/blackbox-bandits, <c>src/main.py</c>,
/// <c>make_adversarial_examples</c> with <c>--tiling</c>).
/// </summary>
/// <remarks>
/// <para>
/// Each iteration, for every unfinished image with iterate x, prior v (3 x gh x gw tiles of
/// <see cref="BanditsTdOptions.TileSize"/> pixels) and loss L (the cross-entropy, <see cref="CrossEntropyLoss"/>,
/// written here as the value the reference ascends, minus the loss to minimize):
/// <list type="number">
/// <item>exploration: u ~ N(0, I) on the grid, e = delta u / sqrt(d) with d = 3 gh gw and delta =
/// <see cref="BanditsTdOptions.Exploration"/>; probes q1 = up(v + e), q2 = up(v - e), where up repeats each tile's
/// value over its pixels (nearest-neighbour upsampling);</item>
/// <item>two queries: l1 = L(x + eta q1 / |q1|), l2 = L(x + eta q2 / |q2|) with eta = <see cref="BanditsTdOptions.FdEta"/>
/// and |.| the L2 norm over the whole image; the probes of all running images go in one batched call (2n images);</item>
/// <item>bandit gradient: g = (l1 - l2) / (eta delta) x e, an estimate of the gradient of the directional loss with
/// respect to the prior;</item>
/// <item>prior update, rate <see cref="BanditsTdOptions.OnlineLr"/>: L-inf by exponentiated gradients on v in [-1,1],
/// v' = 2 sigma - 1 with sigma = r e^(lr g) / (r e^(lr g) + (1 - r) e^(-lr g)), r = (v + 1) / 2, computed in the
/// equal, overflow-free form v' = tanh(atanh(v) + lr g); L2 by a plain gradient step v' = v + lr g;</item>
/// <item>image step, size h = <see cref="BanditsTdOptions.ImageLr"/>: L-inf x' = x + h sign(up(v')), L2
/// x' = x + h up(v') / |up(v')|; then projection onto the eps ball around the clean image (L-inf: clip each value,
/// L2: rescale the perturbation to norm eps when longer) and onto [0,1];</item>
/// <item>one more query scores the 8-bit projection of x' (<see cref="PixelGrid.Project"/>), all running images in one
/// batched call: that image becomes <see cref="AttackImageState.Best"/>, and the image succeeds when it meets the goal.</item>
/// </list>
/// </para>
/// <para>
/// Query counting: an iteration costs exactly <see cref="QueriesPerIteration"/> (3) queries per image, and nothing
/// else is queried (the start scores nothing: the clean prediction is the engine's, as in the reference). The
/// reference counts 2 per iteration: it checks the new image with a model call it does not count. So for the same
/// number of iterations this count is 1.5 times the reference's, and a 10,000-query budget runs 3,333 iterations,
/// where the reference runs 4,999. The 8-bit check costs nothing extra because the score query is made on the grid.
/// </para>
/// <para>
/// Bandits does not accept or reject: the iterate moves every iteration, and <see cref="AttackImageState.Best"/> is the
/// 8-bit projection of the current iterate, so <see cref="AttackImageState.BestLoss"/> may go up from one iteration to
/// the next. The continuous iterate and the prior are kept in <see cref="BanditsImageState"/>.
/// </para>
/// <para>
/// Differences from the reference, each deliberate: every image draws from its own random stream (seeded by
/// <see cref="AttackOptions.Seed"/> and the image, see <see cref="SeededRandom.ForImage"/>), so its run does not depend
/// on its batch-mates; tiles are exactly <see cref="BanditsTdOptions.TileSize"/> pixels (the last row and column of tiles
/// may be narrower) where the reference upsamples a 50 x 50 grid to 299 x 299 (tiles of 5 or 6 pixels); probes are
/// clipped to [0,1] (the reference queries the few values just outside as they are); targeted runs descend the target's
/// cross-entropy (the reference is untargeted only); an image stops as soon as its 8-bit image meets the goal (the
/// reference keeps updating finished images in the batch, uncounted); and the query count is the honest one above.
/// </para>
/// </remarks>
public sealed class BanditsTdAttack : Attack<BanditsTdOptions>
{
    /// <summary>Queries per image per iteration: two probes for the gradient estimate and one score of the new image.</summary>
    public const int QueriesPerIteration = 3;


    /// <summary>Initializes a new instance of the <see cref="BanditsTdAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="loss">The loss to minimize; defaults to the reference's cross-entropy (<see cref="CrossEntropyLoss"/>).</param>
    /// <param name="criterion">When an image counts as fooled; defaults to <see cref="TopOneCriterion"/>.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public BanditsTdAttack(BanditsTdOptions options, IAttackLoss? loss = null, IAdversarialCriterion? criterion = null, TimeProvider? timeProvider = null)
        : base(options, loss ?? CrossEntropyLoss.Instance, criterion, timeProvider)
    {
    }

    /// <summary>Gets <see cref="QueriesPerIteration"/>: every iteration costs exactly that, so an image with fewer left is exhausted.</summary>
    protected override int MinQueriesPerIteration => QueriesPerIteration;

    /// <summary>Gets the size of the prior's grid: ceil(height / tile) rows by ceil(width / tile) columns of tiles.</summary>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="tileSize">Tile side in pixels.</param>
    /// <returns>Tile rows and columns.</returns>
    internal static (int Rows, int Cols) PriorGrid(int height, int width, int tileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileSize);
        return ((height + tileSize - 1) / tileSize, (width + tileSize - 1) / tileSize);
    }

    /// <summary>
    /// Starts a run: every image's iterate is its clean image and its prior is zero. Spends no query (the first
    /// iteration's probes are the first queries).
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier (3 RGB or 1 gray plane). Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state, every image running with no query spent.</returns>
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        AttackState state = NewState(classifier, cleanImages, goals);
        (int rows, int cols) = PriorGrid(state.Height, state.Width, Options.EffectiveTileSize);
        foreach (AttackImageState image in state.Images)
        {
            ((BanditsImageState)image).Prior = new float[state.Channels * rows * cols];
        }

        return state;
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        var grid = new Grid(state.Channels, state.Height, state.Width, Options.EffectiveTileSize);
        foreach (AttackImageState image in state.Images)
        {
            if (image is not BanditsImageState bandits || bandits.Prior.Length != grid.Length)
            {
                throw new ArgumentException($"The state's images do not hold a Bandits prior of {grid.Length} values; it was not made by this attack.", nameof(state));
            }
        }

        return new BanditsSlice(this, state, classifier, grid, state.Images.Count(i => i.Status == ImageAttackStatus.Running));
    }

    /// <summary>One iteration for every active image: the probes in one batched call, the updates, then the scores in another.</summary>
    private long Iterate(AttackState state, IClassifier classifier, IReadOnlyList<int> active, BanditsSlice work)
    {
        int n = active.Count;
        double eta = Options.EffectiveFdEta, delta = Options.EffectiveExploration;
        Grid grid = work.Grid;
        double noiseScale = delta / Math.Sqrt(grid.Length);
        QueryBuffer queries = work.Queries;
        for (int slot = 0; slot < n; slot++)
        {
            var image = (BanditsImageState)state.Images[active[slot]];
            Span<double> noise = work.Noise(slot);
            GaussianNoise.Fill(image.Random, noise);
            for (int t = 0; t < noise.Length; t++)
            {
                noise[t] *= noiseScale;
            }

            WriteProbe(image, noise, +1, queries.Image(2 * slot), grid, eta);
            WriteProbe(image, noise, -1, queries.Image((2 * slot) + 1), grid, eta);
        }

        queries.Predict(classifier, 2 * n);
        for (int slot = 0; slot < n; slot++)
        {
            var image = (BanditsImageState)state.Images[active[slot]];
            double loss1 = Loss.Evaluate(queries.Logits(2 * slot), image.Goal).Loss;
            double loss2 = Loss.Evaluate(queries.Logits((2 * slot) + 1), image.Goal).Loss;

            // The reference ascends L = -loss: est_deriv = (L(q1) - L(q2)) / (eta delta) = (loss2 - loss1) / (eta delta).
            double derivative = (loss2 - loss1) / (eta * delta);
            UpdatePrior(image.Prior, work.Noise(slot), derivative);
            MoveImage(image, grid);
        }

        // The score query: the 8-bit projection of each new iterate, so a success is checked on the grid at no extra cost.
        for (int slot = 0; slot < n; slot++)
        {
            var image = (BanditsImageState)state.Images[active[slot]];
            Span<float> candidate = queries.Image(slot);
            image.Iterate.CopyTo(candidate);
            PixelGrid.Project(image.Clean, candidate, Options.Norm, Options.Epsilon);
        }

        queries.Predict(classifier, n);
        for (int slot = 0; slot < n; slot++)
        {
            AttackImageState image = state.Images[active[slot]];
            ReadOnlySpan<float> logits = queries.Logits(slot);
            image.Queries += QueriesPerIteration;
            image.Iterations++;

            // No accept-or-reject: the best image is the current iterate's 8-bit projection.
            SetBest(image, queries.Image(slot), logits, Loss.Evaluate(logits, image.Goal));
            if (Criterion.IsAdversarial(logits, image.Goal))
            {
                image.Status = ImageAttackStatus.Succeeded;
            }
        }

        return (long)QueriesPerIteration * n;
    }

    /// <summary>Writes the probe x + eta q / |q| with q = up(v + sign e), clipped to [0,1].</summary>
    private static void WriteProbe(BanditsImageState image, ReadOnlySpan<double> noise, int sign, Span<float> probe, Grid grid, double eta)
    {
        float[] prior = image.Prior, x = image.Iterate;
        double squares = 0;
        for (int t = 0; t < prior.Length; t++)
        {
            double q = prior[t] + (sign * noise[t]);
            squares += grid.Weight(t) * q * q;
        }

        // The reference's norm(): a zero vector gets norm 1e-8 instead of 0.
        double norm = Math.Sqrt(squares);
        double scale = eta / (norm == 0 ? 1e-8 : norm);
        for (int c = 0; c < grid.Channels; c++)
        {
            for (int r = 0; r < grid.Height; r++)
            {
                int rowStart = ((c * grid.Height) + r) * grid.Width;
                int tileRow = ((c * grid.Rows) + (r / grid.Tile)) * grid.Cols;
                for (int col = 0; col < grid.Width; col++)
                {
                    int t = tileRow + (col / grid.Tile);
                    double q = prior[t] + (sign * noise[t]);
                    probe[rowStart + col] = Math.Clamp(x[rowStart + col] + (float)(q * scale), 0f, 1f);
                }
            }
        }
    }

    /// <summary>The bandit step on the prior with gradient estimate g = derivative x e.</summary>
    private void UpdatePrior(float[] prior, ReadOnlySpan<double> noise, double derivative)
    {
        double lr = Options.EffectiveOnlineLr;
        if (Options.Norm == NormKind.LInf)
        {
            // Exponentiated gradients on [-1,1] (the reference's eg_step) in its equal form tanh(atanh(v) + lr g),
            // which cannot overflow; a value that reached +-1 stays there, as in the reference.
            for (int t = 0; t < prior.Length; t++)
            {
                prior[t] = (float)Math.Tanh(Math.Atanh(prior[t]) + (lr * derivative * noise[t]));
            }
        }
        else
        {
            for (int t = 0; t < prior.Length; t++)
            {
                prior[t] = (float)(prior[t] + (lr * derivative * noise[t]));
            }
        }
    }

    /// <summary>The image step along the upsampled prior, then the projection onto the eps ball and [0,1].</summary>
    private void MoveImage(BanditsImageState image, Grid grid)
    {
        float[] prior = image.Prior, x = image.Iterate, clean = image.Clean;
        double h = Options.EffectiveImageLr, eps = Options.Epsilon;
        bool linf = Options.Norm == NormKind.LInf;
        double factor = h;
        if (!linf)
        {
            double squares = 0;
            for (int t = 0; t < prior.Length; t++)
            {
                squares += grid.Weight(t) * prior[t] * (double)prior[t];
            }

            double norm = Math.Sqrt(squares);
            factor = h / (norm == 0 ? 1e-8 : norm);
        }

        double perturbation = 0;
        for (int c = 0; c < grid.Channels; c++)
        {
            for (int r = 0; r < grid.Height; r++)
            {
                int rowStart = ((c * grid.Height) + r) * grid.Width;
                int tileRow = ((c * grid.Rows) + (r / grid.Tile)) * grid.Cols;
                for (int col = 0; col < grid.Width; col++)
                {
                    int at = rowStart + col;
                    double v = prior[tileRow + (col / grid.Tile)];
                    double moved = x[at] + (factor * (linf ? Math.Sign(v) : v));
                    if (linf)
                    {
                        moved = Math.Clamp(moved, clean[at] - eps, clean[at] + eps);
                        x[at] = Math.Clamp((float)moved, 0f, 1f);
                    }
                    else
                    {
                        x[at] = (float)moved;
                        double d = moved - clean[at];
                        perturbation += d * d;
                    }
                }
            }
        }

        if (!linf)
        {
            // The reference's l2_proj: rescale the perturbation to norm eps when it is longer; then clip to [0,1].
            double norm = Math.Sqrt(perturbation);
            double shrink = norm > eps ? eps / norm : 1.0;
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = Math.Clamp((float)(clean[i] + ((x[i] - (double)clean[i]) * shrink)), 0f, 1f);
            }
        }
    }

    /// <summary>The tiling of an image: pixel (r, col) belongs to tile (r / Tile, col / Tile); edge tiles may be narrower.</summary>
    private readonly record struct Grid
    {
        public Grid(int channels, int height, int width, int tile)
        {
            Channels = channels;
            Height = height;
            Width = width;
            Tile = tile;
            (Rows, Cols) = PriorGrid(height, width, tile);
        }

        public int Channels { get; }

        public int Height { get; }

        public int Width { get; }

        public int Tile { get; }

        public int Rows { get; }

        public int Cols { get; }

        public int Length => Channels * Rows * Cols;

        /// <summary>The number of pixels tile value <paramref name="t"/> covers (its weight in the upsampled L2 norm).</summary>
        public int Weight(int t)
        {
            int inChannel = t % (Rows * Cols);
            int row = inChannel / Cols, col = inChannel % Cols;
            return Math.Min(Tile, Height - (row * Tile)) * Math.Min(Tile, Width - (col * Tile));
        }
    }

    /// <summary>
    /// One Step call: two probe slots per running image, the noise of each, rented from the shared array pool and
    /// reused by every iteration of the call.
    /// </summary>
    private sealed class BanditsSlice : Slice
    {
        private readonly BanditsTdAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _classifier;
        private readonly double[] _noise;

        public BanditsSlice(BanditsTdAttack attack, AttackState state, IClassifier classifier, Grid grid, int capacity)
        {
            _attack = attack;
            _state = state;
            _classifier = classifier;
            Grid = grid;
            capacity = Math.Max(capacity, 1);
            Queries = new QueryBuffer(state.ImageLength, classifier.NumClasses, 2 * capacity);
            _noise = ArrayPool<double>.Shared.Rent(capacity * grid.Length);
        }

        public Grid Grid { get; }

        public QueryBuffer Queries { get; }

        public Span<double> Noise(int slot) => _noise.AsSpan(slot * Grid.Length, Grid.Length);

        public override long Iterate(IReadOnlyList<int> active) => _attack.Iterate(_state, _classifier, active, this);

        protected override void Release()
        {
            Queries.Dispose();
            ArrayPool<double>.Shared.Return(_noise);
        }
    }
}
