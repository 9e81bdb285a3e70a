using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AttackCore.Attacks.Square;
using AttackCore.Engine;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>Blob metadata and the app settings as doors of the one settings parser: their errors name their own keys.</summary>
public sealed class MetadataSettingsTests
{
    [Theory]
    [InlineData("advaudit_max_queries", "2000000", "advaudit_max_queries is '2000000'; allowed: a whole number from 1 to 1000000.")]
    [InlineData("ADVAUDIT_EPS", "four", "advaudit_eps is 'four'; allowed: a number such as 0.05 or a fraction such as 4/255.")]
    [InlineData("advaudit_plan_mode", "best", "advaudit_plan_mode is 'best'; allowed: first-success or all.")]
    [InlineData("advaudit_attacks", "no-such-attack", "advaudit_attacks: Unknown attack \"no-such-attack\". Attacks: square, ")]
    [InlineData("advaudit_p_init", "0.1", "Unknown metadata key 'advaudit_p_init'; known keys: advaudit_attacks, advaudit_plan_mode, advaudit_norm, advaudit_eps, advaudit_max_queries, advaudit_seed, advaudit_target, advaudit_minimize, advaudit_transfer_models, advaudit_surrogate_models.")]
    public void Apply_BadValue_NamesTheMetadataKey(string key, string value, string expected)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AttackOverrides.Apply(new AttackDefaults(), new Dictionary<string, string> { [key] = value }));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_SpecOptionsInThePlan_ReachTheAttack()
    {
        AttackRequest sut = AttackOverrides.Apply(new AttackDefaults(), new Dictionary<string, string> { ["advaudit_attacks"] = "square:pInit=0.3" });

        Assert.Equal(0.3, Assert.IsType<SquareAttackOptions>(sut.Attack).PInit);
    }

    [Fact]
    public void ToRequest_BadAppSetting_NamesTheAppSetting()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new AttackDefaults { Attacks = "square", MaxQueries = 0 }.ToRequest());

        Assert.Equal("Attack__MaxQueries is '0'; allowed: a whole number from 1 to 1000000.", e.Message);
    }
}
