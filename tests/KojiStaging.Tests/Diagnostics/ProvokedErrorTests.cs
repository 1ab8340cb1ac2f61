using System.Net.Sockets;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Engine.Operations;
using Npgsql;

namespace KojiStaging.Tests.Diagnostics;

/// <summary>Error ids that the cmdlets' parameter binding or a healthy server never lets through, provoked at the engine.</summary>
public sealed class ProvokedErrorTests
{
    private const string Where = "Host=db.example.org;Database=koji;Username=koji;Password=secret-pw";

    [Theory]
    [InlineData("28P01", "PgAuthenticationFailed", StagingErrorCategory.AuthenticationError)]
    [InlineData("3D000", "PgDatabaseNotFound", StagingErrorCategory.ObjectNotFound)]
    [InlineData("42501", "PgPermissionDenied", StagingErrorCategory.PermissionDenied)]
    [InlineData("40P01", "PgError", StagingErrorCategory.InvalidOperation)]
    public void A_server_error_maps_to_its_id_by_SQLSTATE(string sqlState, string id, StagingErrorCategory category)
    {
        var ex = PgConnector.Translate(new PostgresException("the server's words", "ERROR", "ERROR", sqlState), Where, "staging");

        Assert.Equal(id, ex.ErrorId);
        Assert.Equal(category, ex.Category);
        Assert.Equal(ErrorCatalog.Find(id)!.Category, ex.Category);
        if (id != "PgDatabaseNotFound") Assert.Contains("the server's words", ex.Message);   // that one says which database instead
        Assert.DoesNotContain("secret-pw", ex.Message);
        if (id == "PgError") Assert.Contains(sqlState, ex.Message);
        if (id == "PgAuthenticationFailed") Assert.Equal("staging", ex.Data[PgConnector.RoleKey]);
    }

    [Fact]
    public void A_network_failure_is_PgUnreachable_and_anything_else_PgConnectionFailed()
    {
        var unreachable = PgConnector.Translate(new NpgsqlException("no route", new SocketException((int)SocketError.HostUnreachable)), Where, "source");
        Assert.Equal("PgUnreachable", unreachable.ErrorId);
        Assert.Equal(StagingErrorCategory.ConnectionError, unreachable.Category);

        var other = PgConnector.Translate(new NpgsqlException("the TLS handshake was refused"), Where, "source");
        Assert.Equal("PgConnectionFailed", other.ErrorId);
        Assert.Equal(StagingErrorCategory.ConnectionError, other.Category);
        Assert.Contains("TLS handshake", other.Message);
    }

    [Fact]
    public void A_refused_login_hint_names_no_parameter_unless_the_cmdlet_gives_one()
    {
        Assert.Equal("Check the user name and the password (the connection string, PGPASSWORD or ~/.pgpass).", PgConnector.PasswordHint(null));
        Assert.StartsWith("Check the user name and the password (-SourceCredential, ", PgConnector.PasswordHint("-SourceCredential"));
    }

    [Fact]
    public void Copy_KojiVolume_without_source_or_destination_gives_SourceMissing_or_DestinationMissing()
    {
        string Id(VolumeCopyOptions o) => Assert.Throws<StagingException>(() => new VolumeCopier().Run(o, EngineScope.Silent())).ErrorId;
        Assert.Equal("SourceMissing", Id(new VolumeCopyOptions { Source = " ", Destination = "/tmp/kojistaging-never-created" }));
        Assert.Equal("DestinationMissing", Id(new VolumeCopyOptions { Source = "/tmp", Destination = "" }));
        Assert.False(Directory.Exists("/tmp/kojistaging-never-created"));
    }

    [Fact]
    public async Task A_subset_needs_a_tag_and_exactly_one_file_source()
    {
        using var hub = new KojiHubClient(new Uri("http://127.0.0.1:9/kojihub"));
        var noTag = await Assert.ThrowsAsync<StagingException>(() => new SubsetClosureReader(hub).ReadAsync(new SubsetOptions { Tags = Array.Empty<string>() }, EngineScope.Silent()));
        Assert.Equal("SubsetNoTag", noTag.ErrorId);

        var request = new CopyKojiSubsetRequest
        {
            HubDisplay = "http://127.0.0.1:9/kojihub", HubClient = hub, Destination = new KojiDatabaseConnection("Host=127.0.0.1;Port=9;Database=stg"),
            TopDir = "/tmp/kojistaging-never-created", Options = new SubsetOptions { Tags = new[] { "f41" } },
        };
        foreach (var r in new[] { request, request with { TopUrl = new Uri("http://127.0.0.1:9/kojifiles/"), SourceTopDir = "/mnt/koji" } })
        {
            var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(r, EngineScope.Silent()));
            Assert.Equal("SubsetSourceMissing", ex.ErrorId);
            Assert.Equal(StagingErrorCategory.InvalidArgument, ex.Category);
        }
        Assert.False(Directory.Exists("/tmp/kojistaging-never-created"));
    }

    [Fact]
    public async Task A_negative_sample_size_is_refused_before_anything_is_read()
    {
        var r = new SecondaryVolumeRequest(new KojiDatabaseConnection("Host=127.0.0.1;Port=9;Database=stg"), 150, SampleSize: -1);
        var ex = await Assert.ThrowsAsync<StagingException>(() => new SecondaryVolumeService().RunAsync(r, (_, _) => true, EngineScope.Silent()));
        Assert.Equal("SampleSizeInvalid", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.InvalidArgument, ex.Category);
    }
}
