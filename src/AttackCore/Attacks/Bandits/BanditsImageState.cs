namespace AttackCore.Attacks.Bandits;

/// <summary>
/// One image's state in a <see cref="BanditsTdAttack"/> run: besides the common fields, the continuous iterate (the
/// image the search moves; <see cref="AttackImageState.Best"/> is its 8-bit projection, the image last scored) and
/// the gradient prior on the coarse grid of tiles.
/// </summary>
public sealed class BanditsImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="BanditsImageState"/> class.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image (the 8-bit projection of the iterate); the state owns it.</param>
    /// <param name="random">The image's random stream.</param>
    public BanditsImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Iterate = (float[])best.Clone();
    }

    /// <summary>Gets the continuous iterate x_t, within the eps ball and [0,1]; it starts at the clean image.</summary>
    public float[] Iterate { get; private set; }

    /// <summary>
    /// Gets the gradient prior v_t, channels x ceil(height / tile) x ceil(width / tile) values (channel, tile row, tile
    /// column); each covers a tile of pixels. Empty until the attack sizes it at the start of a run.
    /// </summary>
    public float[] Prior { get; internal set; } = [];

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        AttackStateSerializer.WriteFloats(writer, Iterate);
        writer.Write(Prior.Length);
        AttackStateSerializer.WriteFloats(writer, Prior);
    }

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Iterate = AttackStateSerializer.ReadFloats(reader, imageLength);
        int priorLength = reader.ReadInt32();
        if (priorLength < 0 || priorLength > imageLength)
        {
            throw new InvalidDataException($"The saved Bandits prior has {priorLength} values; an image of {imageLength} values allows at most that.");
        }

        Prior = AttackStateSerializer.ReadFloats(reader, priorLength);
    }
}
