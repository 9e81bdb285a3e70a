using AdvAudit.Functions.Upload;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Tests.Upload;

/// <summary>The Functions app's error.json is the engine's error report plus the blob's container and ETag, in the order it always had.</summary>
public sealed class ErrorReportTests
{
    [Fact]
    public void ToFile_WritesTheEngineFieldsWithTheBlobFieldsBetween()
    {
        var sut = new ErrorReport("a/b.png", "uploads", "0x8D", "Corrupt", "cut short");

        string json = sut.ToFile().Content.ToString().ReplaceLineEndings("\n");

        Assert.Equal("{\n  \"input\": \"a/b.png\",\n  \"container\": \"uploads\",\n  \"eTag\": \"0x8D\",\n  \"reason\": \"Corrupt\",\n  \"message\": \"cut short\"\n}", json);
        Assert.Equal("error.json", sut.ToFile().Name);
        Assert.Equal(sut, ErrorReport.Parse(json));
    }

    [Fact]
    public void Parse_AsTheEnginesRecord_ReadsTheCommonFields()
    {
        string json = new ErrorReport("x.png", "c", "e", "NotFound", "gone").ToFile().Content.ToString();

        Assert.Equal(new InputErrorReport("x.png", "NotFound", "gone"), InputErrorReport.Parse<InputErrorReport>(json));
    }
}
