using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;

namespace AdvAudit.Functions.Settings;

/// <summary>The attack every upload gets unless its blob metadata says otherwise (section <c>Attack</c>).</summary>
public sealed class AttackDefaults
{
    /// <summary>The section name.</summary>
    public const string Section = "Attack";

    /// <summary>Gets or sets the norm: <c>linf</c> or <c>l2</c>.</summary>
    /// <value>Defaults to <c>linf</c>.</value>
    public string Norm { get; set; } = "linf";

    /// <summary>Gets or sets the budget in [0,1] pixel units; <see langword="null"/> takes the norm's default.</summary>
    /// <value>Defaults to <see langword="null"/>: 0.05 for L-inf, 5 for L2.</value>
    public double? Eps { get; set; }

    /// <summary>Gets or sets the queries per image, including the initialization.</summary>
    /// <value>Defaults to 10,000. Between 1 and 1,000,000.</value>
    public int MaxQueries { get; set; } = 10_000;

    /// <summary>Gets or sets the random seed.</summary>
    /// <value>Defaults to 0.</value>
    public ulong Seed { get; set; }

    /// <summary>Gets or sets the target of a targeted attack (a label, an output index, <c>random</c> or <c>least-likely</c>); empty is untargeted.</summary>
    /// <value>Defaults to empty (untargeted).</value>
    public string? Target { get; set; }

    /// <summary>Gets or sets a value indicating whether a successful perturbation is shrunk to the smallest that still fools the model.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Minimize { get; set; } = true;

    /// <summary>Gets or sets the most attack iterations (one query per running image each) one activity runs before it checkpoints.</summary>
    /// <value>Defaults to 500. Between 1 and 100,000.</value>
    public int SliceQueries { get; set; } = 500;

    /// <summary>Gets or sets the most seconds one activity attacks before it checkpoints.</summary>
    /// <value>Defaults to 60. Between 1 and 600 (keep it well under the host's functionTimeout).</value>
    public int SliceSeconds { get; set; } = 60;

    /// <summary>Gets or sets how many slices one orchestration execution runs before it continues as new (keeps the history small).</summary>
    /// <value>Defaults to 10. Between 1 and 1,000.</value>
    public int SlicesPerExecution { get; set; } = 10;

    /// <summary>Gets the parsed norm (valid after validation).</summary>
    public NormKind ParsedNorm => string.Equals(Norm, "l2", StringComparison.OrdinalIgnoreCase) ? NormKind.L2 : NormKind.LInf;

    /// <summary>Builds the engine request these settings describe.</summary>
    /// <returns>The request.</returns>
    public AttackRequest ToRequest()
    {
        NormKind norm = ParsedNorm;
        return new AttackRequest
        {
            Attack = new SquareAttackOptions
            {
                Norm = norm,
                Epsilon = Eps ?? (norm == NormKind.LInf ? 0.05 : 5.0),
                MaxQueries = MaxQueries,
                Seed = Seed,
            },
            Target = string.IsNullOrWhiteSpace(Target) ? null : Target.Trim(),
            Minimize = Minimize,
        };
    }

    /// <summary>Gets the slice budget of one activity.</summary>
    /// <returns>The budget.</returns>
    public StepBudget SliceBudget() => new(MaxIterations: SliceQueries, MaxDuration: TimeSpan.FromSeconds(SliceSeconds));
}
