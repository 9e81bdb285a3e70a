namespace AttackCore.Attacks.Apgd;

/// <summary>
/// One image's state in an APGD run: the iterate, the previous iterate (for the momentum), the run's best point by its
/// own loss and the gradients there, the step size and the checkpoint bookkeeping, and which run and target it is in.
/// </summary>
public sealed class ApgdImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="ApgdImageState"/> class.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream (its random starts).</param>
    public ApgdImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Point = (float[])clean.Clone();
        Previous = (float[])clean.Clone();
        RunBest = (float[])clean.Clone();
        Gradient = new float[clean.Length];
        RunBestGradient = new float[clean.Length];
    }

    /// <summary>Gets the current iterate x_k.</summary>
    public float[] Point { get; private set; }

    /// <summary>Gets the previous iterate x_{k-1}.</summary>
    public float[] Previous { get; private set; }

    /// <summary>Gets the run's best point by its own loss.</summary>
    public float[] RunBest { get; private set; }

    /// <summary>Gets the gradient at <see cref="Point"/>.</summary>
    public float[] Gradient { get; private set; }

    /// <summary>Gets the gradient at <see cref="RunBest"/>.</summary>
    public float[] RunBestGradient { get; private set; }

    /// <summary>Gets or sets the run's losses: entry j after j steps (entry 0 at the start point).</summary>
    public double[] Losses { get; set; } = [];

    /// <summary>Gets or sets the current step size eta.</summary>
    public double StepSize { get; set; }

    /// <summary>Gets or sets the run's best loss.</summary>
    public double RunBestLoss { get; set; }

    /// <summary>Gets or sets the best loss at the last checkpoint.</summary>
    public double BestLossAtLastCheck { get; set; }

    /// <summary>Gets or sets a value indicating whether the step size was halved at the last checkpoint.</summary>
    public bool ReducedAtLastCheck { get; set; }

    /// <summary>Gets or sets the iterations since the last checkpoint.</summary>
    public int SinceCheck { get; set; }

    /// <summary>Gets or sets the length of the current checkpoint interval.</summary>
    public int CheckInterval { get; set; }

    /// <summary>Gets or sets the points evaluated in the current run (0 before the start point).</summary>
    public int RunEvaluations { get; set; }

    /// <summary>Gets or sets the run (restart and target) the image is in, from 0.</summary>
    public int Run { get; set; }

    /// <summary>Gets or sets the ranked targets of an untargeted APGD-T run (the clean image's highest other classes); empty otherwise.</summary>
    public int[] Targets { get; set; } = [];

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (float[] values in new[] { Point, Previous, RunBest, Gradient, RunBestGradient })
        {
            AttackStateSerializer.WriteFloats(writer, values);
        }

        writer.Write(Losses.Length);
        foreach (double loss in Losses)
        {
            writer.Write(loss);
        }

        writer.Write(StepSize);
        writer.Write(RunBestLoss);
        writer.Write(BestLossAtLastCheck);
        writer.Write(ReducedAtLastCheck);
        writer.Write(SinceCheck);
        writer.Write(CheckInterval);
        writer.Write(RunEvaluations);
        writer.Write(Run);
        writer.Write(Targets.Length);
        foreach (int target in Targets)
        {
            writer.Write(target);
        }
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Point = AttackStateSerializer.ReadFloats(reader, imageLength);
        Previous = AttackStateSerializer.ReadFloats(reader, imageLength);
        RunBest = AttackStateSerializer.ReadFloats(reader, imageLength);
        Gradient = AttackStateSerializer.ReadFloats(reader, imageLength);
        RunBestGradient = AttackStateSerializer.ReadFloats(reader, imageLength);
        int losses = reader.ReadInt32();
        if (losses is < 0 or > 1_000_001)
        {
            throw new InvalidDataException("The saved APGD state has an impossible loss history.");
        }

        Losses = new double[losses];
        for (int j = 0; j < losses; j++)
        {
            Losses[j] = reader.ReadDouble();
        }

        StepSize = reader.ReadDouble();
        RunBestLoss = reader.ReadDouble();
        BestLossAtLastCheck = reader.ReadDouble();
        ReducedAtLastCheck = reader.ReadBoolean();
        SinceCheck = reader.ReadInt32();
        CheckInterval = reader.ReadInt32();
        RunEvaluations = reader.ReadInt32();
        Run = reader.ReadInt32();
        int targets = reader.ReadInt32();
        if (targets is < 0 or > 100_000)
        {
            throw new InvalidDataException("The saved APGD state has an impossible target list.");
        }

        Targets = new int[targets];
        for (int k = 0; k < targets; k++)
        {
            Targets[k] = reader.ReadInt32();
        }
    }
}
