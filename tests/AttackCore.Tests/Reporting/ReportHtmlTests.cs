using System.Globalization;
using System.Text.RegularExpressions;
using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public class ReportHtmlTests
{
    [Fact]
    public void Render_FullReport_ReferencesTheThreeImagesByRelativeName()
    {
        var html = ReportHtml.Render(SampleReports.Fooled());

        Assert.Contains("<img src=\"clean.png\"", html, StringComparison.Ordinal);
        Assert.Contains("<img src=\"adversarial.png\"", html, StringComparison.Ordinal);
        Assert.Contains("<img src=\"perturbation.png\"", html, StringComparison.Ordinal);
        Assert.Contains("image-rendering:pixelated", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FullReport_ShowsTop5LabelsBeforeAndAfter()
    {
        var report = SampleReports.Fooled();

        var html = ReportHtml.Render(report);

        foreach (var score in report.Clean.Top5.Concat(report.Adversarial!.Top5))
        {
            Assert.Contains(score.Label, html, StringComparison.Ordinal);
        }

        Assert.Contains("87.65%", html, StringComparison.Ordinal);
        Assert.Contains("width:87.65%", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FullReport_HeaderShowsVerdictAndKeyFacts()
    {
        var html = ReportHtml.Render(SampleReports.Fooled());

        Assert.Contains("zoo/panda.jpg", html, StringComparison.Ordinal);
        Assert.Contains("class=\"badge fooled\">Fooled<", html, StringComparison.Ordinal);
        Assert.Contains("inception-v3-timm", html, StringComparison.Ordinal);
        Assert.Contains("square linf", html, StringComparison.Ordinal);
        Assert.Contains("0.05 asked, 0.04706 (12/255) used (the 8-bit grid)", html, StringComparison.Ordinal);
        Assert.Contains("137 of 10,000", html, StringComparison.Ordinal);
        Assert.Contains("0.03137 (8/255)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NotFooled_ShowsNotFooledBadge()
    {
        var report = SampleReports.Fooled();
        var sut = report with { Outcome = report.Outcome with { Status = OutcomeStatus.NotFooled, Success = false, EpsStar = null } };

        var html = ReportHtml.Render(sut);

        Assert.Contains(">Not fooled<", html, StringComparison.Ordinal);
        Assert.Contains("does not apply (not fooled)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not searched", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Trace_DrawsSvgChartsWithAxesAndOneLinePerSeries()
    {
        var html = ReportHtml.Render(SampleReports.Fooled());

        Assert.Equal(2, Regex.Count(html, "<svg "));
        Assert.Equal(3, Regex.Count(html, "<polyline "));
        Assert.Contains(">Queries</text>", html, StringComparison.Ordinal);
        Assert.Contains(">Probability</text>", html, StringComparison.Ordinal);
        Assert.Contains("class=\"y-title\" x=\"14\"", html, StringComparison.Ordinal);
        Assert.Contains(">Margin loss</text>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">Loss</text>", html, StringComparison.Ordinal);
        Assert.Contains("class=\"zero\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("stroke=\"var(", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EmptyTrace_SaysSoWithoutChart()
    {
        var html = ReportHtml.Render(SampleReports.Fooled() with { Trace = [] });

        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
        Assert.Contains("No trace was recorded.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SinglePointTrace_MarksThePoint()
    {
        var report = SampleReports.Fooled();
        var html = ReportHtml.Render(report with { Trace = [report.Trace[0]] });

        Assert.Contains("<circle ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostileText_IsHtmlEncoded()
    {
        const string hostile = "<script>alert('x')</script> & \"quoted\"";
        var report = SampleReports.Fooled(hostile);
        var sut = report with
        {
            Input = report.Input with { Name = "<img src=x onerror=alert(1)>.png" },
            Attack = report.Attack with { Options = new Dictionary<string, string> { ["<b>key</b>"] = "</td><script>" } },
            Outcome = report.Outcome with { Message = "<iframe>" },
        };

        var html = ReportHtml.Render(sut);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>key", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IsSelfContained_NoScriptsOrExternalResources()
    {
        var html = ReportHtml.Render(SampleReports.Fooled());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("src=\"(clean|adversarial|perturbation)\\.png\"", html);
        Assert.Equal(3, Regex.Count(html, "src=\""));
    }

    [Fact]
    public void Render_CommaDecimalCulture_WritesInvariantNumbers()
    {
        // The build runs with InvariantGlobalization, where de-DE cannot be created; a clone of the
        // invariant culture with German separators breaks culture-sensitive formatting the same way.
        var german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        german.NumberFormat.NumberDecimalSeparator = ",";
        german.NumberFormat.NumberGroupSeparator = ".";
        german.NumberFormat.PercentDecimalSeparator = ",";
        var previous = CultureInfo.CurrentCulture;
        var report = SampleReports.Fooled();
        string html;
        string invariantHtml = ReportHtml.Render(report);
        try
        {
            CultureInfo.CurrentCulture = german;
            Assert.Equal("0,5", 0.5.ToString(CultureInfo.CurrentCulture));
            html = ReportHtml.Render(report);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.Equal(invariantHtml, html);
        Assert.Contains("87.65%", html, StringComparison.Ordinal);
        Assert.Contains("0.05 asked, 0.04706 (12/255) used", html, StringComparison.Ordinal);
        Assert.Contains("31.25 dB", html, StringComparison.Ordinal);
        Assert.DoesNotContain("87,65", html, StringComparison.Ordinal);
        Assert.DoesNotContain("12,75", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("points=\"[^\"]*\\d,\\d+,\\d", html);
    }

    [Fact]
    public void Render_NoAdversarialImage_OmitsItsImagesAndAfterBars()
    {
        var report = SampleReports.Fooled();
        var sut = report with
        {
            Adversarial = null,
            Perturbation = null,
            Images = new ImageFiles { Adversarial = null, Perturbation = null },
            Outcome = report.Outcome with { Status = OutcomeStatus.AlreadyMisclassified, Success = false },
        };

        var html = ReportHtml.Render(sut);

        Assert.Contains("src=\"clean.png\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("adversarial.png", html, StringComparison.Ordinal);
        Assert.DoesNotContain("perturbation.png", html, StringComparison.Ordinal);
        Assert.Contains(">Already misclassified<", html, StringComparison.Ordinal);
        Assert.Contains("No adversarial image was written.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IdenticalImages_ShowsInfinitePsnr()
    {
        var report = SampleReports.Fooled();
        var html = ReportHtml.Render(report with { Perturbation = report.Perturbation! with { Psnr = null } });

        Assert.Contains("∞ (identical)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Options_ListsEveryOption()
    {
        var html = ReportHtml.Render(SampleReports.Fooled());

        Assert.Contains("<th scope=\"row\">pInit</th>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">batch</th>", html, StringComparison.Ordinal);
        Assert.Contains("<code>margin</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_DecisionBasedAttack_ChartsDistanceAgainstEpsInsteadOfConfidences()
    {
        AttackReport report = SampleReports.Fooled();
        AttackReport sut = report with
        {
            Attack = report.Attack with { Name = "hopskipjump", Norm = "l2", Eps = 2, EpsUsed = 2, Loss = LossInfo.Distance("l2") },
            Trace = [.. report.Trace.Select((p, i) => p with { Loss = 5 - i, TrueConfidence = 0, WinningConfidence = 1 })],
        };

        var html = ReportHtml.Render(sut);

        Assert.Equal(1, Regex.Count(html, "<svg "));
        Assert.Contains("data-chart=\"loss\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-chart=\"confidence\"", html, StringComparison.Ordinal);
        Assert.Contains(">L2 distance to the clean image</text>", html, StringComparison.Ordinal);
        Assert.Contains("class=\"zero reference\"", html, StringComparison.Ordinal);
        Assert.Contains("no confidences to show", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_L2Budget_ShowsNoEightBitUnits()
    {
        AttackReport report = SampleReports.Fooled();
        AttackReport sut = report with { Attack = report.Attack with { Norm = "l2", Eps = 1.5, EpsUsed = 1.5 }, Outcome = report.Outcome with { EpsStar = 1.25 } };

        var html = ReportHtml.Render(sut);

        Assert.Contains("<dt>Eps</dt><dd>1.5</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Eps*</dt><dd>1.25</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("382.5/255", html, StringComparison.Ordinal);
        Assert.DoesNotContain("318.75/255", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Plan_ListsEveryAttemptWithItsOwnTime()
    {
        AttackReport report = SampleReports.Fooled();
        AttemptSummary Attempt(string name, bool success, double ms) => new()
        {
            Attack = report.Attack with { Name = name },
            Status = success ? OutcomeStatus.Fooled : OutcomeStatus.NotFooled,
            Success = success,
            Queries = 10,
            EpsStar = success ? 0.02 : null,
            LInf = 0.02,
            L2 = 0.5,
            Written = success,
            AttackMs = ms,
        };
        AttackReport sut = report with { Attempts = [Attempt("bandits-td", false, 12.5), Attempt("square", true, 40)] };

        var html = ReportHtml.Render(sut);

        Assert.Contains("<h2>Attacks of the plan (2)</h2>", html, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(Regex.Match(html, "<table id=\"attempts\">.*?</table>", RegexOptions.Singleline).Value, "<tr>"));
        Assert.Contains(">bandits-td linf<", html, StringComparison.Ordinal);
        Assert.Contains(">12.5 ms<", html, StringComparison.Ordinal);
        Assert.Contains(">does not apply (not fooled)<", html, StringComparison.Ordinal);
    }
}
