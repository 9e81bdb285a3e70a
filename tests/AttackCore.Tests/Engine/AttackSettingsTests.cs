using AttackCore.Attacks;
using AttackCore.Attacks.Simba;
using AttackCore.Attacks.Square;
using AttackCore.Engine;

namespace AttackCore.Tests.Engine;

public sealed class AttackSettingsTests
{
    private static readonly AttackSettingNames Cli = Names(s => s switch
    {
        AttackSetting.Epsilon => "--eps",
        AttackSetting.MaxQueries => "--max-queries",
        AttackSetting.PInit => "--p-init",
        _ => "--" + s.ToString().ToLowerInvariant(),
    });

    private static readonly AttackSettingNames Metadata = Names(s => s switch
    {
        AttackSetting.Epsilon => "advaudit_eps",
        AttackSetting.MaxQueries => "advaudit_max_queries",
        AttackSetting.PlanMode => "advaudit_plan_mode",
        _ => "advaudit_" + s.ToString().ToLowerInvariant(),
    }, StringComparer.OrdinalIgnoreCase, maxQueriesLimit: 1_000_000);

    private static readonly AttackSettingNames Audit = Names(s => s switch
    {
        AttackSetting.Epsilon => "options.eps",
        AttackSetting.MaxQueries => "options.maxQueries",
        AttackSetting.PlanMode => "options.planMode",
        _ => "options." + s.ToString().ToLowerInvariant(),
    });

    public static TheoryData<string, AttackSetting, string, string> BadTexts => new()
    {
        { "cli", AttackSetting.MaxQueries, "many", "--max-queries is 'many'; allowed: a whole number" },
        { "metadata", AttackSetting.MaxQueries, "many", "advaudit_max_queries is 'many'; allowed: a whole number" },
        { "audit", AttackSetting.MaxQueries, "many", "options.maxQueries is 'many'; allowed: a whole number" },
        { "cli", AttackSetting.Epsilon, "four", "--eps is 'four'; allowed: a number such as 0.05 or a fraction such as 4/255." },
        { "metadata", AttackSetting.Epsilon, "4/0", "advaudit_eps is '4/0'" },
        { "audit", AttackSetting.PlanMode, "best", "options.planMode is 'best'; allowed: first-success or all." },
        { "audit", AttackSetting.Norm, "l3", "options.norm is 'l3'; allowed: linf or l2." },
        { "cli", AttackSetting.Seed, "-1", "--seed is '-1'" },
        { "cli", AttackSetting.Minimize, "maybe", "--minimize is 'maybe'; allowed: true or false." },
        { "cli", AttackSetting.PInit, "half", "--p-init is 'half'" },
        { "cli", AttackSetting.Quantization, "rounded", "--quantization is 'rounded'; allowed: on-grid or after-success." },
        { "metadata", AttackSetting.Attacks, " ; ", "advaudit_attacks is ';'" },
    };

    public static TheoryData<string, AttackSetting, string, string> OutOfRange => new()
    {
        { "cli", AttackSetting.MaxQueries, "0", "--max-queries is '0'; allowed: a whole number from 1 to 10000000." },
        { "metadata", AttackSetting.MaxQueries, "2000000", "advaudit_max_queries is '2000000'; allowed: a whole number from 1 to 1000000." },
        { "audit", AttackSetting.Epsilon, "2", "options.eps is '2'; Epsilon must be greater than 0" },
        { "cli", AttackSetting.Epsilon, "0", "--eps is '0'; Epsilon must be greater than 0" },
        { "cli", AttackSetting.MinimizeSteps, "51", "--minimizesteps is '51'; allowed: a whole number from 1 to 50." },
        { "cli", AttackSetting.PInit, "1.5", "--p-init is '1.5'; allowed: a number in (0, 1]." },
    };

    [Fact]
    public void ToRequest_NoSettings_IsTheEnginesDefaultRequest()
    {
        AttackRequest sut = new AttackSettings().ToRequest(Cli);

        Assert.Equal(new AttackRequest().Describe(), sut.Describe());
    }

