using System.Text;
using AttackCore.Engine;
using AttackCore.Reporting;
using AttackCore.Tests.Reporting;

namespace AttackCore.Tests.Engine;

public sealed class ResultFolderTests
{
    [Fact]
    public void Files_FullResult_ListsTheImagesThenTheHtmlThenTheReportLast()
    {
        AttackReport report = SampleReports.Fooled();
        var sut = new ImageResult(report, [1], [2], [3]);

        IReadOnlyList<ResultFolderFile> files = ResultFolder.Files(sut);

        Assert.Equal([report.Images.Clean, report.Images.Adversarial!, report.Images.Perturbation!, "report.html", "report.json"], files.Select(f => f.Name));
        Assert.Equal(sut.ReportJsonText(), Encoding.UTF8.GetString(files[^1].Content));
        Assert.Equal(sut.ReportHtmlText(), Encoding.UTF8.GetString(files[^2].Content));
        Assert.Equal([(byte)2], files[1].Content);
        Assert.Single(files, f => ResultFolder.IsMarker(f.Name));
    }

    [Fact]
    public void Files_NoAdversarialImage_LeavesItsFilesOut()
    {
        var sut = new ImageResult(SampleReports.Fooled() with { Images = new ImageFiles { Adversarial = null, Perturbation = null } }, [1], null, null);

        Assert.Equal(["clean.png", "report.html", "report.json"], ResultFolder.Files(sut).Select(f => f.Name));
    }

    [Fact]
    public void Files_ErrorReport_IsTheErrorJsonAloneWithTheCommandLinesFields()
    {
        ResultFolderFile file = Assert.Single(ResultFolder.Files(new InputErrorReport("a/b.png", "TooLarge", "too big")));

        Assert.Equal(("error.json", "application/json"), (file.Name, file.ContentType));
        Assert.Equal("{\n  \"input\": \"a/b.png\",\n  \"reason\": \"TooLarge\",\n  \"message\": \"too big\"\n}", Encoding.UTF8.GetString(file.Content).ReplaceLineEndings("\n"));
        Assert.Equal(new InputErrorReport("a/b.png", "TooLarge", "too big"), InputErrorReport.Parse<InputErrorReport>(Encoding.UTF8.GetString(file.Content)));
    }
}
