using System.Buffers;
using AttackCore.Models;

namespace AttackCore.Attacks.Square;

/// <summary>
/// Square Attack: a score-based black-box attack by random search
/// (Andriushchenko, Croce, Flammarion, Hein, "Square Attack: a query-efficient black-box adversarial
/// attack via random search", ECCV 2020, arXiv:1912.00049), after the authors' reference code
/// (github.com/max-andr/square-attack, <c>attack.py</c>).
/// </summary>
/// <remarks>
/// <para>
/// Each iteration proposes, for every unfinished image, a change confined to one random square and
/// keeps it only when the loss strictly decreases. All unfinished images share one batched model call
/// per iteration, and each costs exactly one query; the initialization costs one more. The clean
/// classification is not counted, as in the paper.
/// </para>
/// <para>
/// Differences from the reference, each deliberate: every image draws from its own random stream
/// (seeded by <see cref="AttackOptions.Seed"/> and the image, see <see cref="SeededRandom.ForImage"/>), so its run does not depend on which images share
/// its batch (the reference's L2 variant draws one window for the whole batch); the query cap counts the
/// initialization for both norms (the reference's L2 loop runs one extra iteration); and a success must
/// survive being written as an 8-bit PNG: L-inf queries only 8-bit images (<see cref="QuantizationMode.OnGrid"/>),
/// L2 keeps the reference's continuous search but checks the 8-bit image before it stops
/// (<see cref="QuantizationMode.AfterSuccess"/>).
/// </para>
/// </remarks>
public sealed class SquareAttack : Attack<SquareAttackOptions>
{
    private readonly Dictionary<int, double[]> _bumps = [];

    /// <summary>Initializes a new instance of the <see cref="SquareAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="loss">The loss to minimize; defaults to the paper's (<see cref="MarginLoss"/>).</param>
    /// <param name="criterion">When an image counts as fooled; defaults to <see cref="TopOneCriterion"/>.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SquareAttack(SquareAttackOptions options, IAttackLoss? loss = null, IAdversarialCriterion? criterion = null, TimeProvider? timeProvider = null)
        : base(options, loss ?? MarginLoss.Instance, criterion, timeProvider)
    {
    }

    /// <summary>
    /// The paper's piecewise constant schedule for p, the fraction of pixels a square covers: the
    /// iteration is first rescaled to a 10,000-query budget, then p halves after iterations 10, 50, 200,
    /// 500, 1000, 2000, 4000, 6000 and 8000.
    /// </summary>
    /// <param name="pInit">The initial fraction.</param>
    /// <param name="iteration">The 0-based iteration (the initialization is not one).</param>
    /// <param name="maxQueries">The query budget (the reference's <c>n_iters</c>).</param>
    /// <returns>p for this iteration.</returns>
    internal static double PSchedule(double pInit, int iteration, int maxQueries)
    {
        int it = (int)((double)iteration / maxQueries * 10000);
        int halvings = it switch
        {
            <= 10 => 0,
            <= 50 => 1,
            <= 200 => 2,
            <= 500 => 3,
            <= 1000 => 4,
            <= 2000 => 5,
            <= 4000 => 6,
            <= 6000 => 7,
            <= 8000 => 8,
            <= 10000 => 9,
            _ => 0,
        };
        return pInit / (1 << halvings);
    }

    /// <summary>
    /// Starts a run: draws the initial perturbation for every image (vertical stripes for L-inf, a grid
    /// of pseudo-Gaussian bumps for L2) and scores all of them in one batched call (one query each).
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier (3 RGB or 1 gray plane). Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state after the initialization.</returns>
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        AttackState state = NewState(classifier, cleanImages, goals);
        int h = state.Height, w = state.Width;
        var all = new List<int>(state.Images.Count);
        for (int i = 0; i < state.Images.Count; i++)
        {
            AttackImageState image = state.Images[i];
            if (Options.Norm == NormKind.LInf)
            {
                InitStripes(image.Clean, image.Best, h, w, image.Random);
            }
            else
            {
                InitBumps(image.Clean, image.Best, h, w, image.Random);
            }

            if (Options.EffectiveQuantization == QuantizationMode.OnGrid)
            {
                PixelGrid.Project(image.Clean, image.Best, Options.Norm, Options.Epsilon);
            }

            all.Add(i);
        }

        using var slice = new SquareSlice(this, state, classifier, all.Count);
        for (int slot = 0; slot < all.Count; slot++)
        {
            state.Images[slot].Best.CopyTo(slice.Queries.Image(slot));
        }

