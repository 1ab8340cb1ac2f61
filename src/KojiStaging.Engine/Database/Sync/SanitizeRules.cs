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

/// <summary>
/// One way of carrying out a rule on the schema generations that have what it needs: <paramref name="Requires"/>
/// names tables ("sessions", "scheduler_*") and columns ("host.enabled") the discovered catalog must hold.
/// </summary>
public sealed record SanitizeForm(string Label, IReadOnlyList<string> Requires, IReadOnlyList<TableTransform> Transforms);

/// <summary>
/// One sanitising rule, switchable by name (-SkipSanitize), with a form per schema generation that has the thing it
/// protects (the first form whose requirements the source meets is used). <paramref name="Guards"/> names what it
/// protects when that is a secret or production's builders: a source where no form fits is then warned about.
/// </summary>
public sealed record SanitizeRule(string Name, string Description, IReadOnlyList<SanitizeForm> Forms, bool MovesSequences = false, string? Guards = null)
{
    /// <summary>The form this source's catalog fits, or null with the reason ("no table build_reservations").</summary>
    public (SanitizeForm? Form, string? NotApplicable) ResolveFor(KojiCatalog catalog)
    {
        if (MovesSequences || Forms.Count == 0) return (null, null);
        foreach (var f in Forms)
            if (f.Requires.All(catalog.Has)) return (f, null);
        return (null, string.Join(" and ", Forms.Select(f => catalog.DescribeMissing(f.Requires.First(r => !catalog.Has(r)))).Distinct()));
    }
}

/// <summary>What the sanitise rules do to one source: the form each active rule took, and the rules with nothing to act on.</summary>
public sealed record SanitizeOutcome(IReadOnlyList<string> Applied, IReadOnlyDictionary<string, string> Forms, IReadOnlyList<RuleNotApplicable> NotApplicable)
{
    /// <summary>"ReservationTokens: not applicable (no table build_reservations)", as the result, the plan and the marker say it.</summary>
    public IReadOnlyList<string> NotApplicableText => NotApplicable.Select(n => n.ToString()).ToArray();

    public static SanitizeOutcome Resolve(IReadOnlyList<SanitizeRule> rules, KojiCatalog catalog)
    {
        var applied = new List<string>();
        var forms = new Dictionary<string, string>(StringComparer.Ordinal);
        var none = new List<RuleNotApplicable>();
        foreach (var r in rules)
        {
            var (form, reason) = r.ResolveFor(catalog);
            if (reason is not null) { none.Add(new RuleNotApplicable(r.Name, reason, r.Guards)); continue; }
            applied.Add(r.Name);
            if (form is not null) forms[r.Name] = form.Label;
        }
        return new SanitizeOutcome(applied, forms, none);
    }
}

/// <summary>A rule the source gives nothing to act on, and why.</summary>
public sealed record RuleNotApplicable(string Rule, string Reason, string? Guards)
{
    public override string ToString() => $"{Rule}: not applicable ({Reason})";
}

/// <summary>
/// The default sanitising rules (design §4, Fedora's staging reset). Koji states used:
/// task FREE 0, OPEN 1, CLOSED 2, CANCELED 3, ASSIGNED 4; build BUILDING 0, CANCELED 4;
/// repo INIT 0, READY 1, EXPIRED 2, DELETED 3; buildroot EXPIRED 3.
/// Forms follow Koji's schema history (docs/koji-versions.md): host_config replaced host.enabled in 1.16,
/// standard_buildroot took state/retire_event from buildroot in 1.11.
/// </summary>
public static class SanitizeRules
{
    private static IReadOnlyDictionary<string, string> Cols(params (string, string)[] pairs) =>
        pairs.ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    private static SanitizeForm Form(string label, string[] requires, params TableTransform[] transforms) => new(label, requires, transforms);

    private static SanitizeForm[] One(string requires, TableTransform transform) => new[] { Form(requires, new[] { requires }, transform) };

    private const string RetireState = "CASE WHEN retire_event IS NULL OR state IS DISTINCT FROM 3 THEN 3 ELSE state END";

