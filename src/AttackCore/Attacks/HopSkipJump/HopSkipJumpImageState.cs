namespace AttackCore.Attacks.HopSkipJump;

/// <summary>Where one image stands inside HopSkipJump; each phase's next action is one round of queries.</summary>
public enum HopSkipJumpPhase
{
    /// <summary>Trying random uniform noise images, one per round, until one meets the goal.</summary>
    Initialize,

    /// <summary>Checking that the given starting image (<see cref="HopSkipJumpImageState.Far"/>) meets the goal.</summary>
    CheckStart,

    /// <summary>Binary search on the blend between the clean image and the adversarial noise (tolerance 0.001).</summary>
    Blend,

    /// <summary>Binary search from <see cref="HopSkipJumpImageState.Far"/> towards the clean image, down to the threshold theta.</summary>
    BoundarySearch,

    /// <summary>Estimating the gradient direction at the boundary point with random probes (one round, all probes).</summary>
    GradientEstimate,

    /// <summary>Geometric step-size search along <see cref="HopSkipJumpImageState.Update"/>, halving until adversarial.</summary>
    StepSizeSearch,

    /// <summary>Querying the 8-bit projection of the boundary point pushed to the eps budget.</summary>
    GridCheck,
}

/// <summary>
/// The per-image state of <see cref="HopSkipJumpAttack"/>: besides the common fields, the phase of the current
/// iteration and what that phase needs to resume (search bounds, step size, the far end of the search and the
/// update direction). <see cref="AttackImageState.Best"/> is the current boundary point: the last adversarial point
/// the attack settled on (the clean image until the first one is found).
/// </summary>
public sealed class HopSkipJumpImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="HopSkipJumpImageState"/> class.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream.</param>
    public HopSkipJumpImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Far = new float[clean.Length];
        Update = new float[clean.Length];
    }

    /// <summary>Gets or sets the phase whose next action is pending.</summary>
    public HopSkipJumpPhase Phase { get; set; }

    /// <summary>Gets or sets the distance (in the attack's norm) of the boundary point <see cref="AttackImageState.Best"/> from the clean image; infinite before the first one.</summary>
    public double Distance { get; set; } = double.PositiveInfinity;

    /// <summary>Gets or sets the distance of the last point the boundary search started from (the reference's <c>dist_post_update</c>), which sets the probe radius.</summary>
    public double DistancePostUpdate { get; set; }

    /// <summary>Gets or sets the lower end of the running binary search (a non-adversarial parameter).</summary>
    public double Low { get; set; }

    /// <summary>Gets or sets the upper end of the running binary search (an adversarial parameter).</summary>
    public double High { get; set; }

    /// <summary>Gets or sets the width at which the running binary search stops.</summary>
    public double Tolerance { get; set; }

    /// <summary>Gets or sets the step size being tried in <see cref="HopSkipJumpPhase.StepSizeSearch"/>.</summary>
    public double StepSize { get; set; }

    /// <summary>Gets or sets how often the step size has been halved in this iteration.</summary>
    public int Halvings { get; set; }

    /// <summary>Gets or sets how many noise images have been tried in <see cref="HopSkipJumpPhase.Initialize"/>.</summary>
    public int InitTries { get; set; }

    /// <summary>Gets or sets the top-1 label of the last query that met the goal (-1 before any).</summary>
    public int LastAdversarialLabel { get; set; } = -1;

    /// <summary>Gets the far, adversarial end of the running binary search (noise, starting image or stepped point).</summary>
    public float[] Far { get; }

    /// <summary>Gets the update direction of the running iteration (unit L2 gradient estimate, or its sign for L-inf).</summary>
    public float[] Update { get; }

    /// <summary>Gets a value indicating whether <see cref="Far"/> holds data the current phase needs.</summary>
    internal bool NeedsFar => Phase is HopSkipJumpPhase.CheckStart or HopSkipJumpPhase.Blend or HopSkipJumpPhase.BoundarySearch;

    /// <summary>Gets a value indicating whether <see cref="Update"/> holds data the current phase needs.</summary>
    internal bool NeedsUpdate => Phase == HopSkipJumpPhase.StepSizeSearch;

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write((int)Phase);
        writer.Write(Distance);
        writer.Write(DistancePostUpdate);
        writer.Write(Low);
        writer.Write(High);
        writer.Write(Tolerance);
        writer.Write(StepSize);
        writer.Write(Halvings);
        writer.Write(InitTries);
        writer.Write(LastAdversarialLabel);

        // The large arrays travel only while the phase reads them.
        writer.Write(NeedsFar);
        if (NeedsFar)
        {
            AttackStateSerializer.WriteFloats(writer, Far);
        }

        writer.Write(NeedsUpdate);
        if (NeedsUpdate)
        {
            AttackStateSerializer.WriteFloats(writer, Update);
        }
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int phase = reader.ReadInt32();
        if (!Enum.IsDefined((HopSkipJumpPhase)phase))
        {
            throw new InvalidDataException($"The saved HopSkipJump state has an unknown phase {phase}.");
        }

        Phase = (HopSkipJumpPhase)phase;
        Distance = reader.ReadDouble();
        DistancePostUpdate = reader.ReadDouble();
        Low = reader.ReadDouble();
        High = reader.ReadDouble();
        Tolerance = reader.ReadDouble();
        StepSize = reader.ReadDouble();
        Halvings = reader.ReadInt32();
        InitTries = reader.ReadInt32();
        LastAdversarialLabel = reader.ReadInt32();
        if (reader.ReadBoolean())
        {
            AttackStateSerializer.ReadFloats(reader, imageLength).CopyTo(Far, 0);
        }

        if (reader.ReadBoolean())
        {
            AttackStateSerializer.ReadFloats(reader, imageLength).CopyTo(Update, 0);
        }
    }
}
