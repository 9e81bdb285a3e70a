namespace AttackCore.Attacks.Pgd;

/// <summary>One image's state in a PGD run: the common fields plus the current iterate and where the run stands.</summary>
public sealed class PgdImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="PgdImageState"/> class, the iterate at the clean image.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream (its random starts).</param>
    public PgdImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Point = (float[])clean.Clone();
    }

    /// <summary>Gets the current iterate (CHW, in the ball and in [0,1]); the state owns this array.</summary>
    public float[] Point { get; private set; }

    /// <summary>Gets or sets the restart the image is in (from 0).</summary>
    public int Restart { get; set; }

    /// <summary>Gets or sets the steps taken in the current restart.</summary>
    public int StepInRestart { get; set; }

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        AttackStateSerializer.WriteFloats(writer, Point);
        writer.Write(Restart);
        writer.Write(StepInRestart);
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Point = AttackStateSerializer.ReadFloats(reader, imageLength);
        Restart = reader.ReadInt32();
        StepInRestart = reader.ReadInt32();
    }
}
