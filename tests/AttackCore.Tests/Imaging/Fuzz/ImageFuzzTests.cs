using System.Globalization;

namespace AttackCore.Tests.Imaging.Fuzz;

/// <summary>
/// The decoder against mutated files: a short run in every test run, and a long one on demand
/// (<c>ADVAUDIT_FUZZ_CASES=20000 dotnet test tests/AttackCore.Tests --filter ImageFuzzTests</c>; see the README).
/// </summary>
public class ImageFuzzTests
{
    private const int ShortRunCases = 400;
    private const int DefaultSeed = 12;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(5);

    [Fact]
    public void Fuzz_MutatedFiles_NeverCrashHangOrShowARuntimeMessage()
    {
        int cases = Environment.GetEnvironmentVariable("ADVAUDIT_FUZZ_CASES") is string n ? int.Parse(n, CultureInfo.InvariantCulture) : ShortRunCases;
        int seed = Environment.GetEnvironmentVariable("ADVAUDIT_FUZZ_SEED") is string s ? int.Parse(s, CultureInfo.InvariantCulture) : DefaultSeed;
        string? save = Environment.GetEnvironmentVariable("ADVAUDIT_FUZZ_SAVE");
        var findings = new List<FuzzCase>();
        var sut = new ImageFuzzer(seed);

        sut.Run(cases, TimeBound, c =>
        {
            if (c.Verdict != FuzzVerdict.Fine)
            {
                findings.Add(c);
                if (save is not null)
                {
                    Directory.CreateDirectory(save);
                    File.WriteAllBytes(Path.Combine(save, $"{c.Verdict.ToString().ToLowerInvariant()}-{seed}-{c.Index}-{c.Seed}.bin"), c.Data);
                }
            }
        });

        Assert.True(findings.Count == 0, $"{findings.Count} of {cases} cases (seed {seed}):\n" + string.Join("\n", findings.Take(20).Select(f => $"#{f.Index} {f.Seed} / {f.Mutation}: {f.Verdict}: {f.Detail}")));
    }

    [Fact]
    public void Fuzzer_SameSeed_MakesTheSameFiles()
    {
        var first = new List<byte[]>();
        var second = new List<byte[]>();

        new ImageFuzzer(3).Run(20, TimeBound, c => first.Add(c.Data));
        new ImageFuzzer(3).Run(20, TimeBound, c => second.Add(c.Data));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Fuzzer_Seeds_AllDecode()
    {
        Assert.All(new ImageFuzzer(1).Seeds, s => Assert.Equal(FuzzVerdict.Fine, ImageFuzzer.Check(s.Data, TimeBound).Verdict));
    }

    public static TheoryData<string> RegressionFiles()
    {
        var files = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Imaging", "Fuzz", "FuzzRegressions"), "*.bin").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(file));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(RegressionFiles))]
    public void Decode_FuzzRegressionFile_IsRefusedInPlainWords(string file)
    {
        byte[] data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Imaging", "Fuzz", "FuzzRegressions", file));

        (FuzzVerdict verdict, string detail) = ImageFuzzer.Check(data, TimeBound);

        Assert.True(verdict == FuzzVerdict.Fine, $"{file}: {verdict}: {detail}");
    }
}
