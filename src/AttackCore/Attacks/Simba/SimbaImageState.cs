namespace AttackCore.Attacks.Simba;

/// <summary>
/// One image's state in a SimBA-DCT run: the common fields plus the unclipped perturbation in pixel space (the
/// inverse DCT of the coefficient vector), from which each step adds one basis image.
/// </summary>
/// <remarks>
/// The coordinate order is not stored: it is drawn again from a copy of <see cref="AttackImageState.Random"/>, which
/// the attack never advances, and the position in it is <see cref="AttackImageState.Iterations"/>. Invariant:
/// <see cref="AttackImageState.Best"/> is <c>clip(Clean + Delta, 0, 1)</c> (until the image succeeds on the 8-bit
/// grid), and the L2 norm of <see cref="Delta"/> is at most eps, so the clipped perturbation is too.
/// </remarks>
public sealed class SimbaImageState : AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="SimbaImageState"/> class with a zero perturbation.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream (the seed of its coordinate order).</param>
    public SimbaImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
        : base(goal, clean, best, random)
    {
        Delta = new float[clean.Length];
    }

    /// <summary>Gets the perturbation before clipping (CHW, same length as the image); the state owns this array.</summary>
    public float[] Delta { get; private set; }

    /// <inheritdoc />
    protected internal override void WriteExtra(BinaryWriter writer) => AttackStateSerializer.WriteFloats(writer, Delta);

    /// <inheritdoc />
    protected internal override void ReadExtra(BinaryReader reader, int imageLength) => Delta = AttackStateSerializer.ReadFloats(reader, imageLength);
}
