using System.Buffers;
using AttackCore.Models;

namespace AttackCore.Attacks.HopSkipJump;

/// <summary>
/// HopSkipJump: a decision-based black-box attack that reads only the top-1 label of each query
/// (Chen, Jordan, Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based Attack", IEEE S&amp;P 2020,
/// arXiv:1904.02144), after the authors' reference code (github.com/Jianbo-Lab/HSJA, <c>hsja.py</c>).
/// </summary>
/// <remarks>
/// <para>
/// It walks along the decision boundary towards the clean image x, minimizing the distance in the chosen norm.
/// Initialization: uniform random noise images until one meets the goal (at most <see cref="HopSkipJumpOptions.InitSize"/>
/// tries, or a given starting image), then a binary search on the blend (1 - a) x + a noise to tolerance 0.001, then a
/// binary search to the boundary. Each iteration t = 1, 2, ... then does, at the boundary point x_t (<see cref="AttackImageState.Best"/>):
/// </para>
/// <list type="number">
/// <item><description>
/// Gradient-direction estimate: n_t = min(InitEvals sqrt(t), MaxEvals) probes x_t + delta u_b, u_b uniform on the unit
/// L2 sphere (a normalized Gaussian for L2, normalized uniform [-1,1] noise for L-inf), clipped to [0,1]; with
/// phi_b = +1 when a probe meets the goal and -1 otherwise, the estimate is mean_b (phi_b - mean phi) u_b (the
/// baseline subtraction lowers its variance), or +-mean u_b when all phi_b agree. The probe radius is
/// delta = 0.1 in the first iteration, then sqrt(d) theta dist for L2 and d theta dist for L-inf, dist the distance
/// of the last point the boundary search started from.
/// </description></item>
/// <item><description>
/// Step: the update v is the unit estimate (L2) or its sign (L-inf); the step size starts at ||x_t - x|| / sqrt(t)
/// and halves until clip(x_t + step v) meets the goal (geometric progression).
/// </description></item>
/// <item><description>
/// Binary search back to the boundary between x and that point, down to the threshold theta = gamma / d^(3/2) on the
/// blend factor for L2, and, for L-inf, on the radius r of the box projection clip(point, x - r, x + r) down to
/// min(theta dist, theta) with theta = gamma / d^2 (d values per image).
/// </description></item>
/// </list>
/// <para>
/// Budget and success: the audit has an eps budget. Whenever the boundary point lies within eps, its perturbation is
/// stretched along its ray to eps and projected onto the 8-bit grid (<see cref="PixelGrid.Project"/>) and that image
/// is queried; if it meets the goal it becomes <see cref="AttackImageState.Best"/> and the image is
/// <see cref="ImageAttackStatus.Succeeded"/>. Otherwise the image runs until <see cref="AttackOptions.MaxQueries"/> or
/// <see cref="HopSkipJumpOptions.MaxIterations"/> (then <see cref="ImageAttackStatus.Exhausted"/>); a budget reached
/// in the middle of an iteration ends the image there, its best image being the last boundary point.
/// <see cref="AttackImageState.BestLoss"/> is the distance of the best image and <see cref="AttackImageState.BestMargin"/>
/// the distance minus eps.
/// </para>
/// <para>
/// Every query counts, for the image it belongs to. The images of a batch advance in rounds: in each round every
/// running image makes the queries of its current phase (all probes of a gradient estimate, or one search query),
/// and the queries of all images share batched model calls of at most 256 images. The attack reads nothing of a
/// model's output but the index of its largest value, so it runs the same against a <see cref="LabelOnlyClassifier"/>.
/// </para>
/// <para>
/// Differences from the reference, each deliberate: every image draws from its own random stream, and each probe
/// from a stream seeded by it, so its run does not depend on its batch-mates or on thread scheduling; noise
/// initialization stops after <see cref="HopSkipJumpOptions.InitSize"/> tries (as ART) instead of failing after 10,000;
/// a targeted image without a starting image tries noise too and is <see cref="ImageAttackStatus.Exhausted"/>, with no
/// further queries, when no try reaches the target; a binary-search midpoint whose float32 image equals the image at
/// one end of the interval is settled without a query (the model cannot tell them apart, while the reference's
/// float64 search spends queries there: for L-inf about a third of each search); the step-size search gives up the
/// iteration after 30 halvings; and the 8-bit check above, which the reference (minimizing distance without a budget)
/// does not have.
/// </para>
/// </remarks>
public sealed class HopSkipJumpAttack : Attack<HopSkipJumpOptions>, IStartingPointAttack
{
    private const double BlendTolerance = 0.001;
    private const int MaxHalvings = 30;
    private const int MaxBatchImages = 256;
    private const long MaxBatchValues = 16L << 20;
    private const int AccumulateBlock = 4096;

