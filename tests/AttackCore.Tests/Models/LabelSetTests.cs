using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models;

public sealed class LabelSetTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_Bundled_Has1000ImageNetLabels()
    {
        var sut = ImageNetLabels.Load();

        Assert.Equal(1000, sut.Count);
        Assert.Equal("tench, Tinca tinca", sut[0]);
        Assert.StartsWith("toilet tissue", sut[999], StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoFile1000Classes_BundledLabels()
    {
        var sut = LabelSet.Resolve(ModelPresets.InceptionV3Timm);

        Assert.Same(ImageNetLabels.Load(), sut);
    }

    [Fact]
    public void Resolve_NoFileWithBackground_PrefixesBackground()
    {
        var sut = LabelSet.Resolve(ModelPresets.InceptionV3TfSlim);

        Assert.Equal(1001, sut.Count);
        Assert.Equal("background", sut[0]);
        Assert.Equal("tench, Tinca tinca", sut[1]);
    }

    [Fact]
    public void Resolve_FileWithNumClassesLines_UsedAsIs()
    {
        var spec = Spec(3, 1, temp.Write("l.txt", "bg\na\nb\n"));

        Assert.Equal(["bg", "a", "b"], LabelSet.Resolve(spec));
    }

    [Fact]
    public void Resolve_FileWithoutBackgroundLine_PrefixesBackground()
    {
        var spec = Spec(3, 1, temp.Write("l.txt", "a\r\nb\r\n"));

        Assert.Equal(["background", "a", "b"], LabelSet.Resolve(spec));
    }

    [Fact]
    public void Resolve_WrongLineCount_ThrowsWithCounts()
    {
        var spec = Spec(5, 1, temp.Write("l.txt", "a\nb\n"));

        var ex = Assert.Throws<ModelSpecException>(() => LabelSet.Resolve(spec));

        Assert.Contains("has 2 labels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5 lines or 4 lines", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoFileOddClassCount_Throws()
    {
        Assert.Throws<ModelSpecException>(() => LabelSet.Resolve(Spec(10, 0, null)));
    }

    [Fact]
    public void Resolve_MissingFile_Throws()
    {
        var ex = Assert.Throws<ModelSpecException>(() => LabelSet.Resolve(Spec(3, 0, temp.File("none.txt"))));

        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    private static ModelSpec Spec(int classes, int offset, string? labels) => new()
    {
        Name = "m",
        InputSize = 2,
        NumClasses = classes,
        BackgroundOffset = offset,
        LabelsPath = labels,
    };
}
