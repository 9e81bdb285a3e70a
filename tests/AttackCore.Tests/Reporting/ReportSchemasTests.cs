using System.Text.Json.Nodes;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Reporting;

public sealed class ReportSchemasTests
{
    private const string Regenerate = "The JSON shape changed: run `dotnet run --project src/Cli -- schema --out docs` and commit docs/*.schema.json (and bump the schema version if an existing reader could misread the change).";

    [CheckoutTheory]
    [InlineData(ReportSchemas.ReportFileName)]
    [InlineData(ReportSchemas.SummaryFileName)]
    public void CommittedSchema_EqualsTheGeneratedOne(string fileName)
    {
        string path = RepoPaths.FromRoot(Path.Combine("docs", fileName))!;
        string generated = fileName == ReportSchemas.ReportFileName ? ReportSchemas.Report() : ReportSchemas.Summary();

        Assert.True(File.Exists(path), $"docs/{fileName} is missing. {Regenerate}");
        Assert.True(File.ReadAllText(path).ReplaceLineEndings("\n") == generated, $"docs/{fileName} differs from the schema the types give. {Regenerate}");
    }

    [Fact]
    public void Report_PinsTheSchemaVersionAndListsRequiredFields()
    {
        JsonObject sut = JsonNode.Parse(ReportSchemas.Report())!.AsObject();

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", sut["$schema"]!.GetValue<string>());
        Assert.Equal(AttackReport.CurrentSchemaVersion, sut["properties"]!["schemaVersion"]!["const"]!.GetValue<int>());
        Assert.Contains("outcome", sut["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.NotNull(sut["properties"]!["attack"]!["properties"]!["loss"]);
    }

    [Fact]
    public void SampleReport_IsValid()
    {
        SchemaCheck.Report(ReportJson.Serialize(SampleReports.Fooled()));
    }

    [Theory]
    [InlineData("schemaVersion", "1")]
    [InlineData("outcome", "null")]
    [InlineData("attack", """{ "name": "square" }""")]
    public void BrokenReport_IsRejectedWithWhereAndWhy(string field, string value)
    {
        JsonObject node = JsonNode.Parse(ReportJson.Serialize(SampleReports.Fooled()))!.AsObject();
        node[field] = JsonNode.Parse(value);

        IReadOnlyList<string> errors = SchemaCheck.ReportErrors(node.ToJsonString());

        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.Contains("/" + field, StringComparison.Ordinal));
    }

    [Fact]
    public void SampleSummary_IsValid()
    {
        AuditSummary summary = AuditSummaryBuilder.Build(
            "id",
            "test",
            new AuditAttack { Norm = "linf", Eps = 0.01, MaxQueries = 300, Seed = 0, Target = "none", Minimize = true },
            [new AuditImageInput("a.png", "a", null, SampleReports.Fooled()), new AuditImageInput("b.png", "b", null, null, "Corrupt", "cut short")],
            DateTimeOffset.UnixEpoch,
            DateTimeOffset.UnixEpoch.AddSeconds(1));

        SchemaCheck.Summary(AuditSummaryJson.Serialize(summary));
    }

    [CheckoutTheory]
    [InlineData("docs/report-schema.md")]
    public void DocumentedExample_IsValid(string page)
    {
        string text = File.ReadAllText(RepoPaths.FromRoot(page)!);
        int start = text.IndexOf("```json", StringComparison.Ordinal);
        string example = text[(start + 7)..text.IndexOf("```", start + 7, StringComparison.Ordinal)];

        Assert.Empty(SchemaCheck.ReportErrors(example));
    }
}
