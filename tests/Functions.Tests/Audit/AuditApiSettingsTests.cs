using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>The audit body as a typed record and as a door of the one settings parser; the plan holds the resolved request.</summary>
public sealed class AuditApiSettingsTests
{
    [Theory]
    [InlineData("{\"prefix\":\"\",\"Prefix\":\"a/\"}", "Unknown field 'Prefix'; allowed: prefix, blobs, container, options, labels.")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"maxqueries\":5}}", "Unknown option 'maxqueries'; allowed: attacks, planMode, norm, eps, maxQueries, seed, target, minimize, transferModels, surrogateModels.")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"pInit\":0.1}}", "Unknown option 'pInit'")]
    [InlineData("{\"prefix\":\"\",\"my field\":1}", "Unknown field 'my field'")]
    public void Parse_UnknownMember_IsRefusedNamingIt(string body, string expected)
    {
        AuditRequestException e = Assert.Throws<AuditRequestException>(() => Parse(body));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"prefix\":\"\",\"options\":{\"maxQueries\":2000000}}", "options.maxQueries is '2000000'; allowed: a whole number from 1 to 1000000.")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"maxQueries\":\"5\"}}", "options.maxQueries is \"5\"; allowed: a whole number from 1 to 1000000.")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"seed\":-1}}", "options.seed is -1; allowed: a whole number from 0.")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"norm\":2}}", "options.norm is 2; allowed: \"linf\" or \"l2\".")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"eps\":true}}", "options.eps is true; allowed: a number greater than 0")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"attacks\":\"square:pInit=2\"}}", "options.attacks: pInit must be in (0, 1]")]
    [InlineData("{\"prefix\":\"\",\"options\":[1]}", "'options' must be an object")]
    [InlineData("{\"prefix\":\"\",\"labels\":[1]}", "'labels' must be an object")]
    [InlineData("{\"blobs\":[\"a.png\",7]}", "'blobs' has an invalid entry 7")]
    [InlineData("{\"blobs\":\"a.png\"}", "'blobs' must be a non-empty array")]
    [InlineData("{\"prefix\":\"\",\"container\":5}", "'container' must be a container name")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"transferModels\":[\"a.onnx\",null]}}", "options.transferModels has null")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"surrogateModels\":[\"a,b.onnx\"]}}", "options.surrogateModels has \"a,b.onnx\"")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"surrogateModels\":\"a.onnx\"}}", "options.surrogateModels must be an array")]
    public void Parse_BadValue_NamesTheFieldAsTheCallerWroteIt(string body, string expected)
    {
        AuditRequestException e = Assert.Throws<AuditRequestException>(() => Parse(body));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Options_ResolveOverTheAppSettingsIntoTheRequestItself()
    {
        AuditPlan sut = Parse("{\"prefix\":\"\",\"options\":{\"attacks\":[\"square:pInit=0.2\",\"bandits-td\"],\"norm\":\"l2\",\"maxQueries\":300,\"target\":null,\"minimize\":false}}", eps: "3", norm: "l2");

        Assert.Equal(["square", "bandits-td"], sut.Request.Attacks.Select(a => a.AttackName));
        Assert.All(sut.Request.Attacks, a => Assert.Equal((NormKind.L2, 3.0, 300), (a.Norm, a.Epsilon, a.MaxQueries)));
        Assert.Equal(0.2, Assert.IsType<SquareAttackOptions>(sut.Request.Attacks[0]).PInit);
        Assert.Equal((null as string, false), (sut.Request.Target, sut.Request.Minimize));
        Assert.Equal(("square:pInit=0.2;bandits-td", "l2", 3.0), (sut.Attack.Attacks, sut.Attack.Norm, sut.Attack.Eps));
    }

    [Fact]
    public void Parse_NormOtherThanTheSettings_DropsTheSettingsBudgetForTheNormsDefault()
    {
        AuditPlan sut = Parse("{\"prefix\":\"\",\"options\":{\"norm\":\"l2\"}}", eps: "0.03");

        Assert.Equal((NormKind.L2, 5.0), (sut.Request.Attack.Norm, sut.Request.Attack.Epsilon));
    }

    [AzuriteFact]
    public async Task Plan_StoredAndReadBack_KeepsTheResolvedRequest()
    {
        Dictionary<string, string?> settings = TestServices.Settings("plan-rt");
        using ServiceProvider services = TestServices.Build(settings);
        AuditPlan plan = services.GetRequiredService<AuditApi>().Parse("{\"prefix\":\"\",\"options\":{\"attacks\":[\"square:maxQueries=300,quantization=after-success\",\"simba-dct:epsilon=5\",\"hopskipjump\"],\"planMode\":\"all\",\"seed\":4}}", new string('c', 32), DateTimeOffset.UnixEpoch);
        AuditStore store = services.GetRequiredService<AuditStore>();

        await store.WritePlanAsync(plan, CancellationToken.None);
        AuditPlan back = await store.ReadPlanAsync(plan.AuditId, CancellationToken.None);

        Assert.Equal(plan.Request.Attacks, back.Request.Attacks);
        Assert.Equal(plan.Request.Attacks.Select(a => a.GetType()), back.Request.Attacks.Select(a => a.GetType()));
        Assert.Equal((PlanMode.All, plan.Request.Target, plan.Request.Minimize, plan.Request.MinimizeSteps), (back.Request.PlanMode, back.Request.Target, back.Request.Minimize, back.Request.MinimizeSteps));
        Assert.Equal(QuantizationMode.AfterSuccess, Assert.IsType<SquareAttackOptions>(back.Request.Attacks[0]).Quantization);
    }

    private static AuditPlan Parse(string body, string? eps = null, string? norm = null)
    {
        Dictionary<string, string?> settings = TestServices.Settings("api-settings");
        if (norm is not null)
        {
            settings[SettingNames.AttackNorm] = norm;
        }

        if (eps is not null)
        {
            settings[SettingNames.AttackEps] = eps;
        }

        using ServiceProvider services = TestServices.Build(settings);
        return services.GetRequiredService<AuditApi>().Parse(body, new string('a', 32), DateTimeOffset.UnixEpoch);
    }
}
