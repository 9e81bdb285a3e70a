using AttackCore.Attacks;
using AttackCore.Models;

namespace AttackCore.Tests.TestSupport;

/// <summary>The slice-and-resume checks every attack's tests make: a run cut into slices, saved and read back between them, must equal the uncut run.</summary>
internal static class AttackResume
{
    /// <summary>A small problem on the linear model: random images and their clean top-1 as untargeted goals.</summary>
    public static (LinearClassifier Model, List<float[]> Images, List<AttackGoal> Goals) LinearProblem(int count, int size = 8, int classes = 10, int channels = 3)
    {
        var model = new LinearClassifier(size, classes, seed: 7, channels);
        var images = Enumerable.Range(0, count).Select(i => LinearClassifier.RandomImage(size, 100 + i, channels)).ToList();
        var goals = images.Select(x => new AttackGoal(model.Top1(x))).ToList();
        return (model, images, goals);
    }

    /// <summary>
    /// Runs <paramref name="started"/> to the end in iteration slices of the given sizes (cycled), writing the state
    /// with <see cref="AttackStateSerializer"/> and reading it back before every slice, with an attack rebuilt from the
    /// restored options each time, as a host that resumes in another process would.
    /// </summary>
    /// <returns>The finished state and the number of slices it took.</returns>
    public static (AttackState Final, int Slices) RunInSavedSlices(AttackState started, IClassifier model, int[] sliceSizes, Action<AttackState>? onRestored = null)
    {
        byte[] saved = AttackStateSerializer.ToBytes(started);
        for (int slices = 0; ; slices++)
        {
            AttackState resumed = AttackStateSerializer.FromBytes(saved);
            onRestored?.Invoke(resumed);
            if (resumed.IsFinished)
            {
                return (resumed, slices);
            }

            resumed.Options.CreateAttack().Step(resumed, model, StepBudget.Iterations(sliceSizes[slices % sliceSizes.Length]));
            saved = AttackStateSerializer.ToBytes(resumed);
        }
    }

    /// <summary>Asserts two runs ended the same for every image: status, counts, best image and loss, trace and random stream, plus the attack's own data.</summary>
    public static void AssertSameRun(AttackState expected, AttackState actual, Action<AttackImageState, AttackImageState>? own = null)
    {
        Assert.Equal(expected.Images.Count, actual.Images.Count);
        for (int i = 0; i < expected.Images.Count; i++)
        {
            AttackImageState e = expected.Images[i], a = actual.Images[i];
            Assert.Equal(e.Status, a.Status);
            Assert.Equal(e.Queries, a.Queries);
            Assert.Equal(e.Iterations, a.Iterations);
            Assert.Equal(e.GridChecks, a.GridChecks);
            Assert.Equal(e.BestLoss, a.BestLoss);
            Assert.Equal(e.Best, a.Best);
            Assert.Equal(e.Trace, a.Trace);
            Assert.Equal(e.Random.GetState(), a.Random.GetState());
            Assert.Equal(e.StopReason, a.StopReason);
            own?.Invoke(e, a);
        }
    }
}
