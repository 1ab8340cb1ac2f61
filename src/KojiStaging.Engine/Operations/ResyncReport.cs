using System.Globalization;
using System.Net;
using System.Text;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// A one-page HTML report of a resync's history: drift (prod events staging is behind, staging's age) and refresh
/// duration over time, as inline SVG line charts (no script, no stylesheet or font from elsewhere: it opens from a
/// mail attachment or an air-gapped host), and the runs as a table. Every data point is a <c>circle.point</c>
/// carrying its series and value, so a browser test can count what was drawn.
/// </summary>
public static class ResyncReport
{
    private const int Width = 720, Height = 220, Left = 60, Right = 20, Top = 20, Bottom = 40;

    public sealed record Series(string Id, string Title, string Unit, IReadOnlyList<(DateTimeOffset At, double Value, bool Failed)> Points);

    public static IReadOnlyList<Series> SeriesOf(IReadOnlyList<ResyncHistoryRecord> runs) =>
    [
        new("duration", "Refresh duration", "minutes", runs.Select(r => (r.Start, Math.Round(r.DurationSeconds / 60, 2), r.ExitCode != 0)).ToList()),
        new("behind", "Drift: prod events staging is behind", "events", runs.Where(r => r.EventsBehind is not null).Select(r => (r.Start, (double)r.EventsBehind!.Value, r.ExitCode != 0)).ToList()),
        new("age", "Drift: age of staging's data at the end of the run", "days",
            runs.Where(r => r.SyncedEventTime is not null).Select(r => (r.Start, Math.Round((r.End - r.SyncedEventTime!.Value).TotalDays, 2), r.ExitCode != 0)).ToList()),
    ];

    public static string Render(IReadOnlyList<ResyncHistoryRecord> runs, string title, DateTimeOffset generated)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>")
         .Append("body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}")
         .Append("table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}")
         .Append(".failed{color:#b00}svg{background:#fafafa;border:1px solid #ddd}</style></head><body>\n")
         .Append("<h1>").Append(E(title)).Append("</h1>\n<p>").Append(runs.Count).Append(" runs");
        if (runs.Count > 0) h.Append(", ").Append(E(Stamp(runs[0].Start))).Append(" to ").Append(E(Stamp(runs[^1].Start)))
            .Append("; last run: ").Append(E(runs[^1].Status)).Append(" (exit code ").Append(runs[^1].ExitCode).Append(')');
        h.Append(". Generated ").Append(E(Stamp(generated))).Append(".</p>\n");
        foreach (var s in SeriesOf(runs)) Chart(h, s);
        h.Append("<h2>Runs</h2>\n<table><tr><th>Start</th><th>Status</th><th>Exit</th><th>Duration (min)</th><th>Synced event</th><th>Events behind</th><th>Checks failed/warned</th><th>Steps</th></tr>\n");
        foreach (var r in runs)
            h.Append("<tr").Append(r.ExitCode != 0 ? " class=\"failed\"" : "").Append("><td>").Append(E(Stamp(r.Start))).Append("</td><td>").Append(E(r.Status))
             .Append("</td><td>").Append(r.ExitCode).Append("</td><td>").Append(F(r.DurationSeconds / 60)).Append("</td><td>").Append(r.SyncedEvent)
             .Append("</td><td>").Append(r.EventsBehind).Append("</td><td>").Append(r.ChecksFailed).Append('/').Append(r.ChecksWarned).Append("</td><td>")
             .Append(E(string.Join(" ", r.Steps.Select(s => $"{s.Strategy}:{s.Status}")))).Append("</td></tr>\n");
        return h.Append("</table>\n</body></html>\n").ToString();
    }

    private static void Chart(StringBuilder h, Series s)
    {
        h.Append("<h2>").Append(E(s.Title)).Append(" (").Append(E(s.Unit)).Append(")</h2>\n");
        if (s.Points.Count == 0) { h.Append("<p class=\"empty\" data-series=\"").Append(s.Id).Append("\">No values recorded.</p>\n"); return; }
        var t0 = s.Points.Min(p => p.At.ToUnixTimeSeconds());
        var t1 = s.Points.Max(p => p.At.ToUnixTimeSeconds());
        var max = Math.Max(s.Points.Max(p => p.Value), 1e-9) * 1.1;
        double X(DateTimeOffset at) => t1 == t0 ? Left + (Width - Left - Right) / 2.0 : Left + (at.ToUnixTimeSeconds() - t0) * (Width - Left - Right) / (double)(t1 - t0);
        double Y(double v) => Height - Bottom - v * (Height - Top - Bottom) / max;
        h.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-series=\"").Append(s.Id).Append("\" width=\"").Append(Width).Append("\" height=\"").Append(Height)
         .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\" role=\"img\" aria-label=\"").Append(E(s.Title)).Append("\">\n");
        h.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Height - Bottom).Append("\" x2=\"").Append(Width - Right).Append("\" y2=\"").Append(Height - Bottom).Append("\" stroke=\"#888\"/>")
         .Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(Height - Bottom).Append("\" stroke=\"#888\"/>\n");
        foreach (var frac in new[] { 0.0, 0.5, 1.0 })
        {
            var v = max / 1.1 * frac;
            h.Append("<text x=\"").Append(Left - 6).Append("\" y=\"").Append(F(Y(v) + 4)).Append("\" font-size=\"11\" text-anchor=\"end\">").Append(F(v)).Append("</text>");
        }
        h.Append("<text x=\"").Append(Left).Append("\" y=\"").Append(Height - 12).Append("\" font-size=\"11\">").Append(E(Stamp(s.Points[0].At))).Append("</text>")
         .Append("<text x=\"").Append(Width - Right).Append("\" y=\"").Append(Height - 12).Append("\" font-size=\"11\" text-anchor=\"end\">").Append(E(Stamp(s.Points[^1].At))).Append("</text>\n");
        h.Append("<polyline fill=\"none\" stroke=\"#1f6fb2\" stroke-width=\"2\" points=\"")
         .Append(string.Join(' ', s.Points.Select(p => $"{F(X(p.At))},{F(Y(p.Value))}"))).Append("\"/>\n");
        foreach (var p in s.Points)
            h.Append("<circle class=\"point\" data-series=\"").Append(s.Id).Append("\" data-value=\"").Append(F(p.Value)).Append("\" cx=\"").Append(F(X(p.At))).Append("\" cy=\"").Append(F(Y(p.Value)))
             .Append("\" r=\"4\" fill=\"").Append(p.Failed ? "#b00" : "#1f6fb2").Append("\"><title>").Append(E($"{Stamp(p.At)}: {F(p.Value)} {s.Unit}{(p.Failed ? " (failed run)" : "")}")).Append("</title></circle>\n");
        h.Append("</svg>\n");
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string E(string s) => WebUtility.HtmlEncode(s);
}
