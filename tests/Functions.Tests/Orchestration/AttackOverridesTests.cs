using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AttackCore.Attacks;
using AttackCore.Engine;

namespace AdvAudit.Functions.Tests.Orchestration;

public sealed class AttackOverridesTests
{
    private static readonly AttackDefaults Defaults = new() { Eps = 0.05, MaxQueries = 500, Seed = 1 };

    [Fact]
    public void Apply_NoMetadata_TakesTheSettings()
    {
        AttackRequest sut = AttackOverrides.Apply(Defaults, new Dictionary<string, string>());

        Assert.Equal((NormKind.LInf, 0.05, 500, 1ul, null as string, true), (sut.Attack.Norm, sut.Attack.Epsilon, sut.Attack.MaxQueries, sut.Attack.Seed, sut.Target, sut.Minimize));
    }

    [Fact]
    public void Apply_EveryKey_OverridesItsSetting()
    {
        var metadata = new Dictionary<string, string>
        {
            ["AdvAudit_Norm"] = "l2",
            ["advaudit_eps"] = "3",
            ["advaudit_max_queries"] = "42",
            ["advaudit_seed"] = "9",
            ["advaudit_target"] = "least-likely",
            ["advaudit_minimize"] = "false",
            ["unrelated"] = "ignored",
        };

        AttackRequest sut = AttackOverrides.Apply(Defaults, metadata);

        Assert.Equal((NormKind.L2, 3.0, 42, 9ul, "least-likely", false), (sut.Attack.Norm, sut.Attack.Epsilon, sut.Attack.MaxQueries, sut.Attack.Seed, sut.Target, sut.Minimize));
    }

    [Fact]
    public void Apply_NormWithoutEps_TakesThatNormsDefaultBudget()
    {
        AttackRequest sut = AttackOverrides.Apply(Defaults, new Dictionary<string, string> { ["advaudit_norm"] = "l2" });

        Assert.Equal(5.0, sut.Attack.Epsilon);
    }

    [Fact]
    public void Apply_EpsAsFraction_IsParsed()
    {
        Assert.Equal(8 / 255.0, AttackOverrides.Apply(Defaults, new Dictionary<string, string> { ["advaudit_eps"] = "8/255" }).Attack.Epsilon);
    }

    [Theory]
    [InlineData("advaudit_eps", "lots")]
    [InlineData("advaudit_eps", "2")]
    [InlineData("advaudit_norm", "l1")]
    [InlineData("advaudit_max_queries", "0")]
    [InlineData("advaudit_seed", "-1")]
    [InlineData("advaudit_minimize", "maybe")]
    [InlineData("advaudit_epsilon", "0.1")]
    public void Apply_BadValueOrUnknownKey_ThrowsNamingTheKey(string key, string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AttackOverrides.Apply(Defaults, new Dictionary<string, string> { [key] = value }));

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }
}