    public static IReadOnlyList<SanitizeRule> All { get; } = new[]
    {
        new SanitizeRule("Sessions", "sessions: no rows copied (live session keys)",
            One("sessions", new TableTransform("sessions", SkipRows: true)), Guards: "live session keys"),
        new SanitizeRule("Passwords", "users.password copied as NULL",
            One("users.password", new TableTransform("users", Columns: Cols(("password", "NULL")))), Guards: "stored passwords"),
        new SanitizeRule("ReservationTokens", "build_reservations.token copied as NULL",
            One("build_reservations.token", new TableTransform("build_reservations", Columns: Cols(("token", "NULL")))), Guards: "content-generator reservation tokens"),
        new SanitizeRule("Hosts", "production's builders disabled (current host_config rows, or host.enabled before Koji 1.16) and not ready; host_channels emptied",
            new[]
            {
                Form("host_config", new[] { "host_config.enabled", "host_config.active", "host.ready", "host_channels" },
                    new TableTransform("host_config", Columns: Cols(("enabled", "CASE WHEN active IS TRUE THEN false ELSE enabled END"))),
                    new TableTransform("host", Columns: Cols(("ready", "false"))),
                    new TableTransform("host_channels", SkipRows: true)),
                Form("host.enabled", new[] { "host.enabled", "host.ready", "host_channels" },
                    new TableTransform("host", Columns: Cols(("enabled", "false"), ("ready", "false"))),
                    new TableTransform("host_channels", SkipRows: true)),
            }, Guards: "production's builders"),
        new SanitizeRule("Tasks", "FREE, OPEN and ASSIGNED tasks become CANCELED",
            One("task.state", new TableTransform("task", Columns: Cols(("state", "CASE WHEN state IN (0, 1, 4) THEN 3 ELSE state END"))))),
        new SanitizeRule("Builds", "BUILDING builds become CANCELED (with a completion time, as Koji's check requires)",
            new[]
            {
                Form("build", new[] { "build.state", "build.completion_time" },
                    new TableTransform("build", Columns: Cols(
                        ("state", "CASE WHEN state = 0 THEN 4 ELSE state END"),
                        ("completion_time", "CASE WHEN state = 0 THEN coalesce(completion_time, now()) ELSE completion_time END")))),
            }),
        new SanitizeRule("Repos", "INIT, READY and EXPIRED repos become DELETED (staging regenerates them)",
            One("repo.state", new TableTransform("repo", Columns: Cols(("state", "CASE WHEN state IN (0, 1, 2) THEN 3 ELSE state END"))))),
        new SanitizeRule("Buildroots", "open buildroots retired (state EXPIRED, retire_event = synced event) in standard_buildroot, or buildroot before Koji 1.11",
            new[]
            {
                Form("standard_buildroot", new[] { "standard_buildroot.state", "standard_buildroot.retire_event" },
                    new TableTransform("standard_buildroot", Columns: Cols(("state", RetireState), ("retire_event", "COALESCE(retire_event, {event})")))),
                Form("buildroot", new[] { "buildroot.state", "buildroot.retire_event" },
                    new TableTransform("buildroot", Columns: Cols(("state", RetireState), ("retire_event", "COALESCE(retire_event, {event})")))),
            }),
        new SanitizeRule("MessageQueue", "proton_queue: no rows copied (outgoing messages)",
            One("proton_queue", new TableTransform("proton_queue", SkipRows: true))),
        new SanitizeRule("Scheduler", "scheduler_* tables: no rows copied",
            One("scheduler_*", new TableTransform("scheduler_*", SkipRows: true))),
        new SanitizeRule("RepoQueue", "repo_queue: no rows copied",
            One("repo_queue", new TableTransform("repo_queue", SkipRows: true))),
        new SanitizeRule("Sequences", "task, repo, buildroot and image id sequences moved SequenceOffset above production",
            Array.Empty<SanitizeForm>(), MovesSequences: true),
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
                    $"There is no sanitise rule '{name}'.{Diagnostics.NearestNames.DidYouMean(name, Names)} Known rules: {string.Join(", ", Names)}.", name);
            skipped.Add(name);
        }
        return All.Where(r => !skipped.Contains(r.Name)).ToArray();
    }
}
