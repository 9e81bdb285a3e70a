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
    [InlineData("a/b.png", "a/b")]
    [InlineData("b.png", "b")]
    [InlineData("a.v1/b", "a.v1/b")]
    [InlineData("a/b.tar.gz", "a/b.tar")]
    [InlineData(".png", ".png")]
    [InlineData("a/b", "a/b")]
    public void FolderFor_DropsTheLastExtensionOnly(string name, string expected)
    {
        Assert.Equal(expected, ResultPaths.FolderFor(name));
    }
}
