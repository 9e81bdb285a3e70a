using AttackCore.Attacks;
using AttackCore.Models;

namespace AttackCore.Engine;

/// <summary>
/// Shrinks successful perturbations: a binary search on the scale t in (0, 1] of each image's perturbation for the
/// smallest one whose 8-bit projection of <c>clean + t delta</c> still fools the model (eps* in the report). One
/// batched query per step for all images.
/// </summary>
/// <remarks>
/// The result lives in the runner's record, never in the attack's state: the attack's best image and loss stay its own,
/// so an attack sent back after a failed verification resumes exactly where it stopped.
/// </remarks>
internal sealed class PerturbationMinimizer
{
    private readonly IClassifier _classifier;

    /// <summary>Initializes a new instance of the <see cref="PerturbationMinimizer"/> class.</summary>
    /// <param name="classifier">The model (with its scores: success is judged by the attack's criterion on them).</param>
    public PerturbationMinimizer(IClassifier classifier)
    {
        _classifier = classifier;
    }

    /// <summary>Searches the smallest fooling scale of the best image of each of <paramref name="images"/>.</summary>
    /// <param name="state">The finished attack's state; read only.</param>
    /// <param name="images">Indices of the images the attack fooled.</param>
    /// <param name="criterion">The attack's test of success.</param>
    /// <param name="steps">Binary-search steps (one query each).</param>
    /// <param name="queries">Per image of the state, incremented by the queries spent on it.</param>
    /// <returns>Per entry of <paramref name="images"/>, the smallest fooling image found (a copy of the attack's best when no smaller scale fooled).</returns>
    public float[][] Minimize(AttackState state, IReadOnlyList<int> images, IAdversarialCriterion criterion, int steps, int[] queries)
    {
        int n = images.Count, length = state.ImageLength, classes = _classifier.NumClasses;
        var smallest = new float[n][];
        if (n == 0)
        {
            return smallest;
        }

        var low = new double[n];
        var high = Enumerable.Repeat(1.0, n).ToArray();
        var deltas = new float[n][];
        for (int k = 0; k < n; k++)
        {
            AttackImageState image = state.Images[images[k]];
            smallest[k] = (float[])image.Best.Clone();
            deltas[k] = new float[length];
            for (int v = 0; v < length; v++)
            {
                deltas[k][v] = image.Best[v] - image.Clean[v];
            }
        }

        using var buffer = new QueryBuffer(length, classes, n);
        for (int step = 0; step < steps; step++)
        {
            for (int k = 0; k < n; k++)
            {
                AttackImageState image = state.Images[images[k]];
                double mid = (low[k] + high[k]) / 2;
                Span<float> candidate = buffer.Image(k);
                for (int v = 0; v < length; v++)
                {
                    candidate[v] = Math.Clamp(image.Clean[v] + (float)(deltas[k][v] * mid), 0f, 1f);
                }

                PixelGrid.Project(image.Clean, candidate, state.Options.Norm, state.Options.Epsilon);
            }

            buffer.Predict(_classifier, n);
            for (int k = 0; k < n; k++)
            {
                queries[images[k]]++;
                double mid = (low[k] + high[k]) / 2;
                if (criterion.IsAdversarial(buffer.Logits(k), state.Images[images[k]].Goal))
                {
                    high[k] = mid;
                    buffer.Image(k).CopyTo(smallest[k]);
                }
                else
                {
                    low[k] = mid;
                }
            }
        }

        return smallest;
    }
}
