using AttackCore.Attacks;

namespace AttackCore.Tests.Attacks;

/// <summary>The attack listing describes exactly what the spec parser accepts.</summary>
public sealed class AttackDescriptionsTests
{
    public static TheoryData<string> Names => [.. AttackCatalog.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryListedOption_IsAcceptedByTheParser_WithAValueOfTheListedKind(string name)
    {
        AttackDescription sut = AttackDescriptions.Describe(name);

        Assert.NotEmpty(sut.Options);
        Assert.DoesNotContain(sut.Options, o => o.Name is "attack" or "attackName");
        foreach (AttackOptionDescription option in sut.Options)
        {
            string value = option.Default != "auto" ? option.Default.Trim('"')
                : option.Values.StartsWith("one of ", StringComparison.Ordinal) ? option.Values["one of ".Length..].Split(", ")[0]
                : option.Values == "a whole number" ? "2"
                : "0.1";
            AttackOptions parsed = AttackCatalog.Parse($"{name}:{option.Name}={value}", new CommonAttackSettings());
            Assert.Equal(name, parsed.AttackName);
        }
    }

    [Fact]
    public void Square_NamesItsOptionsWithTheirValuesDefaultsAndRanges_FromTheDocs()
    {
        AttackDescription sut = AttackDescriptions.Describe("square");

        Assert.Equal("scores", sut.Needs);
        Assert.StartsWith("Square Attack: a score-based black-box attack", sut.Summary, StringComparison.Ordinal);
        AttackOptionDescription quantization = Assert.Single(sut.Options, o => o.Name == "quantization");
        Assert.Equal(("one of on-grid, after-success", "auto"), (quantization.Values, quantization.Default));
        AttackOptionDescription maxQueries = Assert.Single(sut.Options, o => o.Name == "maxQueries");
        Assert.Equal(("a whole number", "10000"), (maxQueries.Values, maxQueries.Default));
        Assert.Contains("Defaults to 10,000", maxQueries.Description, StringComparison.Ordinal);
        Assert.Equal("linf or l2", Assert.Single(sut.Options, o => o.Name == "norm").Values);
        Assert.Equal("the top-1 label only", AttackDescriptions.Describe("hopskipjump").Needs);
        Assert.StartsWith("gradients", AttackDescriptions.Describe("apgd-ce").Needs, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownAttack_IsRefusedNamingTheAttacks() =>
        Assert.Contains("Attacks: square", Assert.Throws<ArgumentException>(() => AttackDescriptions.Describe("nosuch")).Message, StringComparison.Ordinal);
}
