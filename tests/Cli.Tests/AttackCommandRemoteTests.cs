using AttackCli.Tests.TestSupport;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.Models.Remote;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>
/// <c>advaudit attack --model remote.json</c> against a real HTTP service (Kestrel on 127.0.0.1 serving the bundled
/// Fashion-MNIST model): the same results as the local file, the remote accounting in the reports, and a run stopped
/// by a permanent error that keeps what was finished.
/// </summary>
public sealed class AttackCommandRemoteTests : IAsyncLifetime, IDisposable
{
    private const string KeyVariable = "ADVAUDIT_CLI_TEST_API_KEY";
    private static readonly string Root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
    private readonly TempFolder _temp = new();
    private OnnxClassifier _model = null!;
    private ClassifierServer _server = null!;

    private static string LocalSpec => Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json");

    private static string[] Samples => [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(3)];

    public async Task InitializeAsync()
    {
        _model = new OnnxClassifier(ModelSpecLoader.Load(LocalSpec), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        _server = await ClassifierServer.StartAsync(_model);
        _server.Behavior.RequiredAuthorization = "Bearer cli-key";
        Environment.SetEnvironmentVariable(KeyVariable, "cli-key");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Attack_RemoteSpec_SameImagesAsLocalFileAndReportsRemoteQueries()
    {
        string spec = WriteSpec();
        string[] common = [.. Samples, "--eps", "0.1", "--max-queries", "200", "--seed", "3", "--provider", "cpu"];

        CliRun remote = await CliRun.InvokeAsync(["attack", .. common, "--model", spec, "--out", _temp.File("remote")]);
        CliRun local = await CliRun.InvokeAsync(["attack", .. common, "--model", LocalSpec, "--out", _temp.File("local")]);

        Assert.True(remote.ExitCode == 0, remote.AllText);
        Assert.Equal(0, local.ExitCode);
        Assert.Contains($"Remote model {_server.Url}:", remote.Errors, StringComparison.Ordinal);
        foreach (string name in Samples.Select(Path.GetFileNameWithoutExtension))
        {
            AttackReport report = Report("remote", name!);
            AttackReport twin = Report("local", name!);
            Assert.Equal(twin.Outcome.Queries, report.Outcome.Queries);
            Assert.Equal(twin.Outcome.Status, report.Outcome.Status);
            Assert.Equal(File.ReadAllBytes(Path.Combine(_temp.File("local"), name!, "clean.png")), File.ReadAllBytes(Path.Combine(_temp.File("remote"), name!, "clean.png")));
            if (twin.Outcome.Success)
            {
                Assert.Equal(File.ReadAllBytes(Path.Combine(_temp.File("local"), name!, "adversarial.png")), File.ReadAllBytes(Path.Combine(_temp.File("remote"), name!, "adversarial.png")));
            }

            Assert.Equal("remote", report.Model.Provider);
            Assert.Equal(_server.Url.ToString(), report.Model.Endpoint);
            RemoteQueryInfo counts = report.Remote!;
            Assert.Equal(3, counts.BatchImages);
            Assert.Equal(counts.Queries, counts.Requests + counts.CacheHits);
            Assert.Equal(_server.Requests, counts.Requests);
            Assert.Null(twin.Remote);
        }

        Assert.DoesNotContain("cli-key", File.ReadAllText(Path.Combine(_temp.File("remote"), Path.GetFileNameWithoutExtension(Samples[0]), "report.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_KeyRevokedMidRun_StopsNamingEndpointAndKeepsFinishedImages()
    {
        string spec = WriteSpec();
        string[] common = ["--eps", "0.1", "--max-queries", "60", "--batch", "1", "--provider", "cpu", "--model", spec];
        CliRun first = await CliRun.InvokeAsync(["attack", Samples[0], .. common, "--out", _temp.File("probe")]);
        Assert.Equal(0, first.ExitCode);
        _server.Behavior.UnauthorizedFrom = (2 * _server.Requests) + 1; // the second image's first request

        CliRun sut = await CliRun.InvokeAsync(["attack", .. Samples, .. common, "--out", _temp.File("out")]);

        Assert.Equal(1, sut.ExitCode);
        Assert.Contains($"Remote model {_server.Url} answered HTTP 401", sut.Errors, StringComparison.Ordinal);
        string[] names = [.. Samples.Select(s => Path.GetFileNameWithoutExtension(s)!)];
        Assert.True(File.Exists(Path.Combine(_temp.File("out"), names[0], "adversarial.png")), sut.AllText);
        Assert.Contains("RemoteModelFailed", File.ReadAllText(Path.Combine(_temp.File("out"), names[1], "error.json")), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_temp.File("out"), names[2])));
        Assert.Contains("not attacked: the run stopped", sut.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_LabelOnlyRemoteWithScoreAttack_RefusedAsUsage()
    {
        _server.Behavior.LabelOnly = true;
        string spec = WriteSpec(answers: "Label");

        CliRun sut = await CliRun.InvokeAsync(["attack", Samples[0], "--model", spec, "--attack", "square", "--out", _temp.File("out")]);

        Assert.Equal(2, sut.ExitCode);
        Assert.Contains("top-1 label only", sut.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_RemoteSpecAsTransferModel_RefusedAsUsage()
    {
        string spec = WriteSpec();

        CliRun sut = await CliRun.InvokeAsync(["attack", Samples[0], "--model", LocalSpec, "--transfer-model", spec, "--out", _temp.File("out")]);

        Assert.Equal(2, sut.ExitCode);
        Assert.Contains("describes a remote model; transfer targets are ONNX files", sut.Errors, StringComparison.Ordinal);
        Assert.Equal(0, _server.Requests);
    }

    private string WriteSpec(string answers = "Scores") => _temp.Write("remote.json", $$"""
        {
          "name": "fashion-remote",
          "inputSize": 28,
          "channels": 1,
          "channelOrder": "Gray",
          "scaling": "ZeroToOne",
          "numClasses": 10,
          "labelsPath": "{{Path.Combine(Root, "models", "fashion-mnist-cnn", "labels.txt").Replace("\\", "\\\\", StringComparison.Ordinal)}}",
          "remote": {
            "url": "{{_server.Url}}",
            "answers": "{{answers}}",
            "headers": { "Authorization": "Bearer ${{{KeyVariable}}}" },
            "maxConcurrency": 8
          }
        }
        """);

    private AttackReport Report(string run, string name) => SchemaCheck.Report(File.ReadAllText(Path.Combine(_temp.File(run), name, "report.json")));
}