    /// <summary>Initializes a new instance of the <see cref="HopSkipJumpAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public HopSkipJumpAttack(HopSkipJumpOptions options, TimeProvider? timeProvider = null)
        : base(options, loss: null, TopOneCriterion.Instance, timeProvider)
    {
    }

    /// <summary>
    /// The binary search threshold theta of the reference: gamma / d^(3/2) for L2 and gamma / d^2 for L-inf.
    /// </summary>
    /// <param name="norm">The norm.</param>
    /// <param name="gamma">The factor <see cref="HopSkipJumpOptions.Gamma"/>.</param>
    /// <param name="values">d, the number of values per image (3 x height x width).</param>
    /// <returns>theta.</returns>
    internal static double Theta(NormKind norm, double gamma, int values) =>
        norm == NormKind.L2 ? gamma / (values * Math.Sqrt(values)) : gamma / ((double)values * values);

    /// <summary>The number of probes of the gradient estimate of iteration <paramref name="iteration"/> (from 0): min(InitEvals sqrt(iteration + 1), MaxEvals).</summary>
    /// <param name="initEvals">The probes of the first estimate.</param>
    /// <param name="maxEvals">The most probes of one estimate.</param>
    /// <param name="iteration">The 0-based iteration.</param>
    /// <returns>The number of probes.</returns>
    internal static int NumEvals(int initEvals, int maxEvals, int iteration) =>
        (int)Math.Min(initEvals * Math.Sqrt(iteration + 1.0), maxEvals);

