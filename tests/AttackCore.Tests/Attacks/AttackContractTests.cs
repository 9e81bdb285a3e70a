using AttackCore.Attacks;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks;

/// <summary>
/// What every attack promises, tested once: exact query counting within the budget, successes on the 8-bit grid
/// inside the ball, slices (by iterations, queries and time, saved and read back) that equal the uncut run, runs that
/// do not depend on batch-mates, seeds, option checks, and label-only behaviour for decision-based attacks. An attack's
/// test class inherits this and says how to configure the attack for the small linear problem.
/// </summary>
/// <typeparam name="TOptions">The attack's options.</typeparam>
public abstract class AttackContractTests<TOptions>
    where TOptions : AttackOptions
{
    private const int ImageSize = 8;

    /// <summary>Gets the norms the attack supports; the first is used where one norm is enough.</summary>
    protected abstract IReadOnlyList<NormKind> Norms { get; }

    /// <summary>Gets a value indicating whether the attack reads only the top-1 label.</summary>
    protected virtual bool DecisionBased => false;

    /// <summary>Gets a value indicating whether the attack needs the model's gradients.</summary>
    protected virtual bool WhiteBox => false;

    /// <summary>Options that fool the 8x8 linear model on most images within the budget, in the given norm.</summary>
    protected abstract TOptions ContractOptions(NormKind norm, ulong seed = 0);

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Contract_Run_QueriesCountedExactlyAndWithinBudget(NormKind norm)
    {
        if (!SupportsOrRejects(norm))
        {
            return;
        }

        var (model, images, goals) = AttackResume.LinearProblem(5, ImageSize);
        AttackOptions options = ContractOptions(norm);
        long before = model.ImagesScored, gradientsBefore = model.GradientImages;

        AttackState state = RunUncut(options, model, images, goals);

        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.Equal(model.GradientImages - gradientsBefore, state.Images.Sum(i => (long)i.GradientEvaluations));
        Assert.Equal(WhiteBox, state.Images.Any(i => i.GradientEvaluations > 0));
        Assert.All(state.Images, i => Assert.InRange(i.Queries, 0, options.MaxQueries));
        Assert.All(state.Images, i => Assert.NotEqual(ImageAttackStatus.Running, i.Status));
    }

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Contract_Run_SuccessesAreOnTheGridInsideTheBallAndFool(NormKind norm)
    {
        if (!SupportsOrRejects(norm))
        {
            return;
        }

        var (model, images, goals) = AttackResume.LinearProblem(5, ImageSize);
        AttackOptions options = ContractOptions(norm);

        AttackState state = RunUncut(options, model, images, goals);

        var succeeded = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        Assert.NotEmpty(succeeded);
        var logits = new float[model.NumClasses];
        foreach (AttackImageState image in succeeded)
        {
            Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
            Assert.True(Distance(image, norm) <= options.Epsilon + 1e-6, $"the perturbation {Distance(image, norm)} exceeds eps {options.Epsilon}");
            model.Predict(image.Best, 1, logits);
            Assert.True(TopOneCriterion.Instance.IsAdversarial(logits, image.Goal), "a success that does not fool the model");
            Assert.True(image.BestMargin <= 0 || DecisionBased, "a success with a positive margin");
        }
    }

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Contract_GrayModel_AttacksOneChannelOnTheGridInsideTheBall(NormKind norm)
    {
        if (!SupportsOrRejects(norm))
        {
            return;
        }

        // A linear model with a third of the inputs moves its margin by a third as much under the same L-inf eps (the
        // weights' L1 norm) and by 1/sqrt(3) under the same L2 eps, so the budget is scaled to keep the problem as hard.
        var (model, images, goals) = AttackResume.LinearProblem(5, ImageSize, channels: 1);
        AttackOptions rgb = ContractOptions(norm);
        AttackOptions options = rgb with { Epsilon = rgb.Epsilon * (norm == NormKind.LInf ? 3 : Math.Sqrt(3)) };
        long before = model.ImagesScored;

        AttackState state = RunUncut(options, model, images, goals);

        Assert.Equal(1, state.Channels);
        Assert.Equal(ImageSize * ImageSize, state.ImageLength);
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.All(state.Images, i => Assert.Equal(ImageSize * ImageSize, i.Best.Length));
        var succeeded = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        Assert.NotEmpty(succeeded);
        var logits = new float[model.NumClasses];
        foreach (AttackImageState image in succeeded)
        {
            Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
            Assert.True(Distance(image, norm) <= options.Epsilon + 1e-6, $"the gray perturbation {Distance(image, norm)} exceeds eps {options.Epsilon}");
            model.Predict(image.Best, 1, logits);
            Assert.True(TopOneCriterion.Instance.IsAdversarial(logits, image.Goal), "a success that does not fool the gray model");
        }
    }

    [Fact]
    public void Contract_GrayModel_SlicedAndSerialized_EqualsUncutRun()
    {
        var (model, images, goals) = AttackResume.LinearProblem(3, ImageSize, channels: 1);
        AttackOptions options = ContractOptions(DefaultNorm, seed: 5);
        AttackState uncut = RunUncut(options, model, images, goals);

        (AttackState sliced, int slices) = AttackResume.RunInSavedSlices(options.CreateAttack().Start(model, images, goals), model, [1, 3, 2]);

        Assert.Equal(1, sliced.Channels);
        AssertSliced(uncut, slices);
        AttackResume.AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Contract_Start_GrayImagesForAnRgbModel_ThrowsNamingTheChannels()
    {
        var (model, _, goals) = AttackResume.LinearProblem(2, ImageSize);
        var gray = Enumerable.Range(0, 2).Select(i => LinearClassifier.RandomImage(ImageSize, 100 + i, channels: 1)).ToList();

        var ex = Assert.Throws<ArgumentException>(() => ContractOptions(DefaultNorm).CreateAttack().Start(model, gray, goals));

        Assert.Contains("3 x 8 x 8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Contract_Run_TinyBudget_ExhaustsWithoutOverspending(NormKind norm)
    {
        if (!SupportsOrRejects(norm))
        {
            return;
        }

        var (model, images, goals) = AttackResume.LinearProblem(4, ImageSize);
        AttackOptions options = ContractOptions(norm) with { Epsilon = norm == NormKind.LInf ? 1 / 255.0 : 0.25, MaxQueries = 12 };
        long before = model.ImagesScored;

        AttackState state = RunUncut(options, model, images, goals);

        var exhausted = state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted).ToList();
        Assert.NotEmpty(exhausted);
        Assert.All(state.Images, i => Assert.InRange(i.Queries, 0, 12));
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
    }

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Contract_Step_SlicedAndSerialized_EqualsUncutRun(NormKind norm)
    {
        if (!SupportsOrRejects(norm))
        {
            return;
        }

        var (model, images, goals) = AttackResume.LinearProblem(3, ImageSize);
        AttackOptions options = ContractOptions(norm, seed: 5);
        AttackState uncut = RunUncut(options, model, images, goals);

        (AttackState sliced, int slices) = AttackResume.RunInSavedSlices(options.CreateAttack().Start(model, images, goals), model, [1, 3, 2]);

        AssertSliced(uncut, slices);
        AttackResume.AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Contract_Step_QueryBudgetSlices_EqualUncutRunAndKeepTheirBudget()
    {
        var (model, images, goals) = AttackResume.LinearProblem(3, ImageSize);
        AttackOptions options = ContractOptions(DefaultNorm, seed: 2);
        AttackState uncut = RunUncut(options, model, images, goals);
        IAttack sut = options.CreateAttack();
        AttackState sliced = sut.Start(model, images, goals);

        int slices = 0;
        while (!sliced.IsFinished)
        {
            sut.Step(sliced, model, new StepBudget(MaxQueries: 20));
            slices++;
        }

        AssertSliced(uncut, slices);
        AttackResume.AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Contract_Step_TimeBudgetSlices_EqualUncutRun()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, ImageSize);
        AttackOptions options = ContractOptions(DefaultNorm, seed: 3);
        AttackState uncut = RunUncut(options, model, images, goals);
        IAttack sut = options.CreateAttack(new TickingClock(TimeSpan.FromMilliseconds(1)));
        AttackState sliced = sut.Start(model, images, goals);

        int slices = 0;
        while (!sliced.IsFinished)
        {
            sut.Step(sliced, model, new StepBudget(MaxDuration: TimeSpan.FromMilliseconds(4)));
            slices++;
        }

        AssertSliced(uncut, slices);
        AttackResume.AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Contract_Run_ImageAloneOrInABatch_GivesTheSameResult()
    {
        var (model, images, goals) = AttackResume.LinearProblem(3, ImageSize);
        AttackOptions options = ContractOptions(DefaultNorm, seed: 1);

        AttackState together = RunUncut(options, model, images, goals);
        AttackState alone = RunUncut(options, model, [images[1]], [goals[1]]);

        AttackResume.AssertSameRun(new AttackState(options, together.Height, together.Width, [together.Images[1]]), alone);
    }

    [Fact]
    public void Contract_Start_SameSeedSameRun_OtherSeedDiffers()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, ImageSize);

        AttackState a = RunUncut(ContractOptions(DefaultNorm, seed: 11), model, images, goals);
        AttackState b = RunUncut(ContractOptions(DefaultNorm, seed: 11), model, images, goals);
        AttackState c = RunUncut(ContractOptions(DefaultNorm, seed: 12), model, images, goals);

        AttackResume.AssertSameRun(a, b);
        Assert.NotEqual(a.Images.Select(i => i.Random.GetState()[0]), c.Images.Select(i => i.Random.GetState()[0]));
    }

    [Theory]
    [InlineData("Epsilon")]
    [InlineData("MaxQueries")]
    [InlineData("TraceCapacity")]
    public void Contract_Create_BadCommonOption_ThrowsNamingIt(string option)
    {
        AttackOptions good = ContractOptions(DefaultNorm);
        AttackOptions bad = option switch
        {
            "Epsilon" => good with { Epsilon = 0 },
            "MaxQueries" => good with { MaxQueries = 0 },
            _ => good with { TraceCapacity = 1 },
        };

        var ex = Assert.Throws<ArgumentException>(() => bad.CreateAttack());
        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Contract_Step_StateOfOtherOptions_Rejected()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1, ImageSize);
        AttackState state = ContractOptions(DefaultNorm, seed: 1).CreateAttack().Start(model, images, goals);

        IAttack other = ContractOptions(DefaultNorm, seed: 2).CreateAttack();

        Assert.Throws<ArgumentException>(() => other.Step(state, model, StepBudget.Iterations(1)));
    }

    [Fact]
    public void Contract_Step_Cancelled_SpendsNothing()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, ImageSize);
        IAttack sut = ContractOptions(DefaultNorm).CreateAttack();
        AttackState state = sut.Start(model, images, goals);
        Assert.Contains(state.Images, i => i.Status == ImageAttackStatus.Running);
        long before = model.ImagesScored;

        sut.Step(state, model, StepBudget.Unlimited, new CancellationToken(canceled: true));

        Assert.Equal(before, model.ImagesScored);
    }

    [Fact]
    public void Contract_Scores_ReadOnlyByScoreBasedAttacks_LabelOnlyRunEqualsRawRun()
    {
        AttackOptions options = ContractOptions(DefaultNorm, seed: 4);
        Assert.Equal(!DecisionBased, options.UsesScores);
        var (model, images, goals) = AttackResume.LinearProblem(2, ImageSize);
        if (WhiteBox)
        {
            // A white-box attack needs gradients; a model that gives only labels (or only scores) is refused by name.
            var ex = Assert.Throws<ArgumentException>(() => options.CreateAttack().Start(new LabelOnlyClassifier(model), images, goals));
            Assert.Contains("gradients", ex.Message, StringComparison.Ordinal);
            return;
        }

        AttackState raw = RunUncut(options, model, images, goals);

        // A decision-based attack must not see the scores: on the label-only view it runs exactly the same. A
        // score-based attack reads them: on that view its losses are flat and its run differs.
        AttackState labelOnly = RunUncut(options, new LabelOnlyClassifier(model), images, goals);
        if (DecisionBased)
        {
            AttackResume.AssertSameRun(raw, labelOnly);
        }
        else
        {
            Assert.NotEqual(raw.Images.Select(i => i.BestLoss), labelOnly.Images.Select(i => i.BestLoss));
        }
    }

    /// <summary>Gets the first of <see cref="Norms"/>.</summary>
    private NormKind DefaultNorm => Norms[0];

    /// <summary>Says whether the attack supports <paramref name="norm"/>; if not, checks that options in that norm are refused by name.</summary>
    private bool SupportsOrRejects(NormKind norm)
    {
        if (Norms.Contains(norm))
        {
            return true;
        }

        AttackOptions other = ContractOptions(DefaultNorm) with { Norm = norm, Epsilon = 0.05 };
        var ex = Assert.Throws<ArgumentException>(() => other.CreateAttack());
        Assert.Contains("Norm", ex.Message, StringComparison.Ordinal);
        return false;
    }

    /// <summary>A run long enough to be cut must have been cut into at least three slices.</summary>
    private static void AssertSliced(AttackState uncut, int slices)
    {
        int iterations = uncut.Images.Max(i => i.Iterations);
        Assert.True(slices >= Math.Min(3, iterations), $"only {slices} slices for {iterations} iterations");
    }

    private static AttackState RunUncut(AttackOptions options, IClassifier model, List<float[]> images, List<AttackGoal> goals)
    {
        IAttack sut = options.CreateAttack();
        return sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
    }

    /// <summary>The perturbation of an image's best image in the given norm.</summary>
    protected static double Distance(AttackImageState image, NormKind norm)
    {
        double max = 0, sum = 0;
        for (int v = 0; v < image.Best.Length; v++)
        {
            double d = Math.Abs(image.Best[v] - (double)image.Clean[v]);
            max = Math.Max(max, d);
            sum += d * d;
        }

        return norm == NormKind.LInf ? max : Math.Sqrt(sum);
    }

    /// <summary>A clock that moves on by a fixed step every time it is read.</summary>
    private sealed class TickingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += step.Ticks;
    }
}
