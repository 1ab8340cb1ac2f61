using System.Net;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Database;

[Collection("Environment")]
public class PgConnectionFactoryTests
{
    [Fact]
    public void Source_connections_are_read_only_on_the_server()
    {
        var cs = PgConnectionFactory.ForSource(TestClusters.Prod.ConnectionString());
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand("CREATE TABLE should_fail (x int)", conn);
        var ex = Assert.Throws<PostgresException>(() => cmd.ExecuteNonQuery());
        Assert.Equal("25006", ex.SqlState); // read_only_sql_transaction
    }

    [Fact]
    public void Credential_overrides_user_and_password_and_Describe_hides_the_password()
    {
        var cs = PgConnectionFactory.ForTarget("Host=db01;Database=koji;Username=x;Password=old", new NetworkCredential("koji", "s3cret"));
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal("koji", b.Username);
        Assert.Equal("s3cret", b.Password);
        Assert.DoesNotContain("s3cret", PgConnectionFactory.Describe(cs));
        Assert.Contains("Database=koji", PgConnectionFactory.Describe(cs));
    }

    [Fact]
    public void Uri_form_is_understood()
    {
        var b = PgConnectionFactory.Parse("postgresql://koji:pw@db02:5433/koji_prod?sslmode=require");
        Assert.Equal(("db02", 5433, "koji_prod", "koji", "pw", SslMode.Require), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
    }

    [Fact]
    public void Service_names_resolve_through_PGSERVICEFILE()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "# services\n[kojiprod]\nhost=db03\nport=6432\ndbname=koji\nuser=reader\n\n[other]\nhost=x\n");
        var old = Environment.GetEnvironmentVariable("PGSERVICEFILE");
        try
        {
            Environment.SetEnvironmentVariable("PGSERVICEFILE", file);
            var b = PgConnectionFactory.Parse("kojiprod");
            Assert.Equal(("db03", 6432, "koji", "reader"), (b.Host, b.Port, b.Database, b.Username));
            var c = PgConnectionFactory.Parse("service=kojiprod;Database=other");
            Assert.Equal(("db03", "other"), (c.Host, c.Database));
            var missing = Assert.Throws<StagingException>(() => PgConnectionFactory.Parse("nosuchservice"));
            Assert.Equal("ServiceNotFound", missing.ErrorId);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGSERVICEFILE", old);
            File.Delete(file);
        }
    }

    [Fact]
    public void Malformed_connection_string_is_a_clear_error()
    {
        var ex = Assert.Throws<StagingException>(() => PgConnectionFactory.Parse("Host=db01;NoSuchKeyword=1"));
        Assert.Equal("ConnectionStringInvalid", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.InvalidArgument, ex.Category);
    }

    [Fact]
    public async Task Open_failures_have_stable_ids()
    {
        var pg = TestClusters.Prod;
        var bad = await Assert.ThrowsAsync<StagingException>(() =>
            PgConnector.OpenAsync(pg.ConnectionString(password: "wrong", user: "postgres"), "source", default));
        Assert.Equal("PgAuthenticationFailed", bad.ErrorId);
        Assert.DoesNotContain("wrong", bad.Message);

        var missing = await Assert.ThrowsAsync<StagingException>(() =>
            PgConnector.OpenAsync(pg.ConnectionString("no_such_db"), "source", default));
        Assert.Equal("PgDatabaseNotFound", missing.ErrorId);

        var down = await Assert.ThrowsAsync<StagingException>(() =>
            PgConnector.OpenAsync("Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=3", "source", default));
        Assert.Equal("PgUnreachable", down.ErrorId);
    }
}

public class KojiDatabaseConnectionTests
{
    [Fact]
    public void Keeps_the_password_for_connecting_but_never_shows_it()
    {
        var c = new KojiDatabaseConnection("Host=db-stg;Port=5433;Database=koji;Username=koji;Password=hunter2");
        Assert.Equal(("db-stg", 5433, "koji", "koji"), (c.Host, c.Port, c.Database, c.Username));
        Assert.DoesNotContain("hunter2", c.ToString());
        Assert.DoesNotContain("hunter2", System.Text.Json.JsonSerializer.Serialize(c));
        Assert.Contains("Password=hunter2", c.ConnectionString);
        Assert.Contains("default_transaction_read_only=on", c.SourceConnectionString);
        var other = c.WithDatabase("koji_new");
        Assert.Equal("koji_new", other.Database);
        Assert.Contains("Password=hunter2", other.ConnectionString);
    }
}
