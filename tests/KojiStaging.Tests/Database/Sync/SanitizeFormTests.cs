using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;

namespace KojiStaging.Tests.Database.Sync;

/// <summary>Which form each sanitise rule takes on the tables of a Koji 1.10 and a 1.35 database, and the SQL that follows.</summary>
public class SanitizeFormTests
{
    private static SourceTable T(string name, params string[] cols) => new("public", name, cols, 10, 8192, null, null, null);

    private static readonly SourceTable[] Koji110 =
    {
        T("host", "id", "user_id", "name", "arches", "task_load", "capacity", "description", "comment", "ready", "enabled"),
        T("host_channels", "host_id", "channel_id"),
        T("buildroot", "id", "host_id", "repo_id", "arch", "task_id", "create_event", "retire_event", "state", "dirtyness"),
        T("sessions", "id", "key"), T("users", "id", "name", "password"), T("task", "id", "state"),
        T("build", "id", "state", "completion_time"), T("repo", "id", "state"),
    };

    private static string SourceSql(IReadOnlyList<TablePlan> plans, string table) => plans.Single(p => p.Table.Name == table).Jobs.Single().SourceSql;

    [Fact]
    public void On_Koji_1_10_hosts_are_disabled_in_host_and_buildroots_retired_in_buildroot()
    {
        var plans = CopyPlanner.Plan(Koji110, SanitizeRules.All, Array.Empty<string>(), 1, 166);
        Assert.Contains("false AS \"enabled\"", SourceSql(plans, "host"));
        Assert.Contains("false AS \"ready\"", SourceSql(plans, "host"));
        Assert.True(plans.Single(p => p.Table.Name == "host_channels").RowsSkipped);
        Assert.Contains("COALESCE(retire_event, 166) AS \"retire_event\"", SourceSql(plans, "buildroot"));
        Assert.Contains("THEN 3 ELSE state END AS \"state\"", SourceSql(plans, "buildroot"));

        var outcome = SanitizeOutcome.Resolve(SanitizeRules.All, KojiCatalog.From(Koji110.Select(t => (t.Name, (IEnumerable<string>)t.Columns))));
        Assert.Equal("host.enabled", outcome.Forms["Hosts"]);
        Assert.Equal("buildroot", outcome.Forms["Buildroots"]);
        Assert.Equal(new[]
        {
            "ReservationTokens: not applicable (no table build_reservations)", "MessageQueue: not applicable (no table proton_queue)",
            "Scheduler: not applicable (no table scheduler_*)", "RepoQueue: not applicable (no table repo_queue)",
        }, outcome.NotApplicableText);
        Assert.Equal("content-generator reservation tokens", outcome.NotApplicable[0].Guards);
        Assert.Null(outcome.NotApplicable[1].Guards);
        Assert.DoesNotContain("ReservationTokens", outcome.Applied);
        Assert.Contains("Sequences", outcome.Applied);
    }

    [Fact]
    public void Where_host_config_exists_only_its_current_rows_are_disabled_and_host_keeps_its_columns()
    {
        var tables = new[]
        {
            T("host", "id", "name", "ready"), T("host_channels", "host_id", "channel_id", "active"),
            T("host_config", "host_id", "enabled", "active", "create_event"),
        };
        var plans = CopyPlanner.Plan(tables, SanitizeRules.All, Array.Empty<string>(), 1, 166);
        Assert.Contains("CASE WHEN active IS TRUE THEN false ELSE enabled END AS \"enabled\"", SourceSql(plans, "host_config"));
        Assert.Equal("COPY (SELECT \"id\", \"name\", false AS \"ready\" FROM ONLY \"public\".\"host\") TO STDOUT (FORMAT binary)", SourceSql(plans, "host"));
    }

    [Fact]
    public void A_rule_whose_table_has_lost_a_column_names_the_column()
    {
        var catalog = KojiCatalog.From(new[] { ("users", (IEnumerable<string>)new[] { "id", "name" }) });
        var (form, reason) = SanitizeRules.All.Single(r => r.Name == "Passwords").ResolveFor(catalog);
        Assert.Null(form);
        Assert.Equal("no column users.password", reason);
        Assert.Equal("no table host_config and no column host.enabled",
            SanitizeRules.All.Single(r => r.Name == "Hosts").ResolveFor(KojiCatalog.From(new[] { ("host", (IEnumerable<string>)new[] { "id", "ready" }) })).NotApplicable);
    }
}
