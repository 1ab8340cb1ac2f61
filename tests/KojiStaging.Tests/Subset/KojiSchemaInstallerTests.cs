using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Tests.Infrastructure;
using Npgsql;

namespace KojiStaging.Tests.Subset;

/// <summary>
/// New-KojiStagingDatabase takes a schema file laid out as Koji's own schemas/schema.sql is (written here from those facts,
/// around the fixture's pg_dump -s): leading DROP TABLE lines (1.10's docs/schema.sql starts with 37 of them), the whole file
/// inside BEGIN WORK; … COMMIT WORK; (every release), seed INSERTs (btype, channels, permissions, …), and a PL/pgSQL body
/// whose BEGIN / END; lines are not transaction statements.
/// </summary>
public class KojiSchemaInstallerTests(SubsetHarness h) : IClassFixture<SubsetHarness>
{
    [Fact]
    public async Task A_schema_file_with_its_own_transaction_lines_drops_and_seed_rows_loads()
    {
        var file = TestTempPaths.For("koji-style-schema", extension: ".sql", unique: true);
        var dump = await File.ReadAllTextAsync(SubsetHarness.SchemaPath);
        await File.WriteAllTextAsync(file, $"""
            -- vim:noet:sw=8
            DROP TABLE build_notifications;

            DROP TABLE tag_listing;
            DROP TABLE build;
            BEGIN WORK;
            {dump}
            CREATE FUNCTION public.kojistaging_test_fn() RETURNS integer AS $$
            BEGIN
                RETURN 1;
            END;
            $$ LANGUAGE plpgsql;
            INSERT INTO public.btype (name) VALUES ('rpm');
            INSERT INTO public.btype (name) VALUES ('maven');
            INSERT INTO public.channels (name) VALUES ('default');
            INSERT INTO public.permissions (name, description) VALUES ('admin', 'Full administrator access. Perform all actions.');
            COMMIT WORK;
            """);
        try
        {
            var staging = new KojiDatabaseConnection(TestClusters.Staging.ConnectionString(TestClusters.UniqueName("schema_koji_style")));
            var made = await KojiSchemaInstaller.CreateAsync(staging, file, EngineScope.Silent());
            Assert.True(made.Created);
            Assert.True(made.Tables > 50, $"{made.Tables} tables");
            await using var c = new NpgsqlConnection(staging.ConnectionString);
            Assert.Equal(new[] { "rpm", "maven" }, await c.QueryAsync<string>("SELECT name FROM btype ORDER BY id"));
            Assert.Equal(1, await c.ExecuteScalarAsync<int>("SELECT kojistaging_test_fn()"));
            Assert.True(await StagingMarker.IsMarkedAsync(c));

            // the seeded rows and the subset's reference rows (prod's, through the hub) meet without conflict
            var top = SubsetTestData.NewTempDir("schema-subset");
            using var hub = h.NewClient();
            await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f42" } }), EngineScope.Silent());
            await using var p = new NpgsqlConnection(h.ProdConnectionString);
            Assert.Equal(await p.QueryAsync<string>("SELECT id || name FROM btype ORDER BY id"), await c.QueryAsync<string>("SELECT id || name FROM btype ORDER BY id"));
            Directory.Delete(top, true);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task A_pg_dump_schema_gets_prods_reference_rows_from_the_subset_copy()
    {
        var staging = await SubsetHarness.NewStagingAsync("schema_dump");
        await using var c = new NpgsqlConnection(staging.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM btype")); // a schema-only dump seeds nothing
        var top = SubsetTestData.NewTempDir("schema-dump");
        using var hub = h.NewClient();
        await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41-updates" } }), EngineScope.Silent());
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        foreach (var table in new[] { "btype", "archivetypes", "channels", "permissions" })
        {
            var prod = (await p.QueryAsync<string>($"SELECT {table}::text FROM {table} ORDER BY id")).ToList();
            Assert.NotEmpty(prod);
            Assert.Equal(prod, await c.QueryAsync<string>($"SELECT {table}::text FROM {table} ORDER BY id"));
        }
        // what an import looks up first: the rpm btype, and the build_types row of every copied build with RPMs
        Assert.Equal(1, await c.ExecuteScalarAsync<int>("SELECT id FROM btype WHERE name = 'rpm'"));
        Assert.Equal(await c.ExecuteScalarAsync<long>("SELECT count(DISTINCT build_id) FROM rpminfo"),
            await c.ExecuteScalarAsync<long>("SELECT count(*) FROM build_types bt JOIN btype b ON b.id = bt.btype_id WHERE b.name = 'rpm'"));
        Directory.Delete(top, true);
    }
}
