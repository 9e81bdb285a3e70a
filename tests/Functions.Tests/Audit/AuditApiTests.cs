using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Tests.TestSupport;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>The audit API's request validation (no storage needed) and its answers for unknown ids.</summary>
public sealed class AuditApiTests
{
    private static AuditApi Sut(out ServiceProvider services)
    {
        Dictionary<string, string?> settings = TestServices.Settings("api");
        settings[SettingNames.AttackEps] = "0.05";
        services = TestServices.Build(settings);
        return services.GetRequiredService<AuditApi>();
    }

    private static AuditPlan Parse(string body)
    {
        AuditApi sut = Sut(out ServiceProvider services);
        using (services)
        {
            return sut.Parse(body, new string('a', 32), DateTimeOffset.UnixEpoch);
        }
    }

    [Theory]
    [InlineData("{\"prefix\":\"\",\"options\":{\"attacks\":\"fab-t\"}}", "Unknown attack \"fab-t\"")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"attacks\":[1]}}", "options.attacks is [1]")]
    [InlineData("{\"prefix\":\"\",\"options\":{\"planMode\":\"best\"}}", "first-success or all")]
    [InlineData("", "The body must be a JSON object")]
    [InlineData("{", "The body is not valid JSON")]
    [InlineData("[]", "The body must be a JSON object")]
    [InlineData("{}", "Give either 'prefix'")]
    [InlineData("{\"prefix\":\"a/\",\"blobs\":[\"x.png\"]}", "not both")]
    [InlineData("{\"prefx\":\"a/\"}", "Unknown field 'prefx'")]
    [InlineData("{\"prefix\":3}", "'prefix' must be a string")]
    [InlineData("{\"blobs\":[]}", "'blobs' must be a non-empty array")]
    [InlineData("{\"blobs\":[\"a.png\",\"a.png\"]}", "'blobs' lists 'a.png' twice")]
    [InlineData("{\"blobs\":[\"dir/\"]}", "'blobs' has an invalid entry")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"eps\":\"lots\"}}", "options.eps is 'lots'")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"eps\":2}}", "options.eps is '2'")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"norm\":\"l3\"}}", "options.norm is 'l3'")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"maxQueries\":1.5}}", "options.maxQueries is 1.5; allowed: a whole number")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"minimize\":\"yes\"}}", "options.minimize is \"yes\"; allowed: true or false")]
    [InlineData("{\"prefix\":\"a/\",\"options\":{\"steps\":3}}", "Unknown option 'steps'")]
    [InlineData("{\"prefix\":\"a/\",\"labels\":{\"b/x.png\":1}}", "labels names 'b/x.png', which is not under the prefix 'a/'")]
    [InlineData("{\"blobs\":[\"x.png\"],\"labels\":{\"x.png\":-1}}", "labels['x.png'] is -1")]
    [InlineData("{\"prefix\":\"\",\"container\":\"Bad_Name\"}", "'container' must be a container name")]
    public void Parse_InvalidBody_ThrowsWithAClearMessage(string body, string expected)
    {
        AuditRequestException e = Assert.Throws<AuditRequestException>(() => Parse(body));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidManifest_ResolvesEveryOptionAgainstTheSettings()
    {
        AuditPlan plan = Parse("{\"blobs\":[\"a.png\",\"b/c.jpg\"],\"options\":{\"maxQueries\":500,\"seed\":3,\"eps\":\"8/255\"},\"labels\":{\"a.png\":3,\"b/c.jpg\":\"Dress\"}}");

        Assert.Equal(["a.png", "b/c.jpg"], plan.Blobs);
        Assert.Null(plan.Prefix);
        Assert.Equal(8.0 / 255, plan.Attack.Eps, 12);
        Assert.Equal((500, 3UL, "linf", "none", true), (plan.Attack.MaxQueries, plan.Attack.Seed, plan.Attack.Norm, plan.Attack.Target, plan.Attack.Minimize));
        Assert.Equal((8.0 / 255, 500, 3UL, AttackCore.Attacks.NormKind.LInf, null as string, true), (plan.Request.Attack.Epsilon, plan.Request.Attack.MaxQueries, plan.Request.Attack.Seed, plan.Request.Attack.Norm, plan.Request.Target, plan.Request.Minimize));
        Assert.Equal(("3", "Dress"), (plan.Labels["a.png"], plan.Labels["b/c.jpg"]));
        Assert.Equal(100, plan.ChunkSize);
    }

    [Fact]
    public void Parse_PlanOfMixedNorms_KeepsEachAttacksNormAndRecreatesThePlanPerImage()
    {
        AuditPlan plan = Parse("{\"prefix\":\"\",\"options\":{\"attacks\":[\"square:maxQueries=300\",\"simba-dct:epsilon=5\"],\"planMode\":\"all\"}}");

        Assert.Equal(("square:maxQueries=300;simba-dct:epsilon=5", "all", "mixed"), (plan.Attack.Attacks, plan.Attack.PlanMode, plan.Attack.Norm));
        AttackCore.Engine.AttackRequest perImage = plan.Request;
        Assert.Equal(["square", "simba-dct"], perImage.Attacks.Select(a => a.AttackName));
        Assert.Equal((AttackCore.Attacks.NormKind.LInf, 0.05, 300), (perImage.Attacks[0].Norm, perImage.Attacks[0].Epsilon, perImage.Attacks[0].MaxQueries));
        Assert.Equal((AttackCore.Attacks.NormKind.L2, 5.0), (perImage.Attacks[1].Norm, perImage.Attacks[1].Epsilon));
        Assert.Equal(AttackCore.Engine.PlanMode.All, perImage.PlanMode);
    }

    [Fact]
    public void Parse_PrefixWithoutOptions_TakesTheAppSettings()
    {
        AuditPlan plan = Parse("{\"prefix\":\"\"}");

        Assert.Equal((string.Empty, 0.05, 10_000), (plan.Prefix, plan.Attack.Eps, plan.Attack.MaxQueries));
    }

    [Fact]
    public async Task StartAsync_InvalidBody_Returns400_AndGetAsync_UnknownId_Returns404()
    {
        AuditApi sut = Sut(out ServiceProvider services);
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(_ => { });
        using (services)
        {
            ApiResponse bad = await sut.StartAsync("{\"blobs\":[]}", new Uri("http://localhost/api/audits"), host.Client);
            ApiResponse unknown = await sut.GetAsync(new string('0', 32), host.Client);
            ApiResponse malformed = await sut.GetAsync("../etc", host.Client);

            Assert.Equal(400, bad.Status);
            Assert.Contains("\"error\"", bad.Body, StringComparison.Ordinal);
            Assert.Equal((404, 404), (unknown.Status, malformed.Status));
            Assert.Contains("No audit with id", unknown.Body, StringComparison.Ordinal);
        }
    }
}
