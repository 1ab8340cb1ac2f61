using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Database.Sync;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices;
using Npgsql;

namespace KojiStaging.Tests.Database;

/// <summary>
/// A cluster of its own that also listens on 127.0.0.2 (another address of this host), so one database can
/// be reached by every spelling an operator may type.
/// </summary>
public sealed class TwoAddressCluster : IDisposable
{
    public TwoAddressCluster()
    {
        Pg = PgCluster.Start(new Dictionary<string, string> { ["listen_addresses"] = "'127.0.0.1,127.0.0.2'" });
        File.AppendAllText(Path.Combine(Pg.DataDir, "pg_hba.conf"), "host all all 127.0.0.2/32 scram-sha-256\n");
        Pg.Psql("postgres", "SELECT pg_reload_conf()");
        Pg.CreateDatabase("koji_same");
        Pg.CreateDatabase("koji_other");
        // pg_control_system() is PUBLIC by default; a hardened server revokes it: "bare" then falls back to the postmaster.
        Pg.Psql("postgres", "CREATE ROLE plain LOGIN PASSWORD 'role-pw'; CREATE ROLE bare LOGIN PASSWORD 'role-pw'");
        foreach (var db in new[] { "koji_same", "koji_other" })
            Pg.Psql(db, "REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC; GRANT EXECUTE ON FUNCTION pg_control_system() TO plain");
    }

    public PgCluster Pg { get; }
    public void Dispose() => Pg.Dispose();
}

[Collection("Environment")]
public class ServerIdentityTests : IClassFixture<TwoAddressCluster>
{
    private readonly PgCluster pg;
    public ServerIdentityTests(TwoAddressCluster c) => pg = c.Pg;

    private static async Task<ServerIdentity> IdentityAsync(string connection)
    {
        var k = new KojiDatabaseConnection(connection);
        await using var conn = await PgConnector.OpenAsync(k.ConnectionString, "test", default);
        return await ServerIdentity.ReadAsync(conn, default);
    }

    /// <summary>Every spelling of koji_same, parsed the way the cmdlets parse what an operator types.</summary>
    private IEnumerable<(string how, string connection)> Spellings(string user, string? password)
    {
        var pw = password is null ? "" : $";Password={password}";
        yield return ("TCP", $"Host=127.0.0.1;Port={pg.Port};Database=koji_same;Username={user}{pw}");
        yield return ("Unix socket", $"Host={pg.Root};Port={pg.Port};Database=koji_same;Username={user}");
        yield return ("localhost", $"Host=localhost;Port={pg.Port};Database=koji_same;Username={user}{pw}");
        yield return ("127.0.0.2", $"Host=127.0.0.2;Port={pg.Port};Database=koji_same;Username={user}{pw}");
        yield return ("URI", $"postgresql://{user}{(password is null ? "" : ":" + password)}@localhost:{pg.Port}/koji_same");
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("plain")]
    [InlineData("bare")]
    public async Task One_database_is_recognised_however_it_is_reached(string user)
    {
        var password = user == "postgres" ? pg.Password : "role-pw";
        var reference = await IdentityAsync(Spellings(user, password).First().connection);
        // Only the superuser reads the data directory; "bare" may not call pg_control_system() and falls back to the postmaster.
        Assert.Equal(user != "bare", reference.SystemIdentifier is not null);
        Assert.Equal(user == "postgres", reference.DataDirectory is not null);
        foreach (var (how, connection) in Spellings(user, password))
        {
            var id = await IdentityAsync(connection);
            Assert.True(id.SameDatabaseAs(reference), $"{how}: {id} vs {reference}");
        }
        var service = Path.GetTempFileName();
        File.WriteAllText(service, $"[koji_same_svc]\nhost=localhost\nport={pg.Port}\ndbname=koji_same\nuser={user}\npassword={password}\n");
        var old = Environment.GetEnvironmentVariable("PGSERVICEFILE");
        KojiDatabaseConnection viaService;
        try
        {
            Environment.SetEnvironmentVariable("PGSERVICEFILE", service);
            viaService = new KojiDatabaseConnection("koji_same_svc");
        }
        finally { Environment.SetEnvironmentVariable("PGSERVICEFILE", old); File.Delete(service); }
        await using (var conn = await PgConnector.OpenAsync(viaService.ConnectionString, "test", default))
            Assert.True((await ServerIdentity.ReadAsync(conn, default)).SameDatabaseAs(reference), "service name");

        var other = await IdentityAsync($"Host={pg.Root};Port={pg.Port};Database=koji_other;Username={user}");
        Assert.True(other.SameServerAs(reference));
        Assert.False(other.SameDatabaseAs(reference));
        var elsewhere = await IdentityAsync(TestClusters.Prod.ConnectionString());
        Assert.False(elsewhere.SameServerAs(reference));
    }

    [Fact]
    public async Task Roles_with_different_rights_still_see_one_database()
    {
        var super = await IdentityAsync($"Host=127.0.0.1;Port={pg.Port};Database=koji_same;Username=postgres;Password={pg.Password}");
        var bare = await IdentityAsync($"Host={pg.Root};Port={pg.Port};Database=koji_same;Username=bare");
        Assert.Null(bare.SystemIdentifier);
        Assert.True(bare.SameDatabaseAs(super));
        Assert.True(super.SameDatabaseAs(bare));
    }

    [Fact]
    public void A_clone_of_prod_counts_as_prod_and_a_default_layout_elsewhere_does_not()
    {
        var t = DateTimeOffset.UtcNow;
        var prod = new ServerIdentity("7300000000000000001", "/var/lib/postgresql/16/main", 5432, t, "koji", 16384);
        Assert.True(prod.SameDatabaseAs(prod with { StartedAt = t.AddDays(3), DataDirectory = "/srv/pg" }));  // a promoted clone
        Assert.False(prod.SameServerAs(prod with { SystemIdentifier = "7300000000000000002", StartedAt = t.AddHours(1) }));
        // Without the identifier: the same data directory and port on another host (another start) is another server.
        Assert.False((prod with { SystemIdentifier = null }).SameServerAs(prod with { StartedAt = t.AddHours(1) }));
        Assert.True((prod with { SystemIdentifier = null }).SameServerAs(prod with { DataDirectory = null }));
        var record = System.Text.Json.JsonSerializer.SerializeToElement(new { sourceIdentity = prod.ToRecord() });
        Assert.Equal(prod, ServerIdentity.FromRecord(record));
        Assert.Null(ServerIdentity.FromRecord(System.Text.Json.JsonSerializer.SerializeToElement(new { rulesApplied = 1 })));
    }
}