    /// <summary>Starts a run without starting images: every image starts from random noise (see the overload with starting images).</summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier (3 RGB or 1 gray plane). Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state after the first round (one query per image).</returns>
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals) =>
        Start(classifier, cleanImages, goals, null);

    /// <summary>
    /// Starts a run and spends its first round: one query per image, either its first noise try or the check of its
    /// starting image. An image whose starting image does not meet its goal is <see cref="ImageAttackStatus.Exhausted"/>.
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier (3 RGB or 1 gray plane). Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <param name="startingImages">
    /// Per image, an image in [0,1] that meets its goal (for a targeted attack: one the model labels as the target),
    /// or <see langword="null"/> to search random noise for one. It is copied into the state, so it is saved with it.
    /// </param>
    /// <returns>The state after the first round.</returns>
    public AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals, IReadOnlyList<float[]?>? startingImages)
    {
        AttackState state = NewState(classifier, cleanImages, goals);
        int length = state.ImageLength;
        if (startingImages is not null && startingImages.Count != cleanImages.Count)
        {
            throw new ArgumentException($"Got {cleanImages.Count} images but {startingImages.Count} starting images.", nameof(startingImages));
        }

        var all = new List<int>(state.Images.Count);
        for (int i = 0; i < state.Images.Count; i++)
        {
            var image = (HopSkipJumpImageState)state.Images[i];
            if (startingImages?[i] is float[] start)
            {
                if (start.Length != length || start.Any(v => !(v >= 0f && v <= 1f)))
                {
                    throw new ArgumentException($"Starting image {i} must have {length} values in [0,1].", nameof(startingImages));
                }

                start.CopyTo(image.Far, 0);
                image.Phase = HopSkipJumpPhase.CheckStart;
            }

            all.Add(i);
        }

        using var slice = new HopSkipJumpSlice(this, state, classifier);
        slice.Iterate(all);
        foreach (AttackImageState image in state.Images)
        {
            ExhaustIfSpent(image);
        }

        return state;
    }

    /// <inheritdoc />
    /// <remarks>A round (one phase action of every running image, see the remarks on the class) is the iteration here: <see cref="StepBudget.MaxIterations"/> counts rounds.</remarks>
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        RequireImages<HopSkipJumpImageState>(state);

        return new HopSkipJumpSlice(this, state, classifier);
    }

    /// <summary>The queries the image's current phase makes this round: one, or the probes of a gradient estimate.</summary>
    protected override long PlannedQueries(AttackImageState image) => QueriesThisRound((HopSkipJumpImageState)image);

    /// <summary>One round: every active image's queries for its current phase, packed into batched model calls; then each image moves on.</summary>
    private long RunRound(IClassifier classifier, AttackState state, IReadOnlyList<int> active, HopSkipJumpSlice work)
    {
        int filled = 0;
        long queries = 0;
        foreach (int index in active)
        {
            var image = (HopSkipJumpImageState)state.Images[index];
            int count = QueriesThisRound(image);
            bool seeded = image.Phase is HopSkipJumpPhase.Initialize or HopSkipJumpPhase.GradientEstimate;
            if (image.Phase == HopSkipJumpPhase.GradientEstimate && count > 0)
            {
                work.Gradients[index] = new GradientSums(state.ImageLength);
            }

            for (int j = 0; j < count; j++)
            {
                work.Owner[filled] = index;
                work.Seed[filled] = seeded ? image.Random.NextUInt64() : 0;
                if (++filled == work.Capacity)
                {
                    queries += Flush(classifier, state, work, filled);
                    filled = 0;
                }
            }
        }

        if (filled > 0)
        {
            queries += Flush(classifier, state, work, filled);
        }

        foreach (int index in active)
        {
            var image = (HopSkipJumpImageState)state.Images[index];
            if (work.Gradients.Remove(index, out GradientSums? sums))
            {
                FinishGradient(image, sums);
                sums.Dispose();
            }

            Settle(image);
        }

        return queries;
    }

    /// <summary>Writes the <paramref name="filled"/> queued queries, scores them in one call, and hands each result to its image.</summary>
    private int Flush(IClassifier classifier, AttackState state, HopSkipJumpSlice work, int filled)
    {
        QueryBuffer queries = work.Queries;
        Parallel.For(0, filled, slot => WriteQuery((HopSkipJumpImageState)state.Images[work.Owner[slot]], work.Seed[slot], queries.Image(slot)));
        queries.Predict(classifier, filled);
        for (int slot = 0; slot < filled; slot++)
        {
            // The top-1 label is all the attack reads of a model's output.
            work.Labels[slot] = LogitMath.ArgMax(queries.Logits(slot));
        }

        for (int first = 0; first < filled;)
        {
            int owner = work.Owner[first], end = first + 1;
            while (end < filled && work.Owner[end] == owner)
            {
                end++;
            }

            var image = (HopSkipJumpImageState)state.Images[owner];
            image.Queries += end - first;
            if (work.Gradients.TryGetValue(owner, out GradientSums? sums))
            {
                Accumulate(image, sums, work, first, end);
            }
            else
            {
                int label = work.Labels[first];
                Consume(image, MeetsGoal(label, image.Goal), label, queries.Image(first));
            }

            first = end;
        }

        return filled;
    }

    /// <summary>How many queries the image's current phase makes this round, within its query budget.</summary>
    private int QueriesThisRound(HopSkipJumpImageState image)
    {
        int remaining = Options.MaxQueries - image.Queries;
        if (image.Status != ImageAttackStatus.Running || remaining <= 0)
        {
            return 0;
        }

        return image.Phase == HopSkipJumpPhase.GradientEstimate
            ? Math.Min(NumEvals(Options.InitEvals, Options.MaxEvals, image.Iterations), remaining)
            : 1;
    }

    /// <summary>Writes one query of the image's current phase (pure: reads the state, changes nothing, so slots can be written in parallel).</summary>
    private void WriteQuery(HopSkipJumpImageState image, ulong seed, Span<float> destination)
    {
        switch (image.Phase)
        {
            case HopSkipJumpPhase.Initialize:
                new ProbeNoise(seed).FillUniform(destination, 0, 1);
                break;
            case HopSkipJumpPhase.CheckStart:
                image.Far.CopyTo(destination);
                break;
            case HopSkipJumpPhase.Blend or HopSkipJumpPhase.BoundarySearch:
                WriteSearchPoint(image, (image.Low + image.High) / 2, destination);
                break;
            case HopSkipJumpPhase.GradientEstimate:
                WriteProbe(image, seed, destination);
                break;
            case HopSkipJumpPhase.StepSizeSearch:
                float[] best = image.Best, update = image.Update;
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)Math.Clamp(best[i] + (image.StepSize * update[i]), 0.0, 1.0);
                }

                break;
            case HopSkipJumpPhase.GridCheck:
                // The boundary point lies within eps; stretch its perturbation along the ray to eps (further into the
                // adversarial side), then project onto the 8-bit grid within eps.
                float[] clean = image.Clean, point = image.Best;
                double stretch = image.Distance > 0 ? Options.Epsilon / image.Distance : 1;
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)Math.Clamp(clean[i] + (stretch * (point[i] - (double)clean[i])), 0.0, 1.0);
                }

                PixelGrid.Project(clean, destination, Options.Norm, Options.Epsilon);
                break;
        }
    }

    /// <summary>
    /// One gradient probe: x_t + delta u clipped to [0,1], u a unit L2 vector from a Gaussian (L2) or uniform [-1,1]
    /// (L-inf) draw. The estimate later uses the probe actually sent minus x_t, as the reference uses the clipped one.
    /// </summary>
    private void WriteProbe(HopSkipJumpImageState image, ulong seed, Span<float> destination)
    {
        var noise = new ProbeNoise(seed);
        double squares = Options.Norm == NormKind.L2 ? GaussianNoise.Fill(ref noise, destination) : noise.FillUniform(destination, -1, 1);
        double scale = squares > 0 ? ProbeRadius(image) / Math.Sqrt(squares) : 0;
        float[] best = image.Best;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)Math.Clamp(best[i] + (scale * destination[i]), 0.0, 1.0);
        }
    }

    /// <summary>
    /// The reference's <c>select_delta</c>: 0.1 (a tenth of the value range) in the first iteration, then
    /// sqrt(d) theta dist (L2) or d theta dist (L-inf), dist the distance the last boundary search started from.
    /// </summary>
    private double ProbeRadius(HopSkipJumpImageState image)
    {
        if (image.Iterations == 0)
        {
            return 0.1;
        }

        int d = image.Clean.Length;
        double theta = Theta(Options.Norm, Options.EffectiveGamma(d), d);
        return (Options.Norm == NormKind.L2 ? Math.Sqrt(d) : d) * theta * image.DistancePostUpdate;
    }

    /// <summary>
    /// The image at parameter <paramref name="a"/> of the running binary search: the blend (1 - a) x + a far for the
    /// noise blend and for L2, the box projection clip(far, x - a, x + a) for L-inf. Computed in double and rounded
    /// once, so a = 0 gives the clean image and the search's upper end gives the far image exactly.
    /// </summary>
    private void WriteSearchPoint(HopSkipJumpImageState image, double a, Span<float> destination)
    {
        float[] clean = image.Clean, far = image.Far;
        if (UsesBlend(image))
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)(((1 - a) * clean[i]) + (a * far[i]));
            }
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)Math.Clamp(far[i], clean[i] - a, clean[i] + a);
            }
        }
    }

    private bool UsesBlend(HopSkipJumpImageState image) => image.Phase == HopSkipJumpPhase.Blend || Options.Norm == NormKind.L2;

    /// <summary>Says whether the midpoint image of the running search equals the image at its upper (+1) or lower (-1) end; 0 when it differs from both.</summary>
    private int MidpointMatchesEnd(HopSkipJumpImageState image)
    {
        double low = image.Low, high = image.High, mid = (low + high) / 2;
        float[] clean = image.Clean, far = image.Far;
        bool blend = UsesBlend(image), sameHigh = true, sameLow = true;
        for (int i = 0; i < clean.Length && (sameHigh || sameLow); i++)
        {
            float atMid = blend ? (float)(((1 - mid) * clean[i]) + (mid * far[i])) : (float)Math.Clamp(far[i], clean[i] - mid, clean[i] + mid);
            if (sameHigh)
            {
                float atHigh = blend ? (float)(((1 - high) * clean[i]) + (high * far[i])) : (float)Math.Clamp(far[i], clean[i] - high, clean[i] + high);
                sameHigh = atMid == atHigh;
            }

            if (sameLow)
            {
                float atLow = blend ? (float)(((1 - low) * clean[i]) + (low * far[i])) : (float)Math.Clamp(far[i], clean[i] - low, clean[i] + low);
                sameLow = atMid == atLow;
            }
        }

        return sameHigh ? 1 : sameLow ? -1 : 0;
    }

    /// <summary>Adds the probes in slots [first, end) to the image's sums: per value, the sum of (probe - x_t) and of phi (probe - x_t).</summary>
    private static void Accumulate(HopSkipJumpImageState image, GradientSums sums, HopSkipJumpSlice work, int first, int end)
    {
        int length = image.Clean.Length;
        for (int slot = first; slot < end; slot++)
        {
            if (MeetsGoal(work.Labels[slot], image.Goal))
            {
                sums.Positives++;
                image.LastAdversarialLabel = work.Labels[slot];
            }
        }

        sums.Count += end - first;

        // Blocks of values in parallel; within a value the probes are added in slot order, so the sums do not depend on threads.
        float[] best = image.Best;
        QueryBuffer inputs = work.Queries;
        int[] labels = work.Labels;
        AttackGoal goal = image.Goal;
        Parallel.For(0, (length + AccumulateBlock - 1) / AccumulateBlock, block =>
        {
            int from = block * AccumulateBlock, to = Math.Min(length, from + AccumulateBlock);
            Span<double> plain = sums.Plain.AsSpan(from, to - from), signed = sums.Signed.AsSpan(from, to - from);
            for (int slot = first; slot < end; slot++)
            {
                double phi = MeetsGoal(labels[slot], goal) ? 1 : -1;
                ReadOnlySpan<float> probe = inputs.Image(slot).Slice(from, to - from);
                for (int i = 0; i < probe.Length; i++)
                {
                    double diff = probe[i] - (double)best[from + i];
                    plain[i] += diff;
                    signed[i] += phi * diff;
                }
            }
        });
    }

    /// <summary>
    /// Turns the sums into the update direction: with the baseline subtraction, sum_b (phi_b - mean phi) u_b =
    /// signed - mean(phi) plain; when all probes agree, +-plain (the reference's special case). L2 takes the unit
    /// vector, L-inf its sign. The step size then starts at dist / sqrt(t).
    /// </summary>
    private void FinishGradient(HopSkipJumpImageState image, GradientSums sums)
    {
        image.Iterations++;
        int length = image.Clean.Length;
        double meanPhi = ((2.0 * sums.Positives) - sums.Count) / Math.Max(1, sums.Count);
        double squares = 0;
        for (int i = 0; i < length; i++)
        {
            double g = sums.Positives == sums.Count ? sums.Plain[i]
                : sums.Positives == 0 ? -sums.Plain[i]
                : sums.Signed[i] - (meanPhi * sums.Plain[i]);
            sums.Plain[i] = g;
            squares += g * g;
        }

        double scale = squares > 0 ? 1 / Math.Sqrt(squares) : 0;
        for (int i = 0; i < length; i++)
        {
            image.Update[i] = Options.Norm == NormKind.L2 ? (float)(sums.Plain[i] * scale) : Math.Sign(sums.Plain[i]);
        }

        image.StepSize = image.Distance / Math.Sqrt(image.Iterations);
        image.Halvings = 0;
        image.Phase = HopSkipJumpPhase.StepSizeSearch;
    }

    /// <summary>Takes the answer to the image's single query of this round.</summary>
    private void Consume(HopSkipJumpImageState image, bool hit, int label, ReadOnlySpan<float> query)
    {
        if (hit)
        {
            image.LastAdversarialLabel = label;
        }

        switch (image.Phase)
        {
            case HopSkipJumpPhase.Initialize:
                image.InitTries++;
                if (hit)
                {
                    query.CopyTo(image.Far);
                    BeginSearch(image, HopSkipJumpPhase.Blend);
                }
                else if (image.InitTries >= Options.InitSize)
                {
                    image.Status = ImageAttackStatus.Exhausted;
                    image.StopReason = image.Goal.IsTargeted
                        ? $"No starting image: none of {Options.InitSize} random noise images is classified as the target, and no other image of the run is. Add an image of the target class to the run."
                        : $"No starting image: none of {Options.InitSize} random noise images is misclassified.";
                }

                break;
            case HopSkipJumpPhase.CheckStart:
                if (hit)
                {
                    BeginSearch(image, HopSkipJumpPhase.BoundarySearch);
                }
                else
                {
                    image.Status = ImageAttackStatus.Exhausted;
                    image.StopReason = "The starting image given does not meet the goal.";
                }

                break;
            case HopSkipJumpPhase.Blend or HopSkipJumpPhase.BoundarySearch:
                double mid = (image.Low + image.High) / 2;
                if (hit)
                {
                    image.High = mid;
                }
                else
                {
                    image.Low = mid;
                }

                break;
            case HopSkipJumpPhase.StepSizeSearch:
                if (hit)
                {
                    query.CopyTo(image.Far);
                    BeginSearch(image, HopSkipJumpPhase.BoundarySearch);
                }
                else if (++image.Halvings > MaxHalvings)
                {
                    NextIteration(image);
                }
                else
                {
                    image.StepSize /= 2;
                }

                break;
            case HopSkipJumpPhase.GridCheck:
                image.GridChecks++;
                if (hit)
                {
                    query.CopyTo(image.Best);
                    SetBoundaryPoint(image);
                    image.Status = ImageAttackStatus.Succeeded;

                    // Should a caller resume the image (its PNG did not verify), it goes on from this point.
                    image.Phase = HopSkipJumpPhase.GradientEstimate;
                }
                else
                {
                    NextIteration(image);
                }

                break;
        }
    }

    /// <summary>
    /// Moves the image on as far as it goes without a query: finishes binary searches whose interval is narrow enough,
    /// settles midpoints whose image equals an end of the interval, and ends images past their iteration budget.
    /// </summary>
    private void Settle(HopSkipJumpImageState image)
    {
        while (image.Status == ImageAttackStatus.Running && image.Phase is HopSkipJumpPhase.Blend or HopSkipJumpPhase.BoundarySearch)
        {
            if (image.High - image.Low <= image.Tolerance)
            {
                FinishSearch(image);
                continue;
            }

            int match = MidpointMatchesEnd(image);
            if (match == 0)
            {
                return;
            }

            double mid = (image.Low + image.High) / 2;
            if (match > 0)
            {
                image.High = mid;
            }
            else
            {
                image.Low = mid;
            }
        }
    }

    /// <summary>
    /// Starts a binary search from <see cref="HopSkipJumpImageState.Far"/>: the noise blend on [0, 1] with tolerance
    /// 0.001; the L2 boundary search on [0, 1] with tolerance theta; the L-inf boundary search on [0, dist] with
    /// tolerance min(theta dist, theta), dist = ||far - x||_inf.
    /// </summary>
    private void BeginSearch(HopSkipJumpImageState image, HopSkipJumpPhase phase)
    {
        image.Phase = phase;
        image.Low = 0;
        image.High = 1;
        if (phase == HopSkipJumpPhase.Blend)
        {
            image.Tolerance = BlendTolerance;
            return;
        }

        double theta = Theta(Options.Norm, Options.EffectiveGamma(image.Clean.Length), image.Clean.Length);
        image.DistancePostUpdate = Distance(image.Clean, image.Far);
        if (Options.Norm == NormKind.L2)
        {
            image.Tolerance = theta;
        }
        else
        {
            image.High = image.DistancePostUpdate;
            image.Tolerance = Math.Min(image.DistancePostUpdate * theta, theta);
        }
    }

    /// <summary>A search ended: its upper end is the new adversarial point. After the noise blend the boundary search starts from it; after a boundary search it is the new boundary point.</summary>
    private void FinishSearch(HopSkipJumpImageState image)
    {
        WriteSearchPoint(image, image.High, image.Best);
        SetBoundaryPoint(image);
        if (image.Phase == HopSkipJumpPhase.Blend)
        {
            image.Best.CopyTo(image.Far, 0);
            BeginSearch(image, HopSkipJumpPhase.BoundarySearch);
        }
        else if (image.Distance <= Options.Epsilon)
        {
            image.Phase = HopSkipJumpPhase.GridCheck;
        }
        else
        {
            NextIteration(image);
        }
    }

    /// <summary>Records <see cref="AttackImageState.Best"/> as the new point: its distance is the loss, distance - eps the margin.</summary>
    private void SetBoundaryPoint(HopSkipJumpImageState image)
    {
        image.Distance = Distance(image.Clean, image.Best);
        image.BestLoss = image.Distance;
        image.BestMargin = image.Distance - Options.Epsilon;

        // A decision-based attack knows no confidences: the point meets the goal, so its label has "confidence" 1.
        int label = image.LastAdversarialLabel;
        AttackTrace.Add(image, new AttackTracePoint(image.Queries, image.BestLoss, image.BestMargin, label == image.Goal.TrueClass ? 1 : 0, 1, label), Options.TraceCapacity);
    }

    private void NextIteration(HopSkipJumpImageState image)
    {
        if (image.Iterations >= Options.MaxIterations)
        {
            image.Status = ImageAttackStatus.Exhausted;
            image.StopReason = $"Not within eps after {Options.MaxIterations} iterations (MaxIterations).";
        }
        else
        {
            image.Phase = HopSkipJumpPhase.GradientEstimate;
        }
    }

    private double Distance(float[] clean, float[] point)
    {
        double result = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            double d = point[i] - (double)clean[i];
            result = Options.Norm == NormKind.L2 ? result + (d * d) : Math.Max(result, Math.Abs(d));
        }

        return Options.Norm == NormKind.L2 ? Math.Sqrt(result) : result;
    }

    private static bool MeetsGoal(int label, AttackGoal goal) => goal.TargetClass is int t ? label == t : label != goal.TrueClass;

    /// <summary>The per-value sums of one image's gradient probes, in pooled arrays returned when the estimate is done.</summary>
    private sealed class GradientSums : IDisposable
    {
        public GradientSums(int length)
        {
            Plain = ArrayPool<double>.Shared.Rent(length);
            Signed = ArrayPool<double>.Shared.Rent(length);
            Array.Clear(Plain, 0, length);
            Array.Clear(Signed, 0, length);
        }

        public double[] Plain { get; }

        public double[] Signed { get; }

        public int Positives { get; set; }

        public int Count { get; set; }

        public void Dispose()
        {
            ArrayPool<double>.Shared.Return(Plain);
            ArrayPool<double>.Shared.Return(Signed);
        }
    }

    /// <summary>
    /// One Start or Step call: the queued queries of a round and their owners, rented from the shared array pool and
    /// reused by every round of the call, so the attack allocates nothing per query. A model call holds at most 256
    /// images and at most 16 Mi values (64 MB).
    /// </summary>
    private sealed class HopSkipJumpSlice : Slice
    {
        private readonly HopSkipJumpAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _classifier;

        public HopSkipJumpSlice(HopSkipJumpAttack attack, AttackState state, IClassifier classifier)
        {
            _attack = attack;
            _state = state;
            _classifier = classifier;
            Queries = new QueryBuffer(state.ImageLength, classifier.NumClasses, (int)Math.Clamp(MaxBatchValues / state.ImageLength, 1, MaxBatchImages));
            Owner = ArrayPool<int>.Shared.Rent(Capacity);
            Labels = ArrayPool<int>.Shared.Rent(Capacity);
            Seed = ArrayPool<ulong>.Shared.Rent(Capacity);
        }

        public QueryBuffer Queries { get; }

        public int Capacity => Queries.Capacity;

        public int[] Owner { get; }

        public int[] Labels { get; }

        public ulong[] Seed { get; }

        public Dictionary<int, GradientSums> Gradients { get; } = [];

        public override long Iterate(IReadOnlyList<int> active) => _attack.RunRound(_classifier, _state, active, this);

        protected override void Release()
        {
            foreach (GradientSums sums in Gradients.Values)
            {
                sums.Dispose();
            }

            Queries.Dispose();
            ArrayPool<int>.Shared.Return(Owner);
            ArrayPool<int>.Shared.Return(Labels);
            ArrayPool<ulong>.Shared.Return(Seed);
        }
    }
}
