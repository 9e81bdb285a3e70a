using System.Diagnostics;
using AttackCore.Engine;
using AttackCore.Models;
using static AttackBench.Markdown;

namespace AttackBench;

/// <summary>
/// <c>bench startup</c>: the fixed cost of one <c>advaudit attack</c> run above what any run must do (load the ONNX
/// model and classify one image), measured as whole processes: the raw load (<c>bench load-model</c>, this program),
/// then each tool's one-image, one-query attack and its <c>--help</c>, in turn, several rounds.
/// </summary>
internal static class StartupBench
{
    private static readonly HashSet<string> Known = ["--tool", "--model", "--preset", "--image", "--rounds"];

    public static int Run(string[] args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        string root = BenchEnvironment.RepoRoot();
        string model = a.Last("--model") ?? Path.Combine(root, "models", "fashion-mnist-cnn", "model.json");
        string image = a.Last("--image") ?? Path.Combine(root, "samples", "fashion-mnist", "0000-ankle-boot.png");
        int rounds = a.Int("--rounds", 7);
        List<string> tools = [.. a.Pairs.Where(p => p.Name == "--tool").Select(p => p.Value)];
        if (tools.Count == 0)
        {
            throw new ArgumentException("name the tool to time with --tool (for example --tool advaudit for the installed tool, and --tool 'dotnet src/Cli/bin/Release/net10.0/advaudit.dll' for a build)");
        }

        string preset = a.Last("--preset") is string p ? $" --preset {p}" : string.Empty;
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's path");
        string selfCommand = Path.GetFileNameWithoutExtension(self) == "dotnet" ? $"{self} {typeof(StartupBench).Assembly.Location}" : self;
        string outDir = Path.Combine(Path.GetTempPath(), $"advaudit-startup-{Environment.ProcessId}");
        var commands = new List<(string Label, string Command)> { ("raw model load + 1 classification (bench load-model)", $"{selfCommand} load-model --model {model}{preset} --image {image}") };
        foreach (string tool in tools)
        {
            commands.Add(($"`{tool} attack` (1 image, 1 query)", $"{tool} attack {image} --model {model}{preset} --max-queries 1 --no-minimize --provider cpu --out {outDir}"));
            commands.Add(($"`{tool} --help`", $"{tool} --help"));
        }

        var seconds = commands.Select(_ => new List<double>()).ToList();
        for (int round = 0; round <= rounds; round++)
        {
            for (int c = 0; c < commands.Count; c++)
            {
                double s = Time(commands[c].Command);
                if (round > 0)
                {
                    seconds[c].Add(s);   // round 0 warms the disk cache
                }
            }
        }

        Directory.Delete(outDir, recursive: true);
        output.WriteLine($"Model {Path.GetFileName(Path.GetDirectoryName(model))}/{Path.GetFileName(model)}, image {Path.GetFileName(image)}, {rounds} rounds after one warm-up, commands in turn; wall seconds per process.");
        output.WriteLine();
        output.WriteLine("| command | median s | min s | max s | above the raw load (median of round-wise differences) |");
        output.WriteLine("|---|---|---|---|---|");
        for (int c = 0; c < commands.Count; c++)
        {
            string above = c == 0 ? "-" : F(Stats.Median(seconds[c].Zip(seconds[0], (x, raw) => x - raw)), "0.00") + " s";
            output.WriteLine($"| {commands[c].Label} | {F(Stats.Median(seconds[c]), "0.00")} | {F(seconds[c].Min(), "0.00")} | {F(seconds[c].Max(), "0.00")} | {above} |");
        }

        return 0;
    }

    /// <summary><c>bench load-model</c>: what any run must do, and nothing else: load the model, classify one image.</summary>
    public static int LoadModel(string[] args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, new HashSet<string>(["--model", "--preset", "--image"]));
        ModelSpec spec = BenchEnvironment.ResolveSpec(a.Last("--model") ?? throw new ArgumentException("--model is required"), a.Last("--preset"));
        string image = a.Last("--image") ?? throw new ArgumentException("--image is required");
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var prepared = PreparedImage.Load(Path.GetFileName(image), File.ReadAllBytes(image), spec);
        var logits = new float[classifier.NumClasses];
        classifier.Predict(prepared.Clean, 1, logits);
        output.WriteLine(classifier.Labels[LogitMath.ArgMax(logits)]);
        return 0;
    }

    private static double Time(string command)
    {
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(words[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string word in words[1..])
        {
            start.ArgumentList.Add(word);
        }

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {words[0]}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        double elapsed = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` exited {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }

        return elapsed;
    }
}
