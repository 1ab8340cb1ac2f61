using KojiStaging.Engine.Operations;
using Xunit;

namespace KojiStaging.Tests.Operations;

public sealed class ResyncReportTests
{
    [Fact]
    public void The_report_draws_one_point_per_value_escapes_text_and_loads_nothing()
    {
        var t = DateTimeOffset.Parse("2026-11-01T03:00:00Z");
        var runs = Enumerable.Range(0, 4).Select(i => new ResyncHistoryRecord
        {
            Name = "<w&>", Start = t.AddDays(7 * i), End = t.AddDays(7 * i).AddMinutes(20), Status = i == 2 ? "Failed" : "Succeeded", ExitCode = i == 2 ? 1 : 0,
            DurationSeconds = 1200 + i, EventsBehind = i == 2 ? null : 10 * i, SyncedEventTime = i == 2 ? null : t.AddDays(7 * i - 1),
        }).ToList();
        var html = ResyncReport.Render(runs, "Report <w&>", t);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(html, "<circle class=\"point\" data-series=\"duration\"").Count);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(html, "<circle class=\"point\" data-series=\"behind\"").Count);
        Assert.Contains("data-series=\"age\" data-value=\"1.01\"", html);
        Assert.Contains("Report &lt;w&amp;&gt;", html);
        Assert.DoesNotContain("<w&>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", html);
    }
}
