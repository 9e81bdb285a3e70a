using System.Text.Json;
using System.Text.Json.Nodes;
using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public class ReportJsonTests
{
    [Fact]
    public void Serialize_ThenDeserialize_RoundTripsEveryField()
    {
        var sut = SampleReports.Fooled();

        var json = ReportJson.Serialize(sut);
        var back = ReportJson.Deserialize(json);

        // Records compare lists by reference, so compare the list-free sections as records and the lists element-wise.
        Assert.Equal(sut.SchemaVersion, back.SchemaVersion);
        Assert.Equal(sut.Tool, back.Tool);
        Assert.Equal(sut.CreatedUtc, back.CreatedUtc);
        Assert.Equal(sut.Model, back.Model);
        Assert.Equal(sut.Input, back.Input);
        Assert.Equal(sut.Clean.Top5, back.Clean.Top5);
        Assert.Equal(sut.Clean.TrueClass, back.Clean.TrueClass);
        Assert.Equal(sut.Clean.TrueClassSource, back.Clean.TrueClassSource);
        Assert.NotNull(back.Adversarial);
        Assert.Equal(sut.Adversarial!.Top5, back.Adversarial.Top5);
        Assert.Equal(sut.Adversarial with { Top5 = [] }, back.Adversarial with { Top5 = [] });
        Assert.Equal(sut.Attack.Options.OrderBy(kv => kv.Key), back.Attack.Options.OrderBy(kv => kv.Key));
        Assert.Equal(sut.Attack with { Options = sut.Attack.Options }, back.Attack with { Options = sut.Attack.Options });
        Assert.Equal(sut.Outcome, back.Outcome);
        Assert.Equal(sut.Perturbation, back.Perturbation);
        Assert.Equal(sut.Timings, back.Timings);
        Assert.Equal(sut.Trace, back.Trace);
        Assert.Equal(sut.Images, back.Images);
        Assert.Equal(json, ReportJson.Serialize(back));
    }

    [Fact]
    public void Serialize_AnyReport_WritesSchemaVersionTwo()
    {
        var json = ReportJson.Serialize(SampleReports.Fooled());

        var root = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(2, AttackReport.CurrentSchemaVersion);
        Assert.Equal(2, root["schemaVersion"]!.GetValue<int>());
    }

    [Fact]
    public void Serialize_AnyReport_UsesCamelCaseNamesAndEnumText()
    {
        var json = ReportJson.Serialize(SampleReports.Fooled() with
        {
            Outcome = SampleReports.Fooled().Outcome with { Status = OutcomeStatus.AlreadyMisclassified },
        });

        var root = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("alreadyMisclassified", root["outcome"]!["status"]!.GetValue<string>());
        Assert.NotNull(root["createdUtc"]);
        Assert.NotNull(root["perturbation"]!["lInf"]);
        Assert.NotNull(root["perturbation"]!["l0Pixels"]);
        Assert.Equal("clean.png", root["images"]!["clean"]!.GetValue<string>());
        Assert.Equal("0.05", root["attack"]!["options"]!["pInit"]!.GetValue<string>());
        Assert.Contains('\n', json);
    }

    [Fact]
    public void Serialize_NullPsnrAndNullOptionals_OmitsThem()
    {
        var report = SampleReports.Fooled();
        var sut = report with
        {
            Perturbation = report.Perturbation! with { Psnr = null },
            Outcome = report.Outcome with { EpsStar = null, Message = null },
            Model = report.Model with { ProviderNote = null },
        };

        var json = ReportJson.Serialize(sut);

        var root = JsonNode.Parse(json)!.AsObject();
        Assert.False(root["perturbation"]!.AsObject().ContainsKey("psnr"));
        Assert.False(root["outcome"]!.AsObject().ContainsKey("epsStar"));
        Assert.False(root["outcome"]!.AsObject().ContainsKey("message"));
        Assert.False(root["model"]!.AsObject().ContainsKey("providerNote"));
        Assert.False(root["attack"]!.AsObject().ContainsKey("targetClass"));
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
        Assert.Null(ReportJson.Deserialize(json).Perturbation!.Psnr);
    }

    [Fact]
    public void Serialize_NaNValue_Throws()
    {
        var report = SampleReports.Fooled();
        var sut = report with { Perturbation = report.Perturbation! with { Ssim = double.NaN } };

        Assert.ThrowsAny<ArgumentException>(() => ReportJson.Serialize(sut));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Deserialize_OtherSchemaVersion_ThrowsNamingTheVersion(int version)
    {
        var node = JsonNode.Parse(ReportJson.Serialize(SampleReports.Fooled()))!.AsObject();
        node["schemaVersion"] = version;

        var ex = Assert.Throws<JsonException>(() => ReportJson.Deserialize(node.ToJsonString()));

        Assert.Contains($"version {version}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("reads versions 1 and 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_Version1Report_ReadWithTheBudgetUsedAndAnUnrecordedLoss()
    {
        // What version 1 wrote: no epsUsed and no loss in the attack sections.
        var node = JsonNode.Parse(ReportJson.Serialize(SampleReports.Fooled()))!.AsObject();
        node["schemaVersion"] = 1;
        node["attack"]!.AsObject().Remove("epsUsed");
        node["attack"]!.AsObject().Remove("loss");
        foreach (JsonNode? attempt in node["attempts"]?.AsArray() ?? [])
        {
            attempt!["attack"]!.AsObject().Remove("epsUsed");
            attempt["attack"]!.AsObject().Remove("loss");
        }

        AttackReport sut = ReportJson.Deserialize(node.ToJsonString());

        Assert.Equal(AttackReport.CurrentSchemaVersion, sut.SchemaVersion);
        Assert.Equal(AttackInfo.BudgetUsed(sut.Attack.Norm, sut.Attack.Eps), sut.Attack.EpsUsed);
        Assert.Equal("unrecorded", sut.Attack.Loss.Name);
        Assert.Equal(SampleReports.Fooled().Outcome.Queries, sut.Outcome.Queries);
    }

    [Fact]
    public void Deserialize_NewerSchemaWithChangedShape_ThrowsVersionErrorFirst()
    {
        const string json = """{ "schemaVersion": 7, "tool": "renamed in v7" }""";

        var ex = Assert.Throws<JsonException>(() => ReportJson.Deserialize(json));

        Assert.Contains("version 7", ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "tool": { "name": "x", "version": "1" } }""")]
    [InlineData("""{ "schemaVersion": "1" }""")]
    [InlineData("[1]")]
    public void Deserialize_NotAReport_Throws(string json)
    {
        Assert.Throws<JsonException>(() => ReportJson.Deserialize(json));
    }

    [Fact]
    public void Deserialize_MissingRequiredSection_Throws()
    {
        var node = JsonNode.Parse(ReportJson.Serialize(SampleReports.Fooled()))!.AsObject();
        node.Remove("outcome");

        Assert.Throws<JsonException>(() => ReportJson.Deserialize(node.ToJsonString()));
    }

    [Fact]
    public void Deserialize_NullForNonNullableField_Throws()
    {
        var node = JsonNode.Parse(ReportJson.Serialize(SampleReports.Fooled()))!.AsObject();
        node["model"]!["name"] = null;

        Assert.Throws<JsonException>(() => ReportJson.Deserialize(node.ToJsonString()));
    }

    [Fact]
    public void Serialize_NonAsciiAndHtmlText_KeepsLettersEscapesMarkup()
    {
        var sut = SampleReports.Fooled("café <b> & \"x\"");

        var json = ReportJson.Serialize(sut);

        Assert.Contains("café", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", json, StringComparison.Ordinal);
        Assert.Equal("café <b> & \"x\"", ReportJson.Deserialize(json).Clean.TrueClass.Label);
    }

    [Fact]
    public void Options_Shared_IsReadOnly()
    {
        Assert.True(ReportJson.Options.IsReadOnly);
    }
}
