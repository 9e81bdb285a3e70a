using AdvAudit.Functions.Storage;

namespace AdvAudit.Functions.Tests.Storage;

public class BlobNamesTests
{
    [Theory]
    [InlineData("a.png")]
    [InlineData("cats/2024/a b.png")]
    [InlineData("a..b.png")]
    [InlineData(".hidden.png")]
    [InlineData("a/.../b.png")]
    [InlineData("été/ß.png")]
    public void Problem_OrdinaryNames_IsNull(string name) => Assert.Null(BlobNames.Problem(name));

    [Theory]
    [InlineData("../victim/z.png", "'..' segment")]
    [InlineData("a/../../x.png", "'..' segment")]
    [InlineData("./a.png", "'.' segment")]
    [InlineData("a/./b.png", "'.' segment")]
    [InlineData("a/..", "'..' segment")]
    [InlineData("a\\b.png", "backslash")]
    [InlineData("a//b.png", "empty folder ('//')")]
    [InlineData("a///b.png", "empty folder ('//')")]
    [InlineData("/a.png", "starts with '/'")]
    [InlineData("a\u0000.png", "control character (U+0000)")]
    [InlineData("a\nb.png", "control character (U+000A)")]
    [InlineData("a\u0085.png", "control character (U+0085)")]
    [InlineData("", "empty")]
    [InlineData("folder/", "ends with '/'")]
    public void Problem_UnsafeNames_SaysWhatIsWrong(string name, string expected)
    {
        string? sut = BlobNames.Problem(name);

        Assert.NotNull(sut);
        Assert.Contains(expected, sut, StringComparison.Ordinal);
        Assert.DoesNotContain(sut, char.IsControl);
    }

    [Theory]
    [InlineData("")]
    [InlineData("batch1/")]
    [InlineData("batch1/cat")]
    public void PrefixProblem_OrdinaryPrefixes_IsNull(string prefix) => Assert.Null(BlobNames.PrefixProblem(prefix));

    [Theory]
    [InlineData("../")]
    [InlineData("a/../")]
    [InlineData("/a/")]
    [InlineData("a\\")]
    public void PrefixProblem_UnsafePrefixes_IsNotNull(string prefix) => Assert.NotNull(BlobNames.PrefixProblem(prefix));

    [Fact]
    public void InvalidNameFolder_HostileName_KeepsNothingOfTheNameInThePath()
    {
        string sut = BlobNames.InvalidNameFolder("audits/x/images", "../../victim/z.png");

        Assert.Matches("^audits/x/images/_invalid-names/[0-9a-f]{16}$", sut);
        Assert.Equal(sut, BlobNames.InvalidNameFolder("audits/x/images/", "../../victim/z.png"));
        Assert.NotEqual(sut, BlobNames.InvalidNameFolder("audits/x/images", "../../victim/y.png"));
    }
}
