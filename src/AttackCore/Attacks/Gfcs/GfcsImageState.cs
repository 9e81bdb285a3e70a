namespace AttackCore.Attacks.Gfcs;

/// <summary>
/// One image's state in a GFCS run: besides the common fields (the current point is
/// <see cref="AttackImageState.Best"/>), which surrogates are still to be tried at that point, whether the search has
/// fallen back to ODS directions, and the target's runner-up class there.
/// </summary>
public sealed class GfcsImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="GfcsImageState"/> class.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image (the current point); the state owns it.</param>
    /// <param name="random">The image's random stream (surrogate orders and ODS weights).</param>
    public GfcsImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
    }

    /// <summary>Gets or sets the number of surrogates the run started with; a resumed run must give as many.</summary>
    public int SurrogateCount { get; set; }

    /// <summary>
    /// Gets or sets the surrogates (indices) whose loss gradient has not yet been tried at the current point, next first;
    /// refilled in a new random order whenever a step is accepted.
    /// </summary>
    public int[] Pending { get; set; } = [];

    /// <summary>Gets or sets a value indicating whether every surrogate gradient failed at the current point, so that ODS directions are drawn until a step is accepted.</summary>
    public bool UsingOds { get; set; }

    /// <summary>Gets or sets the target's highest-scoring class other than the true one at the current point (the untargeted margin's other class).</summary>
    public int RunnerUp { get; set; }

    /// <summary>Gets or sets the iterations that tried an ODS direction (the others tried a surrogate's loss gradient).</summary>
    public int OdsIterations { get; set; }

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(SurrogateCount);
        writer.Write(Pending.Length);
        foreach (int s in Pending)
        {
            writer.Write(s);
        }

        writer.Write(UsingOds);
        writer.Write(RunnerUp);
        writer.Write(OdsIterations);
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        SurrogateCount = reader.ReadInt32();
        int pending = reader.ReadInt32();
        if (SurrogateCount < 1 || pending < 0 || pending > SurrogateCount)
        {
            throw new InvalidDataException($"The saved GFCS state has {pending} pending of {SurrogateCount} surrogates; a run has at least one surrogate and at most that many pending.");
        }

        Pending = new int[pending];
        for (int i = 0; i < pending; i++)
        {
            Pending[i] = reader.ReadInt32();
            if ((uint)Pending[i] >= (uint)SurrogateCount)
            {
                throw new InvalidDataException($"The saved GFCS state names surrogate {Pending[i]} of {SurrogateCount}.");
            }
        }

        UsingOds = reader.ReadBoolean();
        RunnerUp = reader.ReadInt32();
        OdsIterations = reader.ReadInt32();
    }
}
