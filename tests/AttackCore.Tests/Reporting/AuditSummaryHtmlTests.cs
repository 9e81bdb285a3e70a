using System.Text.RegularExpressions;
using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public sealed class AuditSummaryHtmlTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AuditSummary Summary(string auditId = "3f2c", string plan = "bandits-td;square") => AuditSummaryBuilder.Build(
        auditId,
        "uploads/batch1/",
        new AuditAttack { Attacks = plan, Norm = "linf", Eps = 0.01, MaxQueries = 300, Seed = 0, Target = "none", Minimize = true },
        [
            new AuditImageInput("batch1/a b.png", "audits/3f2c/images/batch1/a b", null, SampleReports.Fooled() with { Outcome = SampleReports.Fooled().Outcome with { EpsStar = 1 / 255.0 } }),
            new AuditImageInput("batch1/c.png", "audits/3f2c/images/batch1/c", null, SampleReports.Fooled() with { Outcome = new AttackOutcome { Status = OutcomeStatus.NotFooled, Success = false, Queries = 300 } }),
            new AuditImageInput("batch1/d.png", "audits/3f2c/images/batch1/d", null, null, "Corrupt", "cut short"),
        ],
        Start,
        Start.AddSeconds(5));

    [Fact]
    public void Render_Title_ComesFromTheAuditIdAndThePlan()
    {
        string html = AuditSummaryHtml.Render(Summary("7a1b", "fgsm;pgd"));

        Assert.Contains("<title>Audit 7a1b: fgsm then pgd (L-inf eps 2/255, asked 0.01) on inception-v3-timm</title>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Robustness audit: fgsm then pgd (L-inf eps 2/255, asked 0.01) on inception-v3-timm</h1>", html, StringComparison.Ordinal);
        Assert.Contains(">Audit 7a1b of uploads/batch1/, 3 inputs", html, StringComparison.Ordinal);
        Assert.Contains("plan fgsm;pgd (first-success)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Images_LinkEachReportWithAThumbnailThroughTheResultsRoot()
    {
        string html = AuditSummaryHtml.Render(Summary(), "../../");

        Assert.Contains("<a href=\"../../audits/3f2c/images/batch1/a%20b/report.html\"><img class=\"thumb\" src=\"../../audits/3f2c/images/batch1/a%20b/adversarial.png\" alt=\"batch1/a b.png\"></a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"../../audits/3f2c/images/batch1/c/report.html\">batch1/c.png</a>", html, StringComparison.Ordinal);
        // A failed input has no report to link.
        Assert.DoesNotContain("batch1/d/report.html", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NotFooledImage_SaysEpsStarDoesNotApply()
    {
        string html = AuditSummaryHtml.Render(Summary());

        Assert.Contains(">does not apply (not fooled)<", html, StringComparison.Ordinal);
        Assert.Contains(">0.00392 (1/255)<", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Curve_IsSteppedToTheBudgetUsedWithAxisTitlesAndGridTicks()
    {
        string html = AuditSummaryHtml.Render(Summary());

        string svg = Regex.Match(html, "<svg class=\"curve\".*?</svg>", RegexOptions.Singleline).Value;
        Assert.Contains("class=\"x-title\"", svg, StringComparison.Ordinal);
        Assert.Contains(">eps (L-inf, budget used 2/255, asked 0.01)</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">robust accuracy</text>", svg, StringComparison.Ordinal);
        Assert.Equal(["0", "1/255", "2/255"], Regex.Matches(svg, "class=\"x-tick\"[^>]*>([^<]*)<").Select(m => m.Groups[1].Value));
        Assert.Equal(["0%", "25%", "50%", "75%", "100%"], Regex.Matches(svg, "class=\"y-tick\"[^>]*>([^<]*)<").Select(m => m.Groups[1].Value));
        string path = Regex.Match(svg, "class=\"step\" d=\"([^\"]*)\"").Groups[1].Value;
        Assert.Matches("^M[0-9.]+,[0-9.]+( H[0-9.]+ V[0-9.]+)+$", path);
    }

    [Fact]
    public void Render_HostileNames_AreEscaped()
    {
        AuditSummary summary = Summary();
        AuditSummary sut = summary with { AuditId = "<script>alert(1)</script>", Images = [summary.Images[0] with { Input = "<img src=x onerror=alert(1)>.png" }] };

        string html = AuditSummaryHtml.Render(sut);

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }
}
