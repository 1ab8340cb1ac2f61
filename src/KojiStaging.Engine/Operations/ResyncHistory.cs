using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>One step of a recorded run: what it was, how it ended, how long it took.</summary>
public sealed class ResyncHistoryStep
{
    public int Index { get; init; }
    public string Id { get; init; } = "";
    public string Strategy { get; init; } = "";
    public string Status { get; init; } = "";
    public double DurationSeconds { get; init; }
    [JsonIgnore] public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);
}

/// <summary>One line of a resync's history file: a whole run, as Get-KojiStagingHistory returns it.</summary>
public sealed class ResyncHistoryRecord
{
    public string Name { get; init; } = "";
    public string ConfigPath { get; init; } = "";
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
    public string Status { get; init; } = "";
    public int ExitCode { get; init; }
    public double DurationSeconds { get; init; }
    /// <summary>The prod event staging was synced to by this run (or found at, by a Status step).</summary>
    public int? SyncedEvent { get; init; }
    public DateTimeOffset? SyncedEventTime { get; init; }
    /// <summary>Prod events staging is behind, as a Status step with -Source measured it.</summary>
    public int? EventsBehind { get; init; }
    public int ChecksFailed { get; init; }
    public int ChecksWarned { get; init; }
    public ResyncHistoryStep[] Steps { get; init; } = [];
    [JsonIgnore] public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);
    /// <summary>The history file the record was read from.</summary>
    [JsonIgnore] public string? HistoryPath { get; set; }
}

/// <summary>
/// The append-only history of a resync configuration: one JSON object per line (JSON Lines), appended under the
/// run's lock with one write, so a reader never sees half a record from a finished run.
/// </summary>
public static class ResyncHistory
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Where a configuration's history lives when its HistoryPath is not given: systemd's StateDirectory
    /// ($STATE_DIRECTORY), else /var/lib/kojistaging when this user may write there, else $XDG_STATE_HOME/kojistaging.
    /// </summary>
    public static string DefaultPath(string name) => Path.Combine(StateDirectory(), $"{name}.history.jsonl");

    public static string StateDirectory()
    {
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } sd) return sd.Split(':')[0];
        const string system = "/var/lib/kojistaging";
        if (Directory.Exists(system) && Writable(system)) return system;
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(xdg, "kojistaging");
    }

    public static ResyncHistoryRecord ToRecord(ResyncResult result, DateTimeOffset end)
    {
        var outputs = result.Steps.SelectMany(s => s.Output).Where(o => o is not null).ToArray();
        var checks = outputs.OfType<Health.StagingCheckResult>().ToArray();
        return new ResyncHistoryRecord
        {
            Name = result.Name, ConfigPath = result.ConfigPath, Start = result.StartTime, End = end,
            Status = result.Status.ToString(), ExitCode = result.ExitCode, DurationSeconds = Math.Round(result.Duration.TotalSeconds, 3),
            SyncedEvent = Last<int>(outputs, "SyncedEvent"), SyncedEventTime = Last<DateTimeOffset>(outputs, "SyncedEventTime"),
            EventsBehind = Last<int>(outputs, "EventsBehind"),
            ChecksFailed = checks.Count(c => c.Status == Health.StagingCheckStatus.Fail),
            ChecksWarned = checks.Count(c => c.Status == Health.StagingCheckStatus.Warn),
            Steps = result.Steps.Select(s => new ResyncHistoryStep
            {
                Index = s.Index, Id = s.Id, Strategy = s.Strategy, Status = s.Status, DurationSeconds = Math.Round(s.Duration.TotalSeconds, 3),
            }).ToArray(),
        };
    }

    /// <summary>Appends the run's record to the configuration's history and rewrites its node_exporter textfile, if it has one.</summary>
    public static ResyncHistoryRecord Save(ResyncConfig config, ResyncResult result)
    {
        var record = ToRecord(result, DateTimeOffset.UtcNow);
        Append(config.HistoryPath, record);
        if (config.MetricsPath is not null)
        {
            var lastSynced = Read(config.HistoryPath).LastOrDefault(r => r.SyncedEventTime is not null);
            ResyncMetrics.Write(config.MetricsPath, ResyncMetrics.Format(config.Name, record, lastSynced, DateTimeOffset.UtcNow));
        }
        return record;
    }

    public static void Append(string path, ResyncHistoryRecord record)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Json) + "\n");
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(line);
    }

    /// <summary>Every record in the file, oldest first; a line that is not a record (a torn write after a crash) is reported, not fatal.</summary>
    public static IEnumerable<ResyncHistoryRecord> Read(string path, Action<int, string>? badLine = null)
    {
        if (!File.Exists(path))
            throw new StagingException("ResyncHistoryNotFound", StagingErrorCategory.ObjectNotFound,
                $"No resync history at {path}: it is written by Invoke-KojiStagingResync after its first run.", path);
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0) continue;
            ResyncHistoryRecord? record = null;
            try { record = JsonSerializer.Deserialize<ResyncHistoryRecord>(line, Json); }
            catch (JsonException ex) { badLine?.Invoke(n, ex.Message); }
            if (record is null) continue;
            record.HistoryPath = path;
            yield return record;
        }
    }

    /// <summary>The latest value of a property among the step outputs (reflection: outputs are whatever the step cmdlets wrote).</summary>
    private static T? Last<T>(IEnumerable<object> outputs, string property) where T : struct
    {
        T? found = null;
        foreach (var o in outputs)
            if (o.GetType().GetProperty(property)?.GetValue(o) is T v) found = v;
        return found;
    }

    private static bool Writable(string dir)
    {
        try
        {
            var probe = Path.Combine(dir, $".probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }
}
