using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AttackCli.Tests.TestSupport;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AttackCli.Tests;

/// <summary>
/// <c>advaudit serve</c>: a local model served over HTTP in the shape the remote spec reaches, so that the README's
/// remote sample runs on one machine, with the answers of the local file.
/// </summary>
public sealed class ServeCommandTests : IDisposable
{
    private const string KeyVariable = "ADVAUDIT_SERVE_TEST_KEY";
    private static readonly string Root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
    private static readonly string LocalSpec = Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json");
    private readonly TempFolder _temp = new();
    private readonly HttpClient _http = new();
    private readonly OnnxClassifier _model = new(ModelSpecLoader.Load(LocalSpec), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });

    private static string[] Samples => [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        _model.Dispose();
        _http.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Predict_PngBody_AnswersTheLocalLogitsAndLabel()
    {
        using var sut = Start(key: null);
        using var cts = new CancellationTokenSource();
        Task serving = sut.RunAsync(cts.Token);
        byte[] png = File.ReadAllBytes(Samples[0]);

        using HttpResponseMessage response = await _http.PostAsync(sut.Url, Png(png));
        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        await cts.CancelAsync();
        await serving;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        float[] local = Local(png);
        Assert.Equal(local, answer.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        Assert.Equal(_model.Labels[LogitMath.ArgMax(local)], answer.RootElement.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Predict_JsonBatchAndOtherSize_AnswersInOrder_OtherSizePreprocessedLikeAnAttackInput()
    {
        using var sut = Start(key: null);
        using var cts = new CancellationTokenSource();
        Task serving = sut.RunAsync(cts.Token);
        byte[] first = File.ReadAllBytes(Samples[1]), second = File.ReadAllBytes(Samples[2]);
        byte[] large;
        using (Image<Rgb24> image = Image.Load<Rgb24>(second))
        {
            image.Mutate(x => x.Resize(56, 56));
            using var buffer = new MemoryStream();
            image.SaveAsPng(buffer);
            large = buffer.ToArray();
        }

        string body = JsonSerializer.Serialize(new { images = new[] { Convert.ToBase64String(first), Convert.ToBase64String(large) } });
        using HttpResponseMessage response = await _http.PostAsync(sut.Url, new StringContent(body, Encoding.UTF8, "application/json"));
        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        await cts.CancelAsync();
        await serving;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] results = [.. answer.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(2, results.Length);
        Assert.Equal(Local(first), results[0].GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        var prepared = AttackCore.Engine.PreparedImage.Load("large.png", large, _model.Spec);
        var logits = new float[10];
        _model.Predict(prepared.Clean, 1, logits);
        Assert.Equal(logits, results[1].GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [Fact]
    public async Task Predict_BadRequests_AnsweredWithStatusAndAMessageThatSaysWhatToDo()
    {
        using var sut = Start(key: "s3cret");
        using var cts = new CancellationTokenSource();
        Task serving = sut.RunAsync(cts.Token);
        byte[] png = File.ReadAllBytes(Samples[0]);

        (HttpStatusCode Status, string Body) noKey = await SendAsync(HttpMethod.Post, sut.Url, Png(png), key: null);
        (HttpStatusCode Status, string Body) wrongKey = await SendAsync(HttpMethod.Post, sut.Url, Png(png), key: "guess");
        (HttpStatusCode Status, string Body) notImage = await SendAsync(HttpMethod.Post, sut.Url, Png("not an image"u8.ToArray()), key: "s3cret");
        (HttpStatusCode Status, string Body) badJson = await SendAsync(HttpMethod.Post, sut.Url, new StringContent("{\"img\": 1}", Encoding.UTF8, "application/json"), key: "s3cret");
        (HttpStatusCode Status, string Body) get = await SendAsync(HttpMethod.Get, sut.Url, null, key: "s3cret");
        (HttpStatusCode Status, string Body) elsewhere = await SendAsync(HttpMethod.Post, new Uri(sut.Url, "/other"), Png(png), key: "s3cret");
        (HttpStatusCode Status, string Body) good = await SendAsync(HttpMethod.Post, sut.Url, Png(png), key: "s3cret");
        await cts.CancelAsync();
        await serving;

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.Status);
        Assert.Contains("Authorization: Bearer", noKey.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notImage.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.Status);
        Assert.Contains("\\u0022image\\u0022", badJson.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.Status);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.Status);
        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.Equal(7, sut.Requests);
    }

    [Fact]
    public async Task Attack_TheRemoteSampleSpecAgainstServe_SameQueriesAsTheLocalFile()
    {
        using var sut = Start(key: "sample-key");
        using var cts = new CancellationTokenSource();
        Task serving = sut.RunAsync(cts.Token);
        Environment.SetEnvironmentVariable(KeyVariable, "sample-key");
        string sample = File.ReadAllText(Path.Combine(Root, "samples", "remote", "fashion-mnist-remote.json"));
        string spec = Path.Combine(Root, "samples", "remote", $"serve-test-{Guid.NewGuid():N}.json");   // beside the sample: its labelsPath is relative
        File.WriteAllText(spec, sample.Replace("http://127.0.0.1:8080/predict", sut.Url.ToString(), StringComparison.Ordinal).Replace("${FASHION_API_KEY}", "${" + KeyVariable + "}", StringComparison.Ordinal));
        string[] common = [.. Samples.Take(3), "--eps", "0.1", "--max-queries", "200", "--seed", "1", "--provider", "cpu"];
        try
        {
            CliRun remote = await CliRun.InvokeAsync(["attack", .. common, "--model", spec, "--out", _temp.File("remote")]);
            CliRun local = await CliRun.InvokeAsync(["attack", .. common, "--model", LocalSpec, "--out", _temp.File("local")]);

            Assert.True(remote.ExitCode == 0, remote.AllText);
            Assert.Equal(0, local.ExitCode);
            foreach (string name in Samples.Take(3).Select(f => Path.GetFileNameWithoutExtension(f)!))
            {
                AttackReport report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(_temp.File("remote"), name, "report.json")));
                AttackReport twin = ReportJson.Deserialize(File.ReadAllText(Path.Combine(_temp.File("local"), name, "report.json")));
                Assert.Equal((twin.Outcome.Status, twin.Outcome.Queries), (report.Outcome.Status, report.Outcome.Queries));
                Assert.Equal(sut.Url.ToString(), report.Model.Endpoint);
            }

            Assert.True(sut.Requests > 3);
        }
        finally
        {
            File.Delete(spec);
            await cts.CancelAsync();
            await serving;
        }
    }

    [Fact]
    public async Task Serve_AsAProcess_AnswersThenStopsOnCtrlCWithExit130()
    {
        int port = FreePort();
        string cli = Path.Combine(AppContext.BaseDirectory, "advaudit.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { cli, "serve", "--model", LocalSpec, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--provider", "cpu" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        try
        {
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line = await process.StandardOutput.ReadLineAsync(ready.Token);
            Assert.StartsWith("Serving fashion-mnist", line, StringComparison.Ordinal);
            var url = new Uri($"http://127.0.0.1:{port}/predict");
            Assert.Contains(url.ToString(), line, StringComparison.Ordinal);

            using HttpResponseMessage response = await _http.PostAsync(url, Png(File.ReadAllBytes(Samples[0])));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            Assert.Equal(0, Kill(process.Id, 2));   // SIGINT, as Ctrl-C sends
            await process.WaitForExitAsync(ready.Token);
            Assert.Equal(130, process.ExitCode);   // the shell's convention for a run stopped by SIGINT
            Assert.Contains("Stopped after 1 requests.", await process.StandardOutput.ReadToEndAsync(ready.Token), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Serve_KeyVariableUnsetOrRemoteSpec_ExitsTwoSayingWhatToDo()
    {
        CliRun unset = await CliRun.InvokeAsync("serve", "--model", LocalSpec, "--key-env", "ADVAUDIT_SURELY_UNSET_VARIABLE");
        CliRun remote = await CliRun.InvokeAsync("serve", "--model", Path.Combine(Root, "samples", "remote", "fashion-mnist-remote.json"), "--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, unset.ExitCode);
        Assert.Contains("export ADVAUDIT_SURELY_UNSET_VARIABLE=", unset.Errors, StringComparison.Ordinal);
        Assert.Equal(2, remote.ExitCode);
        Assert.Contains("describes a remote model", remote.Errors, StringComparison.Ordinal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static ByteArrayContent Png(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    private ModelServer Start(string? key) => new(_model, _model.Spec, "127.0.0.1", FreePort(), key, labelOnly: false, TextWriter.Null);

    private float[] Local(byte[] png)
    {
        using Image<Rgb24> image = ImageDecoder.Decode(png);
        var pixels = new float[28 * 28];
        TensorImage.WriteChw(image, pixels);
        var logits = new float[10];
        _model.Predict(pixels, 1, logits);
        return logits;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, Uri url, HttpContent? content, string? key)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using HttpResponseMessage response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
