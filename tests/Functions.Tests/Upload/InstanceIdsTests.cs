using AdvAudit.Functions.Upload;

namespace AdvAudit.Functions.Tests.Upload;

public class InstanceIdsTests
{
    [Fact]
    public void ForImage_IsStable_AndIgnoresETagQuoting()
    {
        string sut = InstanceIds.ForImage("uploads", "a/b.png", "\"0x8DC1\"");

        Assert.Equal(sut, InstanceIds.ForImage("uploads", "a/b.png", "0x8DC1"));
        Assert.Equal(sut, InstanceIds.ForImage("uploads", "a/b.png", "W/\"0x8DC1\""));
        Assert.Matches("^img-[0-9a-f]{40}$", sut);
        Assert.Equal("img-", sut[..4]);
    }

    [Fact]
    public void ForImage_KnownValue_DoesNotChangeBetweenReleases()
    {
        // sha256("uploads\na/b.png\n0x8DC1"), first 40 hex digits: changing the scheme would re-run finished work.
        string expected = "img-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("uploads\na/b.png\n0x8DC1"u8))[..40];

        Assert.Equal(expected, InstanceIds.ForImage("uploads", "a/b.png", "0x8DC1"));
    }

    [Theory]
    [InlineData("uploads", "a/b.png", "1")]
    [InlineData("uploads", "a/b.jpg", "0")]
    [InlineData("other", "a/b.png", "0")]
    public void ForImage_AnyPartDiffers_GivesAnotherId(string container, string name, string etag)
    {
        Assert.NotEqual(InstanceIds.ForImage("uploads", "a/b.png", "0"), InstanceIds.ForImage(container, name, etag));
    }

    [Theory]
    [InlineData("a/b.png", "a/b.png")]
    [InlineData("b.png", "b.png")]
    [InlineData("a.v1/b", "a.v1/b")]
    [InlineData("a/b.tar.gz", "a/b.tar.gz")]
    [InlineData(".png", ".png")]
    [InlineData("/a/b.png/", "a/b.png")]
    public void FolderFor_KeepsTheWholeName(string name, string expected)
    {
        Assert.Equal(expected, ResultPaths.FolderFor(name));
    }

    [Fact]
    public void FolderFor_SameStemDifferentExtensions_DifferentFolders()
    {
        string[] names = ["a.png", "a.jpg", "a", "a.png.jpg", "d/a.png", "d/a.webp"];
        Assert.Equal(names.Length, names.Select(ResultPaths.FolderFor).Distinct(StringComparer.Ordinal).Count());
    }
}
