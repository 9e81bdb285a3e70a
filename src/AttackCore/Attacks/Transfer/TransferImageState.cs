namespace AttackCore.Attacks.Transfer;

/// <summary>One image's state in a transfer run: the common fields plus the iterate and the accumulated momentum.</summary>
public sealed class TransferImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="TransferImageState"/> class, the iterate at the clean image and no momentum.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream (its input-diversity draws).</param>
    public TransferImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Point = (float[])clean.Clone();
        Momentum = new float[clean.Length];
    }

    /// <summary>Gets the current iterate (CHW, in the ball and in [0,1]); the state owns this array.</summary>
    public float[] Point { get; private set; }

    /// <summary>Gets the accumulated gradient g of MI-FGSM (CHW); the state owns this array.</summary>
    public float[] Momentum { get; private set; }

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        AttackStateSerializer.WriteFloats(writer, Point);
        AttackStateSerializer.WriteFloats(writer, Momentum);
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Point = AttackStateSerializer.ReadFloats(reader, imageLength);
        Momentum = AttackStateSerializer.ReadFloats(reader, imageLength);
    }
}
