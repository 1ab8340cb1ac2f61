namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// How one table's rows are changed on their way from production to staging. Secrets are filtered
/// in the COPY stream itself, so they never reach the staging server's disk.
/// </summary>
/// <param name="Table">Table name; a trailing '*' matches a prefix (scheduler_*).</param>
/// <param name="SkipRows">Copy no rows at all (the table stays, empty).</param>
/// <param name="Columns">Column → SQL expression evaluated on the source row ({event} = the synced event).</param>
public sealed record TableTransform(string Table, bool SkipRows = false, IReadOnlyDictionary<string, string>? Columns = null)
{
    public bool Matches(string table) =>
        Table.EndsWith('*') ? table.StartsWith(Table[..^1], StringComparison.Ordinal) : table == Table;
}

/// <summary>One sanitising rule, switchable by name (-SkipSanitize).</summary>
public sealed record SanitizeRule(string Name, string Description, IReadOnlyList<TableTransform> Transforms, bool MovesSequences = false);

/// <summary>
/// The default sanitising rules (design §4, Fedora's staging reset). Koji states used:
/// task FREE 0, OPEN 1, CLOSED 2, CANCELED 3, ASSIGNED 4; build BUILDING 0, CANCELED 4;
/// repo INIT 0, READY 1, EXPIRED 2, DELETED 3; standard_buildroot EXPIRED 3.
/// Rules naming a table or column the source lacks (another Koji version) simply do nothing there.
/// </summary>
public static class SanitizeRules
{
    private static IReadOnlyDictionary<string, string> Cols(params (string, string)[] pairs) =>
        pairs.ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    public static IReadOnlyList<SanitizeRule> All { get; } = new[]
    {
        new SanitizeRule("Sessions", "sessions: no rows copied (live session keys)",
            new[] { new TableTransform("sessions", SkipRows: true) }),
        new SanitizeRule("Passwords", "users.password copied as NULL",
            new[] { new TableTransform("users", Columns: Cols(("password", "NULL"))) }),
        new SanitizeRule("ReservationTokens", "build_reservations.token copied as NULL",
            new[] { new TableTransform("build_reservations", Columns: Cols(("token", "NULL"))) }),
        new SanitizeRule("Hosts", "current host_config rows disabled (enabled = false); host_channels emptied",
            new[]
            {
                new TableTransform("host_config", Columns: Cols(("enabled", "CASE WHEN active IS TRUE THEN false ELSE enabled END"))),
                new TableTransform("host_channels", SkipRows: true),
            }),
        new SanitizeRule("Tasks", "FREE, OPEN and ASSIGNED tasks become CANCELED",
            new[] { new TableTransform("task", Columns: Cols(("state", "CASE WHEN state IN (0, 1, 4) THEN 3 ELSE state END"))) }),
        new SanitizeRule("Builds", "BUILDING builds become CANCELED (with a completion time, as Koji's check requires)",
            new[]
            {
                new TableTransform("build", Columns: Cols(
                    ("state", "CASE WHEN state = 0 THEN 4 ELSE state END"),
                    ("completion_time", "CASE WHEN state = 0 THEN coalesce(completion_time, now()) ELSE completion_time END"))),
            }),
        new SanitizeRule("Repos", "INIT, READY and EXPIRED repos become DELETED (staging regenerates them)",
            new[] { new TableTransform("repo", Columns: Cols(("state", "CASE WHEN state IN (0, 1, 2) THEN 3 ELSE state END"))) }),
        new SanitizeRule("Buildroots", "open standard buildroots retired (state EXPIRED, retire_event = synced event)",
            new[]
            {
                new TableTransform("standard_buildroot", Columns: Cols(
                    ("state", "CASE WHEN retire_event IS NULL OR state IS DISTINCT FROM 3 THEN 3 ELSE state END"),
                    ("retire_event", "COALESCE(retire_event, {event})"))),
            }),
        new SanitizeRule("MessageQueue", "proton_queue: no rows copied (outgoing messages)",
            new[] { new TableTransform("proton_queue", SkipRows: true) }),
        new SanitizeRule("Scheduler", "scheduler_* tables: no rows copied",
            new[] { new TableTransform("scheduler_*", SkipRows: true) }),
        new SanitizeRule("RepoQueue", "repo_queue: no rows copied",
            new[] { new TableTransform("repo_queue", SkipRows: true) }),
        new SanitizeRule("Sequences", "task, repo, buildroot and image id sequences moved SequenceOffset above production",
            Array.Empty<TableTransform>(), MovesSequences: true),
    };

    public static IReadOnlyList<string> Names { get; } = All.Select(r => r.Name).ToArray();

    /// <summary>Sequences the Sequences rule moves: the ids staging creates that also name things on disk.</summary>
    public static IReadOnlyList<string> MovedSequences { get; } =
        new[] { "task_id_seq", "repo_id_seq", "buildroot_id_seq", "imageinfo_id_seq" };

    /// <summary>The rules that stay active after <paramref name="skip"/>; unknown names are an error.</summary>
    public static IReadOnlyList<SanitizeRule> Select(IEnumerable<string>? skip)
    {
        var skipped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in skip ?? Array.Empty<string>())
        {
            if (name == "*" || name.Equals("All", StringComparison.OrdinalIgnoreCase)) return Array.Empty<SanitizeRule>();
            if (!Names.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new Diagnostics.StagingException("SanitizeRuleUnknown", Diagnostics.StagingErrorCategory.InvalidArgument,
                    $"There is no sanitise rule '{name}'. Known rules: {string.Join(", ", Names)}.", name);
            skipped.Add(name);
        }
        return All.Where(r => !skipped.Contains(r.Name)).ToArray();
    }
}
