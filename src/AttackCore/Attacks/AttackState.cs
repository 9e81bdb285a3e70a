namespace AttackCore.Attacks;

/// <summary>
/// Everything needed to continue an attack run exactly where it stopped: the options (which name the
/// attack), the images' sizes and, per image, the clean and best images, the best loss, the query count, the
/// random stream and whatever else the attack keeps per image. Save it with <see cref="AttackStateSerializer"/>; large arrays travel in that binary
/// form, so an orchestration passes only a reference to where it is stored.
/// </summary>
public sealed class AttackState
{
    /// <summary>Initializes a new instance of the <see cref="AttackState"/> class.</summary>
    /// <param name="options">The options the run was started with.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="images">Per-image states.</param>
    /// <param name="channels">Planes per image: 3 (RGB) or 1 (gray, for a grayscale model).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is neither 1 nor 3.</exception>
    public AttackState(AttackOptions options, int height, int width, IReadOnlyList<AttackImageState> images, int channels = 3)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "An attack image has 1 (gray) or 3 (RGB) channels.");
        }

        Height = height;
        Width = width;
        Channels = channels;
        Images = images ?? throw new ArgumentNullException(nameof(images));
    }

    /// <summary>Gets the options of the run; a resumed run must use the same.</summary>
    public AttackOptions Options { get; }

    /// <summary>Gets the image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the planes per image: 3 (RGB) or 1 (gray).</summary>
    public int Channels { get; }

    /// <summary>Gets the number of values per image (channels x height x width).</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>Gets the per-image states, in the order the images were given.</summary>
    public IReadOnlyList<AttackImageState> Images { get; }

    /// <summary>Gets a value indicating whether every image is done.</summary>
    public bool IsFinished => Images.All(i => i.Status != ImageAttackStatus.Running);

    /// <summary>Gets the queries spent so far, summed over images.</summary>
    public long TotalQueries => Images.Sum(i => (long)i.Queries);
}

/// <summary>
/// The state of one image inside an attack run. An attack that keeps more per image derives from this class,
/// returns its subclass from <see cref="AttackOptions.CreateImageState"/>, and saves the extra data in
/// <see cref="WriteExtra"/> / <see cref="ReadExtra"/>.
/// </summary>
public class AttackImageState
{
    /// <summary>Initializes a new instance of the <see cref="AttackImageState"/> class.</summary>
    /// <param name="goal">What the attack wants.</param>
    /// <param name="clean">The clean image (CHW, [0,1], on the 8-bit grid). The state owns this array.</param>
    /// <param name="best">The best image so far. The state owns this array.</param>
    /// <param name="random">The image's own random stream.</param>
    public AttackImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random)
    {
        Goal = goal ?? throw new ArgumentNullException(nameof(goal));
        Clean = clean ?? throw new ArgumentNullException(nameof(clean));
        Best = best ?? throw new ArgumentNullException(nameof(best));
        Random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>Gets the goal.</summary>
    public AttackGoal Goal { get; }

    /// <summary>Gets the clean image.</summary>
    public float[] Clean { get; }

    /// <summary>Gets the best image found so far (the lowest loss).</summary>
    public float[] Best { get; }

    /// <summary>Gets the image's random stream; each image has its own, so its run does not depend on its batch-mates.</summary>
    public SeededRandom Random { get; internal set; }

    /// <summary>Gets or sets the loss of <see cref="Best"/>.</summary>
    public double BestLoss { get; set; } = double.PositiveInfinity;

    /// <summary>Gets or sets the margin of <see cref="Best"/> (zero or below: fooled).</summary>
    public double BestMargin { get; set; } = double.PositiveInfinity;

    /// <summary>
    /// Gets or sets the queries spent on this image: every model call that scored an image for it, counted by the
    /// attack (what one iteration costs is the attack's own; see its remarks). The engine's clean classification,
    /// minimization and verification are not counted here.
    /// </summary>
    public int Queries { get; set; }

    /// <summary>
    /// Gets or sets the gradient evaluations (a forward and a backward pass through the model) spent on this image by a
    /// white-box attack, or through a surrogate by a surrogate-based attack (one per surrogate per evaluation); they are
    /// not in <see cref="Queries"/>, which counts forward queries of the target only.
    /// </summary>
    public int GradientEvaluations { get; set; }

    /// <summary>Gets or sets the iterations run on this image (not counting the initialization).</summary>
    public int Iterations { get; set; }

    /// <summary>Gets or sets the queries spent checking 8-bit versions of continuous successes (included in <see cref="Queries"/>), by attacks that search continuous values.</summary>
    public int GridChecks { get; set; }

    /// <summary>Gets or sets where the image stands.</summary>
    public ImageAttackStatus Status { get; set; } = ImageAttackStatus.Running;

    /// <summary>Gets or sets the queries at which a continuous (not yet 8-bit) candidate first fooled the model, for attacks that search continuous values; reports show it.</summary>
    public int? ContinuousSuccessQueries { get; set; }

    /// <summary>
    /// Gets or sets why the attack gave up on this image before its query budget, in words, when the attack knows
    /// (for example: no starting point of the target class); <see langword="null"/> otherwise. Reports show it.
    /// </summary>
    public string? StopReason { get; set; }

    /// <summary>Gets the progress points: the start and every improvement, thinned to the trace capacity.</summary>
    public List<AttackTracePoint> Trace { get; } = [];

    /// <summary>Saves what a subclass keeps beyond the common fields.</summary>
    /// <param name="writer">The writer, positioned after the common fields.</param>
    protected internal virtual void WriteExtra(BinaryWriter writer)
    {
    }

    /// <summary>Restores what <see cref="WriteExtra"/> saved.</summary>
    /// <param name="reader">The reader, positioned after the common fields.</param>
    /// <param name="imageLength">Values per image (channels x height x width), to check saved arrays against.</param>
    protected internal virtual void ReadExtra(BinaryReader reader, int imageLength)
    {
    }
}
