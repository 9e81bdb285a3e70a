using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

public class SchemaCommandTests
{
    [Theory]
    [InlineData("report")]
    [InlineData("summary")]
    public async Task Schema_Document_PrintsItsSchema(string document)
    {
        CliRun run = await CliRun.InvokeAsync("schema", document);

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Equal(document == "report" ? ReportSchemas.Report() : ReportSchemas.Summary(), run.Output);
    }

    [Fact]
    public async Task Schema_Out_WritesBothFilesAsCommittedInDocs()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("schema", "--out", temp.File("docs"));

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Equal(ReportSchemas.Report(), await File.ReadAllTextAsync(Path.Combine(temp.File("docs"), "report.schema.json")));
        Assert.Equal(ReportSchemas.Summary(), await File.ReadAllTextAsync(Path.Combine(temp.File("docs"), "summary.schema.json")));
    }

    [Fact]
    public async Task Schema_NothingNamed_SaysWhatToName()
    {
        CliRun run = await CliRun.InvokeAsync("schema");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("advaudit schema report", run.Errors, StringComparison.Ordinal);
        Assert.Contains("--out docs", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_UnknownDocument_IsAUsageError()
    {
        CliRun run = await CliRun.InvokeAsync("schema", "summery");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("summery", run.Errors, StringComparison.Ordinal);
    }
}
