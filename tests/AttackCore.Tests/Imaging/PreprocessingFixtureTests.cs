using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace AttackCore.Tests.Imaging;

/// <summary>
/// The tool's crops against each family's own code (fixtures from scripts/make_preprocessing_fixtures.py: torchvision on
/// Pillow for torchvision and timm, TF-slim's eval rule written out in numpy float32 since TensorFlow is not available).
/// </summary>
/// <remarks>
/// Tolerance, per 8-bit value: at most 1 level of 255 and a mean of at most 0.01 level. The Pillow families are
/// reproduced integer for integer, so they are expected to match exactly; TF-slim's output is float, stored and
/// produced rounded to 8 bits, so a value within float rounding of a half could land one level apart.
/// </remarks>
public sealed class PreprocessingFixtureTests(ITestOutputHelper output)
{
    private const int MaxLevels = 1;
    private const double MaxMeanLevels = 0.01;

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Imaging", "PreprocessingFixtures");

    private static readonly Lazy<IReadOnlyList<FixtureCase>> Cases = new(() =>
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return manifest.RootElement.GetProperty("cases").EnumerateArray().Select(FixtureCase.From).ToList();
    });

    public static TheoryData<string> SyntheticCases() => new(Cases.Value.Where(c => !c.Photo).Select(c => c.Name));

    public static TheoryData<string> PhotoCases() => new(Cases.Value.Where(c => c.Photo).Select(c => c.Name));

    [Fact]
    public void Manifest_EveryFamily_HasSyntheticAndPhotoCases()
    {
        foreach (string family in new[] { "torchvision", "timm", "tf-slim" })
        {
            Assert.Contains(Cases.Value, c => c.Family == family && !c.Photo);
            Assert.True(Cases.Value.Count(c => c.Family == family && c.Photo) >= 2, family);
        }
    }

    [Theory]
    [MemberData(nameof(SyntheticCases))]
    public void Preprocess_SyntheticSource_MatchesTheFamilyReference(string name)
    {
        FixtureCase fixture = Cases.Value.Single(c => c.Name == name);

        Compare(fixture, File.ReadAllBytes(Path.Combine(Folder, fixture.Source)));
    }

    [SharedPhotosTheory]
    [MemberData(nameof(PhotoCases))]
    public void Preprocess_SharedPhoto_MatchesTheFamilyReference(string name)
    {
        FixtureCase fixture = Cases.Value.Single(c => c.Name == name);
        byte[] data = File.ReadAllBytes(Path.Combine(SharedPhotosTheoryAttribute.Folder!, fixture.Source));
        Assert.True(
            string.Equals(fixture.SourceSha256, Convert.ToHexStringLower(SHA256.HashData(data)), StringComparison.Ordinal),
            $"{fixture.Source} is not the photo the fixture was made from; rerun scripts/make_preprocessing_fixtures.py");

        Compare(fixture, data);
    }

    private void Compare(FixtureCase fixture, byte[] source)
    {
        using Image<Rgb24> image = ImageDecoder.Decode(source, DecodeLimits.Default);
        using Image<Rgb24> expected = PngCodec.Decode(File.ReadAllBytes(Path.Combine(Folder, fixture.Expected)));

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, fixture.Recipe);

        Assert.Equal((fixture.Recipe.InputSize, fixture.Recipe.InputSize), (sut.Width, sut.Height));
        Rgb24[,] ours = TestImages.Pixels(sut);
        Rgb24[,] reference = TestImages.Pixels(expected);
        int worst = 0;
        long sum = 0;
        long count = 0;
        for (int y = 0; y < reference.GetLength(0); y++)
        {
            for (int x = 0; x < reference.GetLength(1); x++)
            {
                Rgb24 p = ours[fixture.Offset + (y * fixture.Stride), fixture.Offset + (x * fixture.Stride)];
                Rgb24 q = reference[y, x];
                foreach (int d in new[] { Math.Abs(p.R - q.R), Math.Abs(p.G - q.G), Math.Abs(p.B - q.B) })
                {
                    worst = Math.Max(worst, d);
                    sum += d;
                    count++;
                }
            }
        }

        double mean = (double)sum / count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{fixture.Name}: {count} values, max {worst}, mean {mean:0.0000}"));
        Assert.True(worst <= MaxLevels && mean <= MaxMeanLevels, string.Create(CultureInfo.InvariantCulture, $"{fixture.Name}: max {worst} (allowed {MaxLevels}), mean {mean:0.0000} (allowed {MaxMeanLevels})"));
    }

    private sealed record FixtureCase(string Name, string Family, string Source, bool Photo, string? SourceSha256, CropRecipe Recipe, string Expected, int Stride, int Offset)
    {
        public static FixtureCase From(JsonElement e)
        {
            int inputSize = e.GetProperty("inputSize").GetInt32();
            CropRecipe recipe = e.GetProperty("crop").GetString() == nameof(CropRule.CentralFraction)
                ? CropRecipe.Central(e.GetProperty("centralFraction").GetDouble(), inputSize)
                : CropRecipe.ShortSide(e.GetProperty("resizeTo").GetInt32(), inputSize, Enum.Parse<ResizeFilter>(e.GetProperty("interpolation").GetString()!));
            return new FixtureCase(
                e.GetProperty("name").GetString()!,
                e.GetProperty("family").GetString()!,
                e.GetProperty("source").GetString()!,
                e.GetProperty("photo").GetBoolean(),
                e.TryGetProperty("sourceSha256", out JsonElement sha) ? sha.GetString() : null,
                recipe,
                e.GetProperty("expected").GetString()!,
                e.GetProperty("stride").GetInt32(),
                e.TryGetProperty("offset", out JsonElement offset) ? offset.GetInt32() : 0);
        }
    }
}
