using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>How an upload's metadata and an audit's options name transfer models (no storage needed).</summary>
public sealed class TransferOverridesTests
{
    [Theory]
    [InlineData("a.onnx", new[] { "a.onnx" })]
    [InlineData(" m/a.onnx , b.onnx,,a.onnx ", new[] { "m/a.onnx", "b.onnx", "a.onnx" })]
    [InlineData("NONE", new string[0])]
    [InlineData("", new string[0])]
    public void TransferModelsOf_KeyPresent_ReturnsTheNamesInOrder(string value, string[] expected)
    {
        IReadOnlyList<string>? sut = AttackOverrides.TransferModelsOf(new Dictionary<string, string> { ["AdvAudit_Transfer_Models"] = value });

        Assert.Equal(expected, sut);
    }

    [Fact]
    public void TransferModelsOf_KeyAbsent_ReturnsNullSoTheSettingApplies()
    {
        Assert.Null(AttackOverrides.TransferModelsOf(new Dictionary<string, string> { ["advaudit_eps"] = "0.1" }));
    }

    [Fact]
    public void Apply_TransferModelsKey_IsAcceptedAndLeavesTheAttackAlone()
    {
        var defaults = new AttackDefaults { Eps = 0.05, MaxQueries = 500, Seed = 1 };

        AttackRequest sut = AttackOverrides.Apply(defaults, new Dictionary<string, string> { [AttackOverrides.TransferModels] = "a.onnx" });

        Assert.Equal(defaults.ToRequest().Describe(), sut.Describe());
    }

    [Fact]
    public void ParseBlobNames_Duplicates_KeepsTheFirstOfEach()
    {
        Assert.Equal(["a.onnx", "b.onnx"], ModelProvider.ParseBlobNames("a.onnx,b.onnx,a.onnx"));
        Assert.Empty(ModelProvider.ParseBlobNames(null));
    }

    [Theory]
    [InlineData("[\"mobilenet/v1.onnx\", \"r50.onnx\"]", new[] { "mobilenet/v1.onnx", "r50.onnx" })]
    [InlineData("[]", new string[0])]
    public void AuditParse_TransferModels_BecomeTheImagesOverride(string json, string[] expected)
    {
        AuditPlan plan = Parse("{\"prefix\":\"\",\"options\":{\"transferModels\":" + json + "}}");

        Assert.Equal(expected, plan.TransferModels);
    }

    [Fact]
    public void AuditParse_NoTransferModels_LeavesTheSettingToApply()
    {
        Assert.Null(Parse("{\"prefix\":\"\"}").TransferModels);
    }

    [Theory]
    [InlineData("\"a.onnx\"", "options.transferModels must be an array")]
    [InlineData("[\"a.onnx,b.onnx\"]", "names without commas")]
    [InlineData("[3]", "options.transferModels has 3")]
    [InlineData("[\"\"]", "options.transferModels has \"\"")]
    public void AuditParse_InvalidTransferModels_ThrowsWithAClearMessage(string json, string expected)
    {
        AuditRequestException e = Assert.Throws<AuditRequestException>(() => Parse("{\"prefix\":\"\",\"options\":{\"transferModels\":" + json + "}}"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static AuditPlan Parse(string body)
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("xfer-api"));
        return services.GetRequiredService<AuditApi>().Parse(body, new string('b', 32), DateTimeOffset.UnixEpoch);
    }
}
