using KojiStaging.Engine.Database.Follower;
using KojiStaging.Engine.Database.Sync;
using Xunit;

namespace KojiStaging.Tests.Database.Follower;

public sealed class PublicationPlannerTests
{
    private static SourceTable T(string name, params string[] cols) => new("public", name, cols, 0, 0, null, null, null);

    private static readonly FollowerNames Names = FollowerNames.For("koji");

    private static PublicationPlan Plan(IReadOnlyList<SourceTable> tables, params ReplicaIdentity[] ids) =>
        PublicationPlanner.Plan(Names, tables, ids.ToDictionary(i => i.Table), SanitizeRules.All);

    [Fact]
    public void Leaves_secret_columns_out_and_does_not_publish_tables_staging_gets_no_rows_of()
    {
        var plan = Plan(new[] { T("users", "id", "name", "password"), T("sessions", "id", "key"), T("host_channels", "host_id"), T("host", "id", "enabled", "ready") },
            new ReplicaIdentity("public.users", 'd', new[] { "id" }), new ReplicaIdentity("public.sessions", 'd', new[] { "id" }), new ReplicaIdentity("public.host", 'd', new[] { "id" }));
        var users = Assert.Single(plan.Tables, t => t.Table.Name == "users");
        Assert.Equal(new[] { "id", "name" }, users.Columns);
        Assert.Equal(new[] { "password" }, users.SecretColumns);
        Assert.False(users.InsertOnly);
        Assert.Equal(new[] { "public.sessions", "public.host_channels" }.Order(), plan.Unpublished.Select(u => "public." + u.Table).Order());
        // host.enabled and host.ready are sanitised in the clone, not at the source: published as is
        Assert.Equal(new[] { "id", "enabled", "ready" }, Assert.Single(plan.Tables, t => t.Table.Name == "host").Columns);
        var sql = string.Join("\n", plan.CreateSql());
        Assert.Contains("\"public\".\"users\" (\"id\", \"name\")", sql);
        Assert.DoesNotContain("password", sql);
        Assert.DoesNotContain("sessions", sql);
        Assert.Single(plan.CreateSql());
    }

    [Fact]
    public void Publishes_tables_without_a_usable_replica_identity_for_INSERT_only()
    {
        var plan = Plan(new[]
            {
                T("buildroot_listing", "buildroot_id", "rpm_id"), T("event_labels", "event_id", "label"),
                T("build_reservations", "build_id", "token"), T("rpmsigs", "rpm_id", "sighash"), T("build", "id", "state"),
            },
            new ReplicaIdentity("public.buildroot_listing", 'd', Array.Empty<string>()),
            new ReplicaIdentity("public.event_labels", 'n', Array.Empty<string>()),
            new ReplicaIdentity("public.build_reservations", 'i', new[] { "build_id", "token" }),
            new ReplicaIdentity("public.rpmsigs", 'f', new[] { "rpm_id", "sighash" }),
            new ReplicaIdentity("public.build", 'd', new[] { "id" }));
        Assert.Equal(new[] { "build_reservations", "buildroot_listing", "event_labels" }, plan.InsertOnly.Select(t => t.Table.Name).Order());
        Assert.Contains("token", Assert.Single(plan.Tables, t => t.Table.Name == "build_reservations").Why);
        var sql = plan.CreateSql();
        Assert.Equal(2, sql.Count);
        Assert.EndsWith("WITH (publish = 'insert, update, delete, truncate');", sql[0]);
        Assert.Contains("kojistaging_koji_insert_only", sql[1]);
        Assert.EndsWith("WITH (publish = 'insert, truncate');", sql[1]);
        // REPLICA IDENTITY FULL without secrets: no column list (PostgreSQL 15 refuses UPDATE on a FULL table with one)
        Assert.Contains("\"public\".\"rpmsigs\",", sql[0] + ",");
        Assert.DoesNotContain("\"rpmsigs\" (", sql[0]);
        Assert.Contains("\"public\".\"build\" (\"id\", \"state\")", sql[0]);
        Assert.Equal(new[] { "kojistaging_koji", "kojistaging_koji_insert_only" }, plan.PublicationNames);
    }

    [Theory]
    [InlineData("koji", "koji")]
    [InlineData("Koji-Stg", "koji_stg")]
    public void Names_everything_with_the_module_prefix(string live, string name)
    {
        var n = FollowerNames.For(live);
        Assert.Equal(name, n.Name);
        Assert.Equal("kojistaging_" + name, n.Slot);
        Assert.Equal(live + "_follower", n.FollowerDatabase);
    }

    [Fact]
    public void Keeps_only_the_at_source_transforms_of_the_rules()
    {
        var atSource = FollowerRules.AtSource(SanitizeRules.All);
        Assert.DoesNotContain(atSource, r => r.Name is "Tasks" or "Builds" or "Repos" or "Sequences");
        var hosts = Assert.Single(atSource, r => r.Name == "Hosts");
        Assert.All(hosts.Forms, f => Assert.All(f.Transforms, t => Assert.True(t.SkipRows)));
        Assert.Contains(atSource, r => r.Name == "Passwords");
    }

    [Theory]
    [InlineData("Bad-Name")]
    [InlineData("UPPER")]
    [InlineData("a_name_longer_than_forty_characters_for_a_slot")]
    public void A_follower_name_that_cannot_name_a_slot_is_FollowerNameInvalid(string name)
    {
        var ex = Assert.Throws<KojiStaging.Engine.Diagnostics.StagingException>(() => FollowerNames.For("koji", name));
        Assert.Equal("FollowerNameInvalid", ex.ErrorId);
        Assert.Equal(KojiStaging.Engine.Diagnostics.StagingErrorCategory.InvalidArgument, ex.Category);
    }
}