        slice.Score(all);
        foreach (AttackImageState image in state.Images)
        {
            ExhaustIfSpent(image);
        }

        return state;
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier) =>
        new SquareSlice(this, state, classifier, state.Images.Count(i => i.Status == ImageAttackStatus.Running));

    /// <summary>L-inf initialization: one random +-eps per channel and column (vertical stripes), clipped to [0,1].</summary>
    /// <remarks>A gray image (one plane) draws one sign per column, as the reference does for MNIST's one channel.</remarks>
    private void InitStripes(float[] clean, float[] best, int h, int w, SeededRandom random)
    {
        float eps = (float)Options.Epsilon;
        int channels = clean.Length / (h * w);
        for (int c = 0; c < channels; c++)
        {
            for (int col = 0; col < w; col++)
            {
                float delta = random.NextSign() * eps;
                for (int row = 0; row < h; row++)
                {
                    int at = ((c * h) + row) * w + col;
                    best[at] = Math.Clamp(clean[at] + delta, 0f, 1f);
                }
            }
        }
    }

    /// <summary>
    /// L2 initialization: a 5 x 5 grid of tiles of side min(h, w) / 5, each a meta pseudo-Gaussian bump
    /// times a random sign per channel, the sum rescaled to norm eps and clipped to [0,1].
    /// </summary>
    private void InitBumps(float[] clean, float[] best, int h, int w, SeededRandom random)
    {
        int s = Math.Max(1, Math.Min(h, w) / 5);
        int top = Math.Max(0, (h - (s * 5)) / 2), left = Math.Max(0, (w - (s * 5)) / 2);
        int rows = Math.Min(h / s, (h - top) / s), cols = Math.Min(w / s, (w - left) / s);
        var delta = new double[clean.Length];
        int channels = clean.Length / (h * w);
        for (int tr = 0; tr < rows; tr++)
        {
            for (int tc = 0; tc < cols; tc++)
            {
                double[] bump = Bump(s);
                bool transpose = random.NextDouble() > 0.5;
                for (int c = 0; c < channels; c++)
                {
                    int sign = random.NextSign();
                    for (int r = 0; r < s; r++)
                    {
                        for (int q = 0; q < s; q++)
                        {
                            double b = transpose ? bump[(q * s) + r] : bump[(r * s) + q];
                            delta[((c * h) + top + (tr * s) + r) * w + left + (tc * s) + q] += b * sign;
                        }
                    }
                }
            }
        }

        double norm = Math.Sqrt(delta.Sum(d => d * d));
        double scale = norm > 0 ? Options.Epsilon / norm : 0;
        for (int i = 0; i < clean.Length; i++)
        {
            best[i] = Math.Clamp(clean[i] + (float)(delta[i] * scale), 0f, 1f);
        }
    }

    /// <summary>
    /// One L-inf proposal: a square of side round(sqrt(p h w)) (at least 1, below the image size) at a
    /// random corner gets one new +-eps per channel; a draw that would leave the image unchanged is redrawn.
    /// </summary>
    private void ProposeLInf(AttackImageState image, Span<float> candidate, int h, int w, double p)
    {
        int s = (int)Math.Round(Math.Sqrt(p * h * w));
        s = Math.Min(Math.Max(s, 1), Math.Min(h, w) - 1);
        int top = image.Random.NextInt(h - s);
        int left = image.Random.NextInt(w - s);
        float[] clean = image.Clean, best = image.Best;
        best.CopyTo(candidate);
        float eps = (float)Options.Epsilon;
        bool onGrid = Options.EffectiveQuantization == QuantizationMode.OnGrid;
        int steps = PixelGrid.StepsWithin(Options.Epsilon);
        int channels = clean.Length / (h * w);
        Span<int> signs = stackalloc int[channels];
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            for (int c = 0; c < channels; c++)
            {
                signs[c] = image.Random.NextSign();
            }

            bool changed = false;
            for (int c = 0; c < channels; c++)
            {
                for (int r = top; r < top + s; r++)
                {
                    int rowStart = ((c * h) + r) * w;
                    for (int q = left; q < left + s; q++)
                    {
                        int at = rowStart + q;
                        float value = onGrid
                            ? PixelGrid.FromLevel(Math.Clamp(PixelGrid.ToLevel(clean[at]) + (signs[c] * steps), 0, 255))
                            : Math.Clamp(clean[at] + (signs[c] * eps), 0f, 1f);
                        candidate[at] = value;
                        changed |= Math.Abs(value - best[at]) >= 1e-7f;
                    }
                }
            }

            if (changed)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One L2 proposal (the reference's windowed update): window 1 gets a fresh pseudo-Gaussian bump with a
    /// random sign per channel plus its old content, rescaled so the total norm can stay eps; window 2 is
    /// zeroed to free budget; then the whole perturbation is rescaled to norm eps and clipped.
    /// </summary>
    private void ProposeL2(AttackImageState image, Span<float> candidate, double[] delta, double[] windowBuffer, int h, int w, double p)
    {
        int s = Math.Max((int)Math.Round(Math.Sqrt(p * h * w)), 3);
        if (s % 2 == 0)
        {
            s++;
        }

        s = Math.Min(s, Math.Min(h, w) - 1);
        SeededRandom random = image.Random;
        int top1 = random.NextInt(h - s), left1 = random.NextInt(w - s);
        int top2 = random.NextInt(h - s), left2 = random.NextInt(w - s);
        double[] bump = Bump(s);
        bool transpose = random.NextDouble() > 0.5;

        float[] clean = image.Clean, best = image.Best;
        double imageSquared = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            double d = best[i] - (double)clean[i];
            delta[i] = d;
            imageSquared += d * d;
        }

        double eps = Options.Epsilon;
        double total = imageSquared;
        int channels = clean.Length / (h * w);
        Span<double> window = windowBuffer.AsSpan(0, s * s);
        for (int c = 0; c < channels; c++)
        {
            int sign = random.NextSign();
            double w1 = 0, w2 = 0, both = 0;
            for (int r = 0; r < s; r++)
            {
                for (int q = 0; q < s; q++)
                {
                    double d1 = delta[Index(c, top1 + r, left1 + q)];
                    w1 += d1 * d1;
                    int r2 = top1 + r - top2, q2 = left1 + q - left2;
                    if (r2 >= 0 && r2 < s && q2 >= 0 && q2 < s)
                    {
                        both += d1 * d1;
                    }

                    double d2 = delta[Index(c, top2 + r, left2 + q)];
                    w2 += d2 * d2;
                }
            }

            double windowNorm = Math.Sqrt(w1);
            double unionSquared = w1 + w2 - both;
            double fresh = 0;
            for (int r = 0; r < s; r++)
            {
                for (int q = 0; q < s; q++)
                {
                    double b = transpose ? bump[(q * s) + r] : bump[(r * s) + q];
                    double v = (b * sign) + (delta[Index(c, top1 + r, left1 + q)] / (1e-10 + windowNorm));
                    window[(r * s) + q] = v;
                    fresh += v * v;
                }
            }

            double target = Math.Sqrt((Math.Max((eps * eps) - imageSquared, 0) / channels) + unionSquared);
            double scale = fresh > 0 ? target / Math.Sqrt(fresh) : 0;
            total += (scale * scale * fresh) - unionSquared;
            for (int r = 0; r < s; r++)
            {
                for (int q = 0; q < s; q++)
                {
                    delta[Index(c, top2 + r, left2 + q)] = 0;
                }
            }

            for (int r = 0; r < s; r++)
            {
                for (int q = 0; q < s; q++)
                {
                    delta[Index(c, top1 + r, left1 + q)] = window[(r * s) + q] * scale;
                }
            }
        }

        // The total norm changes only inside the two windows: the union's old content left, window 1's new content came in.
        double rescale = total > 0 ? eps / Math.Sqrt(total) : 0;
        Span<double> direction = delta.AsSpan(0, clean.Length);
        if (Options.EffectiveQuantization == QuantizationMode.OnGrid)
        {
            PixelGrid.ProjectL2(clean, direction, rescale, candidate, eps);
        }
        else
        {
            for (int i = 0; i < clean.Length; i++)
            {
                candidate[i] = Math.Clamp(clean[i] + (float)(direction[i] * rescale), 0f, 1f);
            }
        }

        int Index(int c, int row, int col) => ((c * h) + row) * w + col;
    }

    /// <summary>
    /// The reference's "meta pseudo-Gaussian" bump of side s: the top half is a stack of concentric
    /// rectangles weighted 1/(k+1)^2, the bottom half the same negated, normalized to unit L2 norm.
    /// Cached per side; callers transpose it with probability 1/2.
    /// </summary>
    private double[] Bump(int s)
    {
        if (_bumps.TryGetValue(s, out double[]? cached))
        {
            return cached;
        }

        var bump = new double[s * s];
        int half = s / 2;
        AddRectangles(bump, s, 0, half, 1.0);
        AddRectangles(bump, s, half, s - half, -1.0);
        double norm = Math.Sqrt(bump.Sum(v => v * v));
        for (int i = 0; i < bump.Length; i++)
        {
            bump[i] /= norm;
        }

        _bumps[s] = bump;
        return bump;

        // pseudo_gaussian_pert_rectangles(rows, s): concentric rectangles around the centre, normalized.
        static void AddRectangles(double[] target, int s, int rowOffset, int rows, double sign)
        {
            if (rows == 0)
            {
                return;
            }

            var part = new double[rows * s];
            int rc = (rows / 2) + 1, cc = (s / 2) + 1;
            int r0 = rc - 1, c0 = cc - 1;
            for (int k = 0; k < Math.Max(rc, cc); k++)
            {
                for (int r = Math.Max(r0, 0); r < Math.Min(r0 + (2 * k) + 1, rows); r++)
                {
                    for (int c = Math.Max(c0, 0); c < Math.Min(c0 + (2 * k) + 1, s); c++)
                    {
                        part[(r * s) + c] += 1.0 / ((k + 1) * (k + 1));
                    }
                }

                r0--;
                c0--;
            }

            double norm = Math.Sqrt(part.Sum(v => v * v));
            for (int i = 0; i < part.Length; i++)
            {
                target[(rowOffset * s) + i] = sign * part[i] / norm;
            }
        }
    }

    /// <summary>
    /// One Start or Step call: the candidates and scores of the running images (one slot each), and the L2 scratch
    /// arrays, rented from the shared array pool and reused by every iteration of the call.
    /// </summary>
    private sealed class SquareSlice : Slice
    {
        private readonly SquareAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _classifier;
        private readonly double[] _delta;
        private readonly double[] _window;
        private readonly List<int> _gridChecks;

        public SquareSlice(SquareAttack attack, AttackState state, IClassifier classifier, int capacity)
        {
            _attack = attack;
            _state = state;
            _classifier = classifier;
            Queries = new QueryBuffer(state.ImageLength, classifier.NumClasses, capacity);
            bool l2 = state.Options.Norm == NormKind.L2;
            _delta = l2 ? ArrayPool<double>.Shared.Rent(state.ImageLength) : [];
            _window = l2 ? ArrayPool<double>.Shared.Rent(state.Height * state.Width) : [];
            _gridChecks = new List<int>(Queries.Capacity);
        }

        public QueryBuffer Queries { get; }

        /// <summary>One iteration: a proposal per running image, all scored in one call.</summary>
        public override long Iterate(IReadOnlyList<int> active)
        {
            SquareAttackOptions options = _attack.Options;
            for (int slot = 0; slot < active.Count; slot++)
            {
                AttackImageState image = _state.Images[active[slot]];
                double p = PSchedule(options.EffectivePInit, image.Iterations, options.MaxQueries);
                if (options.Norm == NormKind.LInf)
                {
                    _attack.ProposeLInf(image, Queries.Image(slot), _state.Height, _state.Width, p);
                }
                else
                {
                    _attack.ProposeL2(image, Queries.Image(slot), _delta, _window, _state.Height, _state.Width, p);
                }

                image.Iterations++;
            }

            return Score(active);
        }

        /// <summary>Scores the candidates in slots 0.. of <paramref name="active"/> in one call, accepts strict improvements, and checks successes.</summary>
        public long Score(IReadOnlyList<int> active)
        {
            long queries = Queries.Predict(_classifier, active.Count);
            _gridChecks.Clear();
            for (int slot = 0; slot < active.Count; slot++)
            {
                AttackImageState image = _state.Images[active[slot]];
                ReadOnlySpan<float> logits = Queries.Logits(slot);
                image.Queries++;
                if (_attack.TryImprove(image, Queries.Image(slot), logits) && _attack.Criterion.IsAdversarial(logits, image.Goal))
                {
                    if (_attack.Options.EffectiveQuantization == QuantizationMode.OnGrid)
                    {
                        image.Status = ImageAttackStatus.Succeeded;
                    }
                    else
                    {
                        // AfterSuccess: the continuous candidate fooled the model; its 8-bit projection must too.
                        image.ContinuousSuccessQueries ??= image.Queries;
                        _gridChecks.Add(active[slot]);
                    }
                }
            }

            int checks = _attack.PrepareGridChecks(_state, _gridChecks, Queries, 0);
            queries += Queries.Predict(_classifier, checks);
            _attack.FinishGridChecks(_state, _gridChecks, Queries, 0);
            return queries;
        }

        protected override void Release()
        {
            Queries.Dispose();
            if (_delta.Length > 0)
            {
                ArrayPool<double>.Shared.Return(_delta);
                ArrayPool<double>.Shared.Return(_window);
            }
        }
    }
}
