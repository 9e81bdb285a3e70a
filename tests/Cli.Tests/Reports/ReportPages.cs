using AttackCli.Tests.TestSupport;
using AttackCore.Tests.TestSupport;
using Microsoft.Playwright;

namespace AttackCli.Tests.Reports;

/// <summary>
/// The report kinds the browser tests open, made once per test class by real runs of the CLI on the bundled
/// Fashion-MNIST model (few queries), and one headless Chromium to open them in. The model's copy has a label with a
/// script in it, and one input's file name is an HTML tag, so every page shows hostile text.
/// </summary>
public sealed class ReportPages : IAsyncLifetime, IDisposable
{
    /// <summary>The label the copied model gives class 1 (Trouser).</summary>
    public const string HostileLabel = "<script>window.__pwned = 1</script>Trouser";

    /// <summary>The file name of the trouser sample in the runs' input folder.</summary>
    public const string HostileFile = "<img src=x onerror=\"window.__pwned=2\">.png";

    private readonly TempFolder _temp = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, string> _runs = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Gets the output folder of a run: <c>single</c>, <c>plan</c>, <c>targeted</c>, <c>label-only</c> or <c>not-fooled</c>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The folder, after the runs are made.</returns>
    public async Task<string> RunAsync(string kind)
    {
        await EnsureAsync();
        return _runs[kind];
    }

    /// <summary>Opens a page in a fresh context and records what a reader's browser would complain about.</summary>
    /// <param name="file">The HTML file.</param>
    /// <returns>The open page and its records.</returns>
    public async Task<OpenedPage> OpenAsync(string file)
    {
        await EnsureAsync();
        Assert.True(_browser is not null, HeadlessChromium.Missing);
        IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = true });
        IPage page = await context.NewPageAsync();
        var opened = new OpenedPage(context, page);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                opened.Console.Add($"{message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => opened.Console.Add("page error: " + error);
        page.Request += (_, request) => opened.Requests.Add(request.Url);
        page.RequestFailed += (_, request) => opened.Console.Add($"request failed: {request.Url} ({request.Failure})");
        await page.GotoAsync(new Uri(file).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return opened;
    }

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _playwright = null;
        _browser = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Dispose();
        _temp.Dispose();
    }

    private async Task EnsureAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_runs.Count > 0)
            {
                return;
            }

            string root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("The tests run outside a checkout of the repository.");
            string model = HostileModel(Path.Combine(root, "models", "fashion-mnist-cnn"));
            string inputs = Directory.CreateDirectory(_temp.File("inputs")).FullName;
            File.Copy(Path.Combine(root, "samples", "fashion-mnist", "0002-trouser.png"), Path.Combine(inputs, HostileFile));
            File.Copy(Path.Combine(root, "samples", "fashion-mnist", "0000-ankle-boot.png"), Path.Combine(inputs, "0000-ankle-boot.png"));
            string[] common = ["--model", model, "--seed", "1"];
            await Run("single", [Path.Combine(inputs, HostileFile), .. common, "--eps", "0.1", "--max-queries", "300"]);
            await Run("plan", [inputs, .. common, "--attack", "square:maxQueries=3", "--attack", "bandits-td", "--eps", "0.1", "--max-queries", "300"]);
            await Run("targeted", [inputs, .. common, "--targeted", "Bag", "--eps", "0.3", "--max-queries", "400"]);
            await Run("label-only", [inputs, .. common, "--attack", "hopskipjump", "--norm", "l2", "--eps", "4", "--max-queries", "300"]);
            await Run("not-fooled", [inputs, .. common, "--eps", "1/255", "--max-queries", "10"]);

            if (HeadlessChromium.Executable is string chromium)
            {
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = chromium,
                    Headless = true,
                    // Root in CI containers has no user namespaces for the sandbox; the pages are our own files.
                    Args = ["--no-sandbox"],
                });
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task Run(string kind, string[] args)
    {
        string outDir = _temp.File(kind);
        CliRun run = await CliRun.InvokeAsync(["attack", .. args, "--out", outDir]);
        Assert.True(run.ExitCode == 0, $"{kind}: {run.AllText}");
        _runs[kind] = outDir;
    }

    /// <summary>A copy of the bundled model whose class 1 label carries a script.</summary>
    private string HostileModel(string bundled)
    {
        string folder = Directory.CreateDirectory(_temp.File("model")).FullName;
        foreach (string file in new[] { "model.json", "model.onnx" })
        {
            File.Copy(Path.Combine(bundled, file), Path.Combine(folder, file));
        }

        string[] labels = File.ReadAllLines(Path.Combine(bundled, "labels.txt"));
        labels[1] = HostileLabel;
        File.WriteAllLines(Path.Combine(folder, "labels.txt"), labels);
        return Path.Combine(folder, "model.json");
    }
}

/// <summary>A page open in the browser, with the console errors and requests seen while it loaded.</summary>
/// <param name="Context">The page's browser context (closed on dispose).</param>
/// <param name="Page">The page.</param>
public sealed record OpenedPage(IBrowserContext Context, IPage Page) : IAsyncDisposable
{
    /// <summary>Gets the console errors and warnings, page errors and failed requests.</summary>
    public List<string> Console { get; } = [];

    /// <summary>Gets every URL the page requested.</summary>
    public List<string> Requests { get; } = [];

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
