using System.Buffers.Binary;
using System.Text.Json;
using AttackCli.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>Bad inputs are rejected one by one, with a reason in error.json, while the good inputs of the same run succeed.</summary>
public class AttackCommandInputTests
{
    [SharedPhotosFact]
    public async Task Attack_BadInputsBesideGoodOnes_RejectsEachWithErrorJsonAndExitsOne()
    {
        using var temp = new TempFolder();
        string input = temp.File("in");
        Directory.CreateDirectory(input);
        byte[] photo = File.ReadAllBytes(SharedAssets.Photo("grace_hopper.png"));
        File.Copy(SharedAssets.Photo("grace_hopper.png"), Path.Combine(input, "good.png"));
        File.WriteAllBytes(Path.Combine(input, "zero.png"), []);
        File.WriteAllBytes(Path.Combine(input, "truncated.png"), photo[..400]);
        File.WriteAllText(Path.Combine(input, "text.jpg"), "this is a text file, not a JPEG\n");
        File.WriteAllBytes(Path.Combine(input, "huge.png"), WithClaimedSize(photo, 30_000, 30_000));
        File.WriteAllBytes(Path.Combine(input, "big.png"), RandomBytes(2 * 1024 * 1024));
        File.CreateSymbolicLink(Path.Combine(input, "dangling.png"), Path.Combine(input, "no-such-target.png"));

        CliRun run = await CliRun.InvokeAsync(["attack", input, .. SharedAssets.ModelArgs, "--max-image-mb", "1", "--max-queries", "300", "--out", temp.File("out")]);

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}\n{run.AllText}");
        Assert.True(File.Exists(temp.File("out/good/adversarial.png")), run.AllText);
        Assert.True(File.Exists(temp.File("out/good/report.json")));
        AssertRejected(temp, run, "zero", "Empty", "0 bytes");
        AssertRejected(temp, run, "truncated", "Corrupt", "truncated");
        AssertRejected(temp, run, "text", "UnknownFormat", "not a recognised image format");
        AssertRejected(temp, run, "huge", "TooManyPixels", "30000x30000");
        AssertRejected(temp, run, "big", "TooLarge", "--max-image-mb");
        AssertRejected(temp, run, "dangling", null, "cannot read");
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"took {run.Elapsed}");
    }

    [SharedPhotosFact]
    public async Task Attack_MissingPathBesideGoodPhoto_ReportsNotFoundAndExitsOne()
    {
        using var temp = new TempFolder();
        string missing = temp.File("nowhere/missing.png");

        CliRun run = await CliRun.InvokeAsync(["attack", missing, SharedAssets.Photo("grace_hopper.png"), .. SharedAssets.ModelArgs, "--max-queries", "300", "--out", temp.File("out")]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not found", run.AllText, StringComparison.Ordinal);
        Assert.Contains(missing, run.AllText, StringComparison.Ordinal);
        Assert.True(File.Exists(temp.File("out/grace_hopper/report.json")));
    }

    [Fact]
    public async Task Attack_OnlyMissingPathWithDefaultModel_ExitsOneWithNotFoundWithoutFetchingTheModel()
    {
        using var temp = new TempFolder();
        string cache = temp.File("cache");
        Directory.CreateDirectory(cache);

        CliRun run = await CliRun.InvokeAsync("attack", temp.File("missing.png"), "--cache-dir", cache, "--out", temp.File("out"));

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}\n{run.AllText}");
        Assert.Contains("not found", run.Output, StringComparison.Ordinal);
        Assert.Contains("missing.png", run.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
    }

    private static void AssertRejected(TempFolder temp, CliRun run, string name, string? reason, string messagePart)
    {
        string errorJson = temp.File($"out/{name}/error.json");
        Assert.True(File.Exists(errorJson), $"{name}: no error.json\n{run.AllText}");
        Assert.False(File.Exists(temp.File($"out/{name}/report.json")));
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(errorJson));
        string message = document.RootElement.GetProperty("message").GetString()!;
        Assert.Contains(messagePart, message, StringComparison.OrdinalIgnoreCase);
        if (reason is not null)
        {
            Assert.Equal(reason, document.RootElement.GetProperty("reason").GetString());
        }

        Assert.Contains($"FAILED {name}.", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Rewrites a PNG's IHDR width and height (and its CRC) without touching the pixel data.</summary>
    private static byte[] WithClaimedSize(byte[] png, int width, int height)
    {
        byte[] patched = (byte[])png.Clone();
        Assert.Equal("IHDR"u8.ToArray(), patched[12..16]);
        BinaryPrimitives.WriteInt32BigEndian(patched.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(patched.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(patched.AsSpan(29), Crc32(patched.AsSpan(12, 17)));
        return patched;
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(1).NextBytes(bytes);
        return bytes;
    }
}
