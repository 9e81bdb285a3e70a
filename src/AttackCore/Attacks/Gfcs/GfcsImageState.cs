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
    /// Gets or sets the order in which the surrogates (indices) are tried at the current point, drawn anew whenever a
    /// step is accepted; the first <see cref="Tried"/> of them have been tried there.
    /// </summary>
    public int[] Order { get; set; } = [];

    /// <summary>Gets or sets how many surrogates of <see cref="Order"/> have been tried at the current point.</summary>
    public int Tried { get; set; }

    /// <summary>Gets the surrogates not yet tried at the current point, next first (a copy).</summary>
    public int[] Pending => Order[Tried..];

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
        foreach (int s in Order)
        {
            writer.Write(s);
        }

        writer.Write(Tried);
        writer.Write(UsingOds);
        writer.Write(RunnerUp);
        writer.Write(OdsIterations);
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        SurrogateCount = reader.ReadInt32();
        if (SurrogateCount is < 1 or > 1024)
        {
            throw new InvalidDataException($"The saved GFCS state has {SurrogateCount} surrogates; a run has 1 to 1024.");
        }

        Order = new int[SurrogateCount];
        for (int i = 0; i < Order.Length; i++)
        {
            Order[i] = reader.ReadInt32();
            if ((uint)Order[i] >= (uint)SurrogateCount)
            {
                throw new InvalidDataException($"The saved GFCS state names surrogate {Order[i]} of {SurrogateCount}.");
            }
        }

        Tried = reader.ReadInt32();
        if (Tried < 0 || Tried > SurrogateCount)
        {
            throw new InvalidDataException($"The saved GFCS state has tried {Tried} of {SurrogateCount} surrogates.");
        }

        UsingOds = reader.ReadBoolean();
        RunnerUp = reader.ReadInt32();
        OdsIterations = reader.ReadInt32();
    }
}
