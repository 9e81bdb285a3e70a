using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.Playwright;

namespace AttackCli.Tests.Reports;

/// <summary>
/// report.html and summary.html of real runs (single attack, plan, targeted, label-only, not fooled) opened in headless
/// Chromium: every image loads, the charts are there with the right titles, hostile labels and file names are text,
/// nothing is logged as an error and nothing is requested from outside file://.
/// </summary>
public sealed class ReportPagesInBrowserTests(ReportPages pages) : IClassFixture<ReportPages>
{
    private const string HostileFolder = "<img src=x onerror=\"window.__pwned=2\">";
    private static readonly string[] PlanAttacks = ["square", "bandits-td"];

    [BrowserFact]
    public async Task ReportHtml_SingleAttack_ChartsConfidenceAndTheMarginLoss()
    {
        string run = await pages.RunAsync("single");
        Assert.False(File.Exists(Path.Combine(run, "summary.html")), "a run of one image writes no summary");

        AttackReport report = await CheckReportAsync(Path.Combine(run, HostileFolder), expectConfidence: true);

        Assert.Equal(LossInfo.Margin, report.Attack.Loss);
    }

    [BrowserFact]
    public async Task ReportHtml_Plan_ListsEveryAttempt()
    {
        string run = await pages.RunAsync("plan");
        foreach (string folder in new[] { HostileFolder, "0000-ankle-boot" })
        {
            await using OpenedPage page = await pages.OpenAsync(Path.Combine(run, folder, "report.html"));
            AttackReport report = SchemaCheck.Report(await File.ReadAllTextAsync(Path.Combine(run, folder, "report.json")));
            await AssertCleanAsync(page);
            Assert.Equal(report.Attempts.Count + 1, await page.Page.Locator("#attempts tr").CountAsync());
            // First success: bandits-td runs only where the 3-query square did not fool the model.
            Assert.Equal(PlanAttacks[..report.Attempts.Count], report.Attempts.Select(a => a.Attack.Name));
        }

        await CheckSummaryAsync(run);
    }

    [BrowserFact]
    public async Task ReportHtml_Targeted_ChartsTheTargetsCrossEntropy()
    {
        string run = await pages.RunAsync("targeted");

        AttackReport report = await CheckReportAsync(Path.Combine(run, HostileFolder), expectConfidence: true);

        Assert.True(report.Attack.Targeted);
        Assert.Equal(LossInfo.TargetCrossEntropy, report.Attack.Loss);
        await CheckSummaryAsync(run);
    }

    [BrowserFact]
    public async Task ReportHtml_LabelOnly_ChartsTheDistanceInsteadOfConfidences()
    {
        string run = await pages.RunAsync("label-only");

        AttackReport report = await CheckReportAsync(Path.Combine(run, HostileFolder), expectConfidence: false);

        Assert.Equal(LossInfo.Distance("l2"), report.Attack.Loss);
        await CheckSummaryAsync(run);
    }

    [BrowserFact]
    public async Task ReportHtml_NotFooled_SaysEpsStarDoesNotApply()
    {
        string run = await pages.RunAsync("not-fooled");
        string folder = Path.Combine(run, HostileFolder);

        AttackReport report = await CheckReportAsync(folder, expectConfidence: true);

        Assert.Equal(OutcomeStatus.NotFooled, report.Outcome.Status);
        await using OpenedPage page = await pages.OpenAsync(Path.Combine(folder, "report.html"));
        string text = await page.Page.InnerTextAsync("body");
        Assert.Contains("does not apply (not fooled)", text, StringComparison.Ordinal);
        Assert.Contains("0.00392 (1/255)", text, StringComparison.Ordinal);
        await CheckSummaryAsync(run);
    }

    /// <summary>Opens a report.html, checks what every page must pass and its charts, and returns its report.json, validated.</summary>
    private async Task<AttackReport> CheckReportAsync(string folder, bool expectConfidence)
    {
        AttackReport report = SchemaCheck.Report(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")));
        await using OpenedPage page = await pages.OpenAsync(Path.Combine(folder, "report.html"));
        await AssertCleanAsync(page);

        IPage p = page.Page;
        Assert.Equal(report.Images.Adversarial is null ? 1 : 3, await p.Locator("img").CountAsync());
        Assert.Equal(report.Attack.Loss.Label, await p.Locator("svg[data-chart=loss] .y-title").TextContentAsync());
        Assert.Equal("Queries", await p.Locator("svg[data-chart=loss] .x-title").TextContentAsync());
        Assert.True(await p.Locator("svg[data-chart=loss] polyline").CountAsync() == 1, "the loss chart draws one line");
        Assert.Equal(expectConfidence ? 1 : 0, await p.Locator("svg[data-chart=confidence]").CountAsync());
        if (expectConfidence)
        {
            Assert.Equal("Probability", await p.Locator("svg[data-chart=confidence] .y-title").TextContentAsync());
        }

        string text = await p.InnerTextAsync("body");
        Assert.Contains(ReportPages.HostileLabel, text, StringComparison.Ordinal);
        Assert.Contains(ReportPages.HostileFile, text, StringComparison.Ordinal);
        return report;
    }

    /// <summary>Opens a run's summary.html: its images link to reports that exist, the curve has its titles, and it passes what every page must.</summary>
    private async Task CheckSummaryAsync(string run)
    {
        AuditSummary summary = SchemaCheck.Summary(await File.ReadAllTextAsync(Path.Combine(run, "summary.json")));
        await using OpenedPage page = await pages.OpenAsync(Path.Combine(run, "summary.html"));
        await AssertCleanAsync(page);

        IPage p = page.Page;
        Assert.Equal(summary.Images.Count, await p.Locator("#images img.thumb").CountAsync());
        foreach (string href in await p.Locator("#images a").EvaluateAllAsync<string[]>("links => links.map(a => a.href)"))
        {
            Assert.True(File.Exists(new Uri(href).LocalPath), $"summary.html links {href}, which does not exist");
        }

        Assert.StartsWith("Robustness audit: ", await p.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains($"Audit {summary.AuditId} of ", await p.Locator("#subtitle").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("robust accuracy", await p.Locator("svg[data-chart=robust-accuracy] .y-title").TextContentAsync());
        Assert.StartsWith("eps (", await p.Locator("svg[data-chart=robust-accuracy] .x-title").TextContentAsync(), StringComparison.Ordinal);
        Assert.True(await p.Locator("svg[data-chart=robust-accuracy] .x-tick").CountAsync() >= 2, "the curve has eps ticks");
        string text = await p.InnerTextAsync("body");
        Assert.Contains(ReportPages.HostileLabel, text, StringComparison.Ordinal);
        Assert.Contains(ReportPages.HostileFile, text, StringComparison.Ordinal);
    }

    /// <summary>What every page must pass: images loaded, no script of ours or the data's ran, no errors, no requests off file://.</summary>
    private static async Task AssertCleanAsync(OpenedPage page)
    {
        IPage p = page.Page;
        string[] broken = await p.EvaluateAsync<string[]>("() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))");
        Assert.True(broken.Length == 0, "images that did not load: " + string.Join(", ", broken));
        Assert.True(await p.EvaluateAsync<bool>("() => window.__pwned === undefined"), "text from a label or file name ran as script");
        Assert.Equal(0, await p.Locator("script").CountAsync());
        Assert.True(page.Console.Count == 0, "console: " + string.Join("; ", page.Console));
        Assert.All(page.Requests, url => Assert.StartsWith("file://", url, StringComparison.Ordinal));
    }
}
