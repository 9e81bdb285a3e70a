using System.Diagnostics;
using System.Globalization;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Tests.Imaging;

namespace AttackBench;

/// <summary>
/// <c>bench hostile</c>: the cost of preparing hostile files (decompression bombs, extreme aspect ratios) for a model,
/// against a normal photo, each in its own child process so that its peak memory is its own.
/// </summary>
internal static class HostileBench
{
    private static readonly HashSet<string> Known = ["--photo", "--rounds", "--resize", "--crop", "--one"];

    public static int Run(string[] args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        int resize = a.Int("--resize", 342);
        int crop = a.Int("--crop", 299);
        int rounds = a.Int("--rounds", 3);
        if (a.Last("--one") is string one)
        {
            return MeasureOne(one, resize, crop, rounds, output);
        }

        string photo = a.Last("--photo") ?? Path.Combine(BenchEnvironment.DefaultImagesDir(), "grace_hopper.png");
        string folder = Directory.CreateTempSubdirectory("advaudit-hostile-").FullName;
        try
        {
            List<(string Name, string Path)> files = WriteInputs(folder, File.ReadAllBytes(photo));
            var md = new Markdown(output);
            md.Line(string.Create(CultureInfo.InvariantCulture, $"### Hostile inputs: PreparedImage.Load at resize {resize}, crop {crop} (Inception_V3's sizes), best of {rounds}, one child process per file ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)"));
            md.Line();
            md.Header("input", "file bytes", "outcome", "time ms", "peak RSS MiB", "time / photo", "peak / photo");
            (double Ms, double Mib, string Outcome) baseline = default;
            double worstTime = 0;
            double worstPeak = 0;
            foreach ((string name, string path) in files)
            {
                (double ms, double mib, string outcome) = RunChild(path, resize, crop, rounds);
                if (name == "normal photo")
                {
                    baseline = (ms, mib, outcome);
                }
                else
                {
                    worstTime = Math.Max(worstTime, ms / baseline.Ms);
                    worstPeak = Math.Max(worstPeak, mib / baseline.Mib);
                }

                md.Row(name, new FileInfo(path).Length.ToString("N0", Markdown.Inv), outcome, Markdown.F(ms, "0.0"), Markdown.F(mib, "0"), Markdown.F(ms / baseline.Ms, "0.00"), Markdown.F(mib / baseline.Mib, "0.00"));
            }

            md.Line();
            md.Line(string.Create(CultureInfo.InvariantCulture, $"Worst over the hostile set: {worstTime:0.00}x the photo's time, {worstPeak:0.00}x its peak memory (peak RSS includes the runtime's own, about the same in every child)."));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<(string Name, string Path)> WriteInputs(string folder, byte[] photo)
    {
        byte[] tiny = TestImages.RandomPng(8, 8, seed: 1);
        var inputs = new List<(string, byte[])>
        {
            ("normal photo", photo),
            ("zTXt inflating to 1 GiB", PngChunks.InsertAfterIhdr(tiny, PngChunks.Ztxt("Comment", PngChunks.ZlibOfZeros(1L << 30)))),
            ("compressed iTXt inflating to 200 MiB", PngChunks.InsertAfterIhdr(tiny, PngChunks.CompressedItxt("XML:com.adobe.xmp", PngChunks.ZlibOfZeros(200L << 20)))),
            ("40 zTXt chunks of 32 KiB, 1.25 GiB inflated", PngChunks.InsertAfterIhdr(tiny, Enumerable.Repeat(PngChunks.Ztxt("Comment", PngChunks.ZlibOfZeros(32L << 20)), 40).ToArray())),
            ("12000x1 strip", TestImages.RandomPng(12000, 1, seed: 2)),
            ("1x12000 strip", TestImages.RandomPng(1, 12000, seed: 3)),
            ("header claims 30000x30000", TestImages.WithIhdrSize(tiny, 30000, 30000)),
        };
        var files = new List<(string, string)>();
        for (int i = 0; i < inputs.Count; i++)
        {
            string path = Path.Combine(folder, $"{i}.png");
            File.WriteAllBytes(path, inputs[i].Item2);
            files.Add((inputs[i].Item1, path));
        }

        return files;
    }

    private static (double Ms, double Mib, string Outcome) RunChild(string path, int resize, int crop, int rounds)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HostileBench).Assembly.Location);
        }

        foreach (string arg in new[] { "hostile", "--one", path, "--resize", Str(resize), "--crop", Str(crop), "--rounds", Str(rounds) })
        {
            start.ArgumentList.Add(arg);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException("cannot start a child process");
        string[] fields = child.StandardOutput.ReadToEnd().Trim().Split('\t');
        child.WaitForExit();
        if (child.ExitCode != 0 || fields.Length != 3)
        {
            return (double.NaN, double.NaN, $"child failed (exit {child.ExitCode})");
        }

        return (double.Parse(fields[0], CultureInfo.InvariantCulture), double.Parse(fields[1], CultureInfo.InvariantCulture), fields[2]);
    }

    private static int MeasureOne(string path, int resize, int crop, int rounds, TextWriter output)
    {
        byte[] data = File.ReadAllBytes(path);
        double best = double.MaxValue;
        string outcome = "accepted";
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                PreparedImage.Load(path, data, CropRecipe.ShortSide(resize, crop));
            }
            catch (InvalidImageException e)
            {
                outcome = "rejected: " + e.Reason;
            }

            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{best:0.###}\t{PeakRssMib():0.#}\t{outcome}"));
        return 0;
    }

    // VmHWM: the most resident memory this process ever had, managed and unmanaged (ImageSharp pools natively).
    private static double PeakRssMib()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
