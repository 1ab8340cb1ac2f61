using System.Collections;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>One step of a resync: a strategy, the cmdlet it runs, its parameters and where its pipeline input comes from.</summary>
public sealed record ResyncStep(int Index, string Id, string Strategy, string Command, IReadOnlyDictionary<string, object?> Parameters, string Input)
{
    /// <summary>The step as a command line, secrets redacted: what -WhatIf prints and the log records.</summary>
    public string Describe()
    {
        var parts = Parameters.Select(p => p.Value switch
        {
            bool b => $"-{p.Key}:${b.ToString().ToLowerInvariant()}",
            null => $"-{p.Key} $null",
            _ => $"-{p.Key} {Format(p.Value)}",
        });
        var prefix = Input == "None" ? "" : $"<output of step {Input}> | ";
        // Each value was redacted as what it is (Format); a second pass over the whole line could run a value's mask into the next parameter.
        return prefix + string.Join(' ', new[] { Command }.Concat(parts));
    }

    private static string Format(object value) => value switch
    {
        // Each value is redacted as what it is (a connection string is parsed) before it is quoted for the command line.
        string s => $"'{SecretRedactor.RedactConnection(s).Replace("'", "''")}'",
        IDictionary d => "@{" + string.Join("; ", d.Keys.Cast<object>().Select(k => $"{k}={Format(d[k]!)}")) + "}",
        IEnumerable e => string.Join(",", e.Cast<object>().Select(Format)),
        _ => value.ToString() ?? "",
    };
}

/// <summary>Which health-check results fail a run: Fail results (the default), Warn and Fail, or none.</summary>
public enum ResyncFailOn { Fail, Warn, Never }

/// <summary>A whole refresh as described by one .psd1 data file.</summary>
public sealed record ResyncConfig(string Name, string SourcePath, string LockPath, string? LogPath, bool LogJournal, IReadOnlyList<ResyncStep> Steps)
{
    /// <summary>The lowest check status that fails the run (FailOn key).</summary>
    public ResyncFailOn FailOn { get; init; } = ResyncFailOn.Fail;

    /// <summary>The staging topdir (TopDir key): given to every step whose cmdlet has -TopDir and does not name one.</summary>
    public string? TopDir { get; init; }

    /// <summary>The JSON-lines file every run appends its record to (HistoryPath key, else <see cref="ResyncHistory.DefaultPath"/>).</summary>
    public string HistoryPath { get; init; } = "";

    /// <summary>True when the file names HistoryPath (else it is the default under the state directory).</summary>
    public bool HistoryPathConfigured { get; init; }

    /// <summary>node_exporter textfile written after each run (MetricsPath key); none when null.</summary>
    public string? MetricsPath { get; init; }

    /// <summary>Directories and files the run writes: what a hardened unit must leave writable.</summary>
    public IEnumerable<string> WrittenPaths()
    {
        foreach (var step in Steps)
            foreach (var key in WritingKeys.TryGetValue(step.Strategy, out var keys) ? keys : [])
                if (step.Parameters.TryGetValue(key, out var v) && v is string s && s.StartsWith('/')) yield return s;
        if (TopDir is not null && Steps.Any(s => WritingKeys.ContainsKey(s.Strategy) && !s.Parameters.ContainsKey("TopDir"))) yield return TopDir;
        yield return Path.GetDirectoryName(LockPath)!;
        if (LogPath is not null) yield return Path.GetDirectoryName(LogPath)!;
        if (HistoryPathConfigured) yield return Path.GetDirectoryName(HistoryPath)!;
        if (MetricsPath is not null) yield return Path.GetDirectoryName(MetricsPath)!;
    }

    /// <summary>The parameters through which a strategy writes files (its staging tree).</summary>
    private static readonly Dictionary<string, string[]> WritingKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SecondaryVolume"] = ["TopDir"],
        ["Subset"] = ["TopDir"],
        ["FullCopy"] = ["Destination"],
    };
}

