using AttackCore.Attacks;
using AttackCore.Attacks.Transfer;
using AttackCore.Imaging;

namespace AttackCore.Tests.Attacks.Transfer;

public class InputDiversityTests
{
    [Fact]
    public void Draw_ProbabilityZero_NeverTransforms()
    {
        var random = new SeededRandom(1);

        Assert.All(Enumerable.Range(0, 20), _ => Assert.Null(InputDiversity.Draw(random, 224, 224, 0, 1.1)));
    }

    [Fact]
    public void Draw_SameStream_SameTransformOnTheSameGrid()
    {
        var (rowsA, columnsA) = InputDiversity.Draw(new SeededRandom(5), 224, 224, 1, 1.1)!.Value;
        var (rowsB, columnsB) = InputDiversity.Draw(new SeededRandom(5), 224, 224, 1, 1.1)!.Value;

        Assert.Equal(rowsA.ToDense(), rowsB.ToDense());
        Assert.Equal(columnsA.ToDense(), columnsB.ToDense());
        Assert.Equal((224, 224), (rowsA.InputSize, rowsA.OutputSize));
    }

    [Fact]
    public void Draw_ProbabilityOne_ShrinksTheImageIntoAZeroBorder()
    {
        // A constant image comes back as that constant inside, with zeros (the padding) on some border rows or columns.
        var random = new SeededRandom(2);
        int bordered = 0;
        for (int draw = 0; draw < 10; draw++)
        {
            var (rows, columns) = InputDiversity.Draw(random, 40, 40, 1, 1.1)!.Value;
            var image = Enumerable.Repeat(0.8f, 40 * 40).ToArray();
            var output = new float[image.Length];
            AxisMap.Apply(rows, columns, image, 1, output);

            Assert.Equal(0.8f, output[(20 * 40) + 20], 5);
            Assert.All(output, v => Assert.InRange(v, 0f, 0.8f + 1e-5f));
            if (output.Min() < 0.4f)
            {
                bordered++;
            }
        }

        Assert.True(bordered > 0, "no draw padded the image");
    }
}