    [Fact]
    public void Apply_EverySetting_ReadsItsText()
    {
        AttackSettings sut = AttackSettings.Parse(
            [
                new("--attacks", "square;simba-dct:maxQueries=5000"), new("--planmode", "ALL"), new("--norm", "L2"), new("--eps", "8/255"),
                new("--max-queries", "42"), new("--seed", "9"), new("--target", " least-likely "), new("--minimize", "False"),
                new("--minimizesteps", "7"), new("--p-init", "0.2"), new("--quantization", "after-success"),
            ],
            Cli);

        Assert.Equal(["square", "simba-dct:maxQueries=5000"], sut.Attacks);
        Assert.Equal((PlanMode.All, NormKind.L2, 8.0 / 255, 42, 9ul, "least-likely", false, 7), (sut.PlanMode, sut.Norm, sut.Epsilon!.Value, sut.MaxQueries, sut.Seed, sut.Target, sut.Minimize, sut.MinimizeSteps));
        Assert.Equal((0.2, QuantizationMode.AfterSuccess), (sut.PInit!.Value, sut.Quantization!.Value));
    }

    [Theory]
    [MemberData(nameof(BadTexts))]
    public void Apply_UnreadableText_ThrowsNamingTheSettingAsTheDoorWritesIt(string door, AttackSetting setting, string text, string expected)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new AttackSettings().Apply([new KeyValuePair<AttackSetting, string>(setting, text)], Door(door)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void ToRequest_OutOfRange_ThrowsNamingTheSettingAsTheDoorWritesIt(string door, AttackSetting setting, string text, string expected)
    {
        AttackSettings sut = new AttackSettings().Apply([new KeyValuePair<AttackSetting, string>(setting, text)], Door(door));

        ArgumentException e = Assert.Throws<ArgumentException>(() => sut.ToRequest(Door(door)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_UnknownName_ThrowsNamingItAndTheKnownNames()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AttackSettings.Parse([new("advaudit_epsilon", "0.1")], Metadata));

        Assert.Contains("Unknown setting 'advaudit_epsilon'; known: advaudit_attacks, advaudit_plan_mode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NamesOfACaseInsensitiveDoor_AreFoundWhateverTheCase()
    {
        Assert.Equal(0.1, AttackSettings.Parse([new("AdvAudit_Eps", "0.1")], Metadata).Epsilon);
    }

    [Fact]
    public void ToRequest_BadSpec_ThrowsNamingThePlanSettingAndTheAttacksProblem()
    {
        AttackSettings sut = AttackSettings.Parse([new("options.attacks", "no-such-attack")], Audit);

        ArgumentException e = Assert.Throws<ArgumentException>(() => sut.ToRequest(Audit));

        Assert.StartsWith("options.attacks: Unknown attack \"no-such-attack\".", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NormThatChangesTheNorm_DropsTheOtherNormsBudget()
    {
        AttackSettings linf = new() { Norm = NormKind.LInf, Epsilon = 0.03 };

        AttackSettings sut = linf.Apply([new KeyValuePair<AttackSetting, string>(AttackSetting.Norm, "l2")], Metadata);
        AttackSettings same = linf.Apply([new KeyValuePair<AttackSetting, string>(AttackSetting.Norm, "linf")], Metadata);
        AttackSettings both = linf.Apply([new KeyValuePair<AttackSetting, string>(AttackSetting.Epsilon, "3"), new(AttackSetting.Norm, "l2")], Metadata);

        Assert.Equal((null as double?, 5.0), (sut.Epsilon, sut.ToRequest(Metadata).Attack.Epsilon));
        Assert.Equal(0.03, same.Epsilon);
        Assert.Equal((NormKind.L2, 3.0), (both.Norm, both.Epsilon!.Value));
    }

    [Fact]
    public void ToRequest_SquareAliases_BecomeOptionsOfEverySquareSpec()
    {
        AttackSettings sut = new()
        {
            Attacks = ["square", "simba-dct", "Square:maxQueries=300"],
            PInit = 0.2,
            Quantization = QuantizationMode.AfterSuccess,
        };

        AttackRequest request = sut.ToRequest(Cli);

        Assert.Equal(["square:pInit=0.2,quantization=AfterSuccess", "simba-dct", "Square:pInit=0.2,quantization=AfterSuccess,maxQueries=300"], sut.PlanSpecs());
        var first = Assert.IsType<SquareAttackOptions>(request.Attacks[0]);
        var third = Assert.IsType<SquareAttackOptions>(request.Attacks[2]);
        Assert.IsType<SimbaDctOptions>(request.Attacks[1]);
        Assert.Equal((0.2, QuantizationMode.AfterSuccess), (first.PInit!.Value, first.Quantization!.Value));
        Assert.Equal((0.2, 300), (third.PInit!.Value, third.MaxQueries));
    }

    [Fact]
    public void ToRequest_AliasAndTheSpecsOwnOption_TheSpecWins()
    {
        AttackRequest sut = new AttackSettings { Attacks = ["square:pInit=0.3,quantization=on-grid"], PInit = 0.1, Quantization = QuantizationMode.AfterSuccess }.ToRequest(Cli);

        var square = Assert.IsType<SquareAttackOptions>(sut.Attack);
        Assert.Equal((0.3, QuantizationMode.OnGrid), (square.PInit!.Value, square.Quantization!.Value));
    }

    [Fact]
    public void ToRequest_AliasGiven_EqualsTheSpecWithTheOption()
    {
        AttackRequest viaAlias = AttackSettings.Parse([new("--p-init", "0.2"), new("--norm", "l2")], Cli).ToRequest(Cli);
        AttackRequest viaSpec = AttackSettings.Parse([new("--attacks", "square:pInit=0.2"), new("--norm", "l2")], Cli).ToRequest(Cli);

        Assert.Equal(viaSpec.Describe(), viaAlias.Describe());
    }

    [Fact]
    public void ToRequest_AliasesWithThePlanPreset_ReachItsSquareAttackWhoseOwnPInitWins()
    {
        AttackSettings sut = new() { Attacks = [AttackCatalog.StandardPlan], PInit = 0.3, Quantization = QuantizationMode.AfterSuccess };

        AttackRequest request = sut.ToRequest(Cli);

        var square = Assert.IsType<SquareAttackOptions>(request.Attacks[^1]);
        Assert.Equal(AttackCatalog.StandardPlanSpecs.Count, request.Attacks.Count);
        Assert.Equal((0.8, QuantizationMode.AfterSuccess, 5000), (square.PInit!.Value, square.Quantization!.Value, square.MaxQueries));
        Assert.Equal(string.Join(";", AttackCatalog.StandardPlanSpecs), sut.Describe(request).Attacks);
    }

    [Fact]
    public void ToRequest_AliasWithoutASquareAttack_ThrowsNamingTheAlias()
    {
        AttackSettings sut = AttackSettings.Parse([new("--attacks", "simba-dct"), new("--p-init", "0.2")], Cli);

        ArgumentException e = Assert.Throws<ArgumentException>(() => sut.ToRequest(Cli));

        Assert.Contains("--p-init sets an option of Square Attack, but the plan (simba-dct) has no square attack", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToRequest_EpsAboveOneForAnL2OnlyPlan_IsAllowed()
    {
        AttackRequest sut = AttackSettings.Parse([new("advaudit_attacks", "simba-dct"), new("advaudit_eps", "3")], Metadata).ToRequest(Metadata);

        Assert.Equal((NormKind.L2, 3.0), (sut.Attack.Norm, sut.Attack.Epsilon));
    }

    [Fact]
    public void ToRequest_CommonSettings_ReachEveryAttackButTheSpecsOwnWin()
    {
        AttackRequest sut = AttackSettings.Parse([new("--attacks", "square;square:maxQueries=7"), new("--max-queries", "42"), new("--seed", "5"), new("--target", "none")], Cli).ToRequest(Cli);

        Assert.Equal([(42, 5ul), (7, 5ul)], sut.Attacks.Select(a => (a.MaxQueries, a.Seed)));
        Assert.Null(sut.Target);
    }

    [Fact]
    public void Describe_MixedPlan_NamesThePlanAsWrittenAndTheNormMixed()
    {
        AttackSettings settings = new() { Attacks = ["square:maxQueries=300", "simba-dct"], PlanMode = PlanMode.All, Target = "3" };

        var sut = settings.Describe(settings.ToRequest(Cli));

        Assert.Equal(("square:maxQueries=300;simba-dct", "all", "mixed", 300, "3"), (sut.Attacks, sut.PlanMode, sut.Norm, sut.MaxQueries, sut.Target));
    }

    [Fact]
    public void Constructor_TwoSettingsWithOneName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new AttackSettingNames(new Dictionary<AttackSetting, string> { [AttackSetting.Seed] = "x", [AttackSetting.Target] = "x" }));
    }

    private static AttackSettingNames Door(string door) => door switch
    {
        "cli" => Cli,
        "metadata" => Metadata,
        _ => Audit,
    };

    private static AttackSettingNames Names(Func<AttackSetting, string> name, StringComparer? comparer = null, int maxQueriesLimit = 10_000_000) =>
        new(Enum.GetValues<AttackSetting>().ToDictionary(s => s, name), comparer) { MaxQueriesLimit = maxQueriesLimit };
}