/// <summary>
/// Validates the hashtable read from a resync configuration file (Import-PowerShellDataFile) and turns it
/// into a <see cref="ResyncConfig"/>. Checks here need no PowerShell: known top-level keys, a non-empty
/// Steps list, a known Strategy per step, a valid Input reference. The cmdlet layer then checks each
/// step's keys against its cmdlet's parameters.
/// </summary>
public static class ResyncConfigReader
{
    /// <summary>Strategy names a step may use and the cmdlet each runs.</summary>
    public static readonly IReadOnlyDictionary<string, string> Strategies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Sync"] = "Sync-KojiStagingDb",
        // Sync-KojiStagingDb -FromFollower: a refresh cloned from the follower (Enable-KojiStagingFollower)
        ["FollowerSync"] = "Sync-KojiStagingDb",
        ["SecondaryVolume"] = "Set-KojiSecondaryVolume",
        ["Snapshot"] = "New-NetAppSnapshot",
        ["Subset"] = "Copy-KojiSubset",
        ["FullCopy"] = "Copy-KojiVolume",
        ["Sql"] = "Invoke-KojiStagingSql",
        ["Test"] = "Test-KojiStaging",
        ["Status"] = "Get-KojiStagingStatus",
    };

    /// <summary>Strategies that start a pipeline (no input unless the step says otherwise).</summary>
    private static readonly HashSet<string> Sources = new(StringComparer.OrdinalIgnoreCase) { "Sync", "FollowerSync", "Subset", "FullCopy" };

    private static readonly HashSet<string> TopKeys = new(StringComparer.OrdinalIgnoreCase) { "Name", "Description", "LockPath", "LogPath", "LogJournal", "Steps", "FailOn", "TopDir", "HistoryPath", "MetricsPath" };
    private static readonly HashSet<string> StepKeys = new(StringComparer.OrdinalIgnoreCase) { "Strategy", "Id", "Input" };

    public static ResyncConfig Parse(IDictionary data, string sourcePath, string? lockDirectory = null)
    {
        foreach (var key in data.Keys.Cast<object>().Select(k => k.ToString()!))
            if (!TopKeys.Contains(key))
                throw Invalid("ResyncConfigUnknownKey", $"Unknown key '{key}' in {sourcePath}.{NearestNames.DidYouMean(key, TopKeys)} Allowed: {string.Join(", ", TopKeys)}.", sourcePath);
        var name = Get(data, "Name") as string ?? Path.GetFileNameWithoutExtension(sourcePath);
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9][A-Za-z0-9_.-]*$"))
            throw Invalid("ResyncConfigInvalidName", $"Name '{name}' in {sourcePath} may contain letters, digits, '.', '_' and '-' only (it names the lock, the log and the systemd unit).", sourcePath);
        if (Get(data, "Steps") is not IEnumerable rawSteps || Get(data, "Steps") is string)
            throw Invalid("ResyncConfigMissingSteps", $"{sourcePath} has no Steps: give Steps = @( @{{ Strategy = 'Sync'; Source = '…'; Destination = '…' }}, … ).", sourcePath);

        var steps = new List<ResyncStep>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string? lastSync = null;
        foreach (var raw in rawSteps)
        {
            var index = steps.Count + 1;
            if (raw is not IDictionary step)
                throw Invalid("ResyncConfigInvalidStep", $"Step {index} in {sourcePath} is not a hashtable (@{{ Strategy = …; … }}).", sourcePath);
            if (Get(step, "Strategy") is not string strategy || strategy.Length == 0)
                throw Invalid("ResyncConfigMissingStrategy", $"Step {index} in {sourcePath} has no Strategy. Known strategies: {string.Join(", ", Strategies.Keys)}.", sourcePath);
            if (!Strategies.TryGetValue(strategy, out var command))
                throw Invalid("ResyncUnknownStrategy", $"Step {index} in {sourcePath}: unknown strategy '{strategy}'.{NearestNames.DidYouMean(strategy, Strategies.Keys)} Known strategies: {string.Join(", ", Strategies.Keys)}.", sourcePath);
            strategy = Strategies.Keys.First(k => k.Equals(strategy, StringComparison.OrdinalIgnoreCase));
            var id = Get(step, "Id") as string ?? index.ToString();
            if (!ids.Add(id)) throw Invalid("ResyncConfigDuplicateId", $"Step {index} in {sourcePath}: Id '{id}' is used twice.", sourcePath);

            var input = Get(step, "Input") as string;
            if (input is null) input = Sources.Contains(strategy) || lastSync is null ? "None" : lastSync;
            else if (input.Equals("Previous", StringComparison.OrdinalIgnoreCase)) input = steps.Count > 0 ? steps[^1].Id : throw Invalid("ResyncConfigInvalidInput", $"Step {index} in {sourcePath}: Input = 'Previous' but it is the first step.", sourcePath);
            else if (input.Equals("None", StringComparison.OrdinalIgnoreCase)) input = "None";
            else if (!steps.Any(s => s.Id.Equals(input, StringComparison.OrdinalIgnoreCase)))
                throw Invalid("ResyncConfigInvalidInput", $"Step {index} in {sourcePath}: Input '{input}' names no earlier step (use 'None', 'Previous' or an earlier step's Id).", sourcePath);

            var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry e in step)
                if (!StepKeys.Contains(e.Key.ToString()!)) parameters[e.Key.ToString()!] = e.Value;
            if (strategy == "FollowerSync") parameters.TryAdd("FromFollower", true);
            steps.Add(new ResyncStep(index, id, strategy, command, parameters, input));
            if (strategy is "Sync" or "FollowerSync") lastSync = id;
        }
        if (steps.Count == 0)
            throw Invalid("ResyncConfigMissingSteps", $"{sourcePath} has an empty Steps list.", sourcePath);

        var lockPath = Get(data, "LockPath") as string ?? Path.Combine(lockDirectory ?? DefaultLockDirectory(), $"kojistaging-{name}.lock");
        var logPath = Get(data, "LogPath") as string;
        var journal = Get(data, "LogJournal") is bool j && j;
        var failOnText = Get(data, "FailOn") as string ?? "Fail";
        if (!Enum.TryParse<ResyncFailOn>(failOnText, ignoreCase: true, out var failOn) || int.TryParse(failOnText, out _))
            throw Invalid("ResyncConfigInvalidFailOn", $"FailOn = '{failOnText}' in {sourcePath}: use 'Fail' (a failed check fails the run, the default), 'Warn' (a warning does too) or 'Never'.", sourcePath);
        return new ResyncConfig(name, sourcePath, lockPath, logPath, journal, steps)
        {
            FailOn = failOn,
            TopDir = Get(data, "TopDir") as string,
            HistoryPath = Get(data, "HistoryPath") as string ?? ResyncHistory.DefaultPath(name),
            HistoryPathConfigured = Get(data, "HistoryPath") is string,
            MetricsPath = Get(data, "MetricsPath") as string,
        };
    }

    /// <summary>/run/lock when it is writable (root, systemd), else the temp directory.</summary>
    public static string DefaultLockDirectory()
    {
        const string runLock = "/run/lock";
        try
        {
            if (Directory.Exists(runLock))
            {
                var probe = Path.Combine(runLock, $".kojistaging-probe-{Environment.ProcessId}");
                File.WriteAllText(probe, "");
                File.Delete(probe);
                return runLock;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return Path.GetTempPath();
    }

    private static object? Get(IDictionary d, string key)
    {
        foreach (DictionaryEntry e in d) if (string.Equals(e.Key.ToString(), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
        return null;
    }

    public static StagingException Invalid(string id, string message, string target) =>
        new(id, StagingErrorCategory.InvalidArgument, message, target);
}
