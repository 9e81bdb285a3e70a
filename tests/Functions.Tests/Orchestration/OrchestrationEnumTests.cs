using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>Outcomes and phases are enums in code and the same text as before in saved state and API answers.</summary>
public sealed class OrchestrationEnumTests
{
    public static TheoryData<JsonSerializerOptions> Serializers => [new JsonSerializerOptions(), new JsonSerializerOptions(JsonSerializerDefaults.Web)];

    [Theory]
    [MemberData(nameof(Serializers))]
    public void ImageAuditResult_Outcome_IsWrittenAndReadAsItsName(JsonSerializerOptions options)
    {
        var sut = new ImageAuditResult { Outcome = ImageOutcome.AlreadyMisclassified, ResultFolder = "a/b" };

        string json = JsonSerializer.Serialize(sut, options);

        Assert.Contains("\"AlreadyMisclassified\"", json, StringComparison.Ordinal);
        Assert.Equal(sut, JsonSerializer.Deserialize<ImageAuditResult>(json, options));
    }

    [Fact]
    public void ImageAuditResult_SavedBeforeTheEnum_ReadsBack()
    {
        ImageAuditResult? sut = JsonSerializer.Deserialize<ImageAuditResult>("{\"Outcome\":\"Gone\",\"ResultFolder\":\"x\"}");

        Assert.Equal(ImageOutcome.Gone, sut!.Outcome);
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void AuditProgress_Phase_IsWrittenAsItsName(JsonSerializerOptions options)
    {
        string json = JsonSerializer.Serialize(new AuditProgress { Phase = AuditPhase.Summarizing, Total = 3 }, options);

        Assert.Contains("\"Summarizing\"", json, StringComparison.Ordinal);
        Assert.Equal(AuditPhase.Summarizing, JsonSerializer.Deserialize<AuditProgress>(json, options)!.Phase);
    }

    [Fact]
    public void PrepareResult_Outcome_IsWrittenAsItsName()
    {
        string json = JsonSerializer.Serialize(new PrepareResult(null, ImageOutcome.Rejected, "bad"));

        Assert.Contains("\"Outcome\":\"Rejected\"", json, StringComparison.Ordinal);
    }
}
