using System.Globalization;
using System.Text;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// The node_exporter textfile of a resync (Prometheus text exposition format 0.0.4): last exit code, last
/// duration, staging age and events behind prod. Written to a temporary file in the same directory and renamed
/// over the old one, so the collector never reads half a file.
/// </summary>
public static class ResyncMetrics
{
    public static string Format(string name, ResyncHistoryRecord last, ResyncHistoryRecord? lastSynced, DateTimeOffset now)
    {
        var label = $"{{name=\"{Escape(name)}\"}}";
        var sb = new StringBuilder();
        void Gauge(string metric, string help, double? value)
        {
            if (value is null) return;
            sb.Append("# HELP ").Append(metric).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(metric).Append(" gauge\n");
            sb.Append(metric).Append(label).Append(' ').Append(value.Value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        var synced = last.SyncedEventTime ?? lastSynced?.SyncedEventTime;
        Gauge("kojistaging_resync_last_exit_code", "Exit code of the last resync (0 ok, 1 a step failed, 2 locked, 3 invalid configuration).", last.ExitCode);
        Gauge("kojistaging_resync_last_duration_seconds", "Wall time of the last resync.", last.DurationSeconds);
        Gauge("kojistaging_resync_last_end_timestamp_seconds", "When the last resync ended (Unix time).", last.End.ToUnixTimeMilliseconds() / 1000.0);
        Gauge("kojistaging_staging_synced_event_timestamp_seconds", "Time of the prod event staging was last synced to (Unix time).", synced?.ToUnixTimeMilliseconds() / 1000.0);
        Gauge("kojistaging_staging_age_seconds", "Age of staging's data when the textfile was written: now minus the synced event's time.", synced is null ? null : Math.Round((now - synced.Value).TotalSeconds, 3));
        Gauge("kojistaging_staging_events_behind", "Prod events staging was behind at the last Status step.", last.EventsBehind ?? lastSynced?.EventsBehind);
        return sb.ToString();
    }

    public static void Write(string path, string content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Encoding.UTF8.GetBytes(content));
            fs.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(tmp, full, overwrite: true);
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
