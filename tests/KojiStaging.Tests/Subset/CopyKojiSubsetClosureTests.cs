using System.Security.Cryptography;
using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Engine.Operations.Health;
using KojiStaging.TestServices.KojiHub;
using Npgsql;

namespace KojiStaging.Tests.Subset;

/// <summary>
/// The closure is closed for any set of tags: each fixture tag alone, every pair, all of them. Every row the copy writes
/// is prod's row (same ids, every column, every timestamp to the microsecond: compared as PostgreSQL's text of the row),
/// and the rows a tag set needs are all there: the tags' whole history (inheritance from both ends, taggings with the
/// builds they name in any state, package lists, comps groups), every signature row of the chosen RPMs with the empty
/// key, cached checksums, cached signature headers on disk, prod's reference tables and who holds which permission.
/// </summary>
public class CopyKojiSubsetClosureTests(SubsetHarness h) : IClassFixture<SubsetHarness>
{
    private static readonly string[] Keys = { "26e76adc", "8cc9b553" };
    private static readonly string[] AllTags =
        { "f41", "f41-updates", "f41-updates-testing", "f41-updates-candidate", "f41-override", "f41-build", "f42", "f42-build" };

    /// <summary>Columns the subset leaves empty on purpose: tasks and buildroots stay in prod, passwords are secrets.</summary>
    private static readonly Dictionary<string, string[]> NotCopied = new()
    {
        ["build"] = new[] { "task_id" }, ["rpminfo"] = new[] { "buildroot_id" },
        ["users"] = new[] { "password" }, // a secret: staging users log in as staging configures
    };

    private static readonly string[] RowTables =
    {
        "events", "users", "permissions", "btype", "archivetypes", "channels", "groups", "volume", "package", "tag", "external_repo",
        "build_target", "build", "rpminfo", "rpmsigs", "rpm_checksum", "tag_config", "tag_extra", "tag_inheritance", "tag_packages",
        "tag_package_owners", "tag_listing", "tag_external_repos", "external_repo_config", "build_target_config", "group_config",
        "group_req_listing", "group_package_listing", "user_perms",
    };

    public static IEnumerable<object[]> EachTag() => AllTags.Select(t => new object[] { t });

    [Theory]
    [MemberData(nameof(EachTag))]
    public async Task Each_fixture_tag_alone_copies_a_closed_set_of_prods_rows(string tag)
    {
        var staging = await SubsetHarness.NewStagingAsync("subset_one");
        var top = SubsetTestData.NewTempDir("subset-one");
        using var hub = h.NewClient();
        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { tag }, SigKeys = Keys }), EngineScope.Silent());
        Assert.InRange(result.Summary.RoundTrips, 1, 5);
        await using var s = new NpgsqlConnection(staging.ConnectionString);
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        await VerifyAsync(s, null, p, Keys);
        await VerifySigCacheAsync(s, top);
        Directory.Delete(top, true);
    }

    [Fact]
    public async Task Every_pair_of_fixture_tags_loads_and_copies_only_prods_rows()
    {
        var staging = await SubsetHarness.NewStagingAsync("subset_pair");
        using var hub = h.NewClient();
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        var pairs = AllTags.SelectMany((a, i) => AllTags.Skip(i + 1).Select(b => new[] { a, b })).ToList();
        Assert.Equal(28, pairs.Count);
        foreach (var pair in pairs)
        {
            var checkedInside = false;
            // -WhatIf writes every row in a transaction (constraints are checked at each insert) and rolls it back; the check runs inside it.
            var request = h.Request(hub, staging, SubsetTestData.NewTempDir("subset-pair"), new SubsetOptions { Tags = pair, SigKeys = new[] { "8cc9b553" } }, whatIf: true) with
            {
                AfterRowsWritten = async (conn, tx) => { await VerifyAsync(conn, tx, p, new[] { "8cc9b553" }); checkedInside = true; },
            };
            await new CopyKojiSubsetEngine().RunAsync(request, EngineScope.Silent());
            Assert.True(checkedInside, string.Join(",", pair));
        }
    }

    [Fact]
    public async Task All_tags_with_every_key_are_a_full_staging_that_answers_like_prod()
    {
        var staging = await SubsetHarness.NewStagingAsync("subset_all");
        var top = SubsetTestData.NewTempDir("subset-all");
        using var hub = h.NewClient();
        var result = await new CopyKojiSubsetEngine().RunAsync(h.Request(hub, staging, top, new SubsetOptions { Tags = AllTags, SigKeys = new[] { "*" } }), EngineScope.Silent());
        await using var s = new NpgsqlConnection(staging.ConnectionString);
        await using var p = new NpgsqlConnection(h.ProdConnectionString);
        await VerifyAsync(s, null, p, null);
        await VerifySigCacheAsync(s, top);
        // every signature row of the copied RPMs, cached unsigned headers (the empty key) included, and their cached checksums
        var rpms = (await s.QueryAsync<int>("SELECT id FROM rpminfo")).ToArray();
        Assert.Equal(await p.ExecuteScalarAsync<long>("SELECT count(*) FROM rpmsigs WHERE rpm_id = ANY(@rpms)", new { rpms }), await s.ExecuteScalarAsync<long>("SELECT count(*) FROM rpmsigs"));
        Assert.Equal(rpms.Length, await s.ExecuteScalarAsync<long>("SELECT count(*) FROM rpmsigs WHERE sigkey = ''"));
        Assert.Equal(await p.ExecuteScalarAsync<long>("SELECT count(*) FROM rpm_checksum WHERE rpm_id = ANY(@rpms)", new { rpms }), await s.ExecuteScalarAsync<long>("SELECT count(*) FROM rpm_checksum"));
        Assert.True(await s.ExecuteScalarAsync<long>("SELECT count(*) FROM rpm_checksum") > 90);

        // the deleted build the tagging history names is there as a row, with its history
        Assert.Equal(2, await s.ExecuteScalarAsync<int>("SELECT state FROM build WHERE id = 7"));
        Assert.Equal(await p.ExecuteScalarAsync<long>("SELECT count(*) FROM tag_listing WHERE build_id = 7"), await s.ExecuteScalarAsync<long>("SELECT count(*) FROM tag_listing WHERE build_id = 7"));
        // the build roots' comps groups: f41-build and f42-build have build and srpm-build with package lists
        Assert.Equal(new[] { "build", "srpm-build" }, await s.QueryAsync<string>("SELECT DISTINCT g.name FROM group_config c JOIN groups g ON g.id = c.group_id WHERE c.tag_id = 6 ORDER BY 1"));
        Assert.True(await s.ExecuteScalarAsync<long>("SELECT count(*) FROM group_package_listing WHERE tag_id = 8") > 0);
        // prod's admins are admins in staging
        Assert.Contains("kojiadmin", await s.QueryAsync<string>("SELECT u.name FROM user_perms up JOIN users u ON u.id = up.user_id JOIN permissions pm ON pm.id = up.perm_id WHERE pm.name = 'admin' AND up.active"));

        // a full staging: the synced point and the moved sequences, as Test-KojiStaging sees them
        var checks = new List<StagingCheckResult>();
        await new StagingHealthService().RunAsync(new StagingHealthRequest(staging, TopDir: top), checks.Add, EngineScope.Silent());
        Assert.Equal("Pass", checks.Single(c => c.Name == "SyncedEvent").Status.ToString());
        Assert.Equal("Pass", checks.Single(c => c.Name == "Sequences").Status.ToString());
        Assert.Equal(166, (await StagingMarker.ReadAsync(s, "sync")).Single().EventId);
        Assert.True(await s.ExecuteScalarAsync<long>("SELECT last_value FROM task_id_seq") > 100_000_000);

        // a hub on staging answers the compose queries (with signatures) and the history queries exactly as prod's does
        await using var stagingHub = await KojiHubEmulator.StartAsync(new KojiHubEmulatorOptions { ConnectionString = staging.ConnectionString });
        using var sc = h.NewClient(stagingHub.HubUrl);
        foreach (var tag in AllTags)
        {
            var kw = new Dictionary<string, object?> { ["inherit"] = true, ["latest"] = true, ["rpmsigs"] = true };
            Assert.Equal(Canonical(await hub.CallAsync("listTaggedRPMS", new object?[] { tag }, kw, default)),
                Canonical(await sc.CallAsync("listTaggedRPMS", new object?[] { tag }, kw, default)));
            var hist = new Dictionary<string, object?> { ["tag"] = tag };
            Assert.Equal(Canonical(await hub.CallAsync("queryHistory", Array.Empty<object?>(), hist, default)),
                Canonical(await sc.CallAsync("queryHistory", Array.Empty<object?>(), hist, default)));
        }
        Assert.Equal(result.Builds.Count, await s.ExecuteScalarAsync<long>("SELECT count(DISTINCT build_id) FROM rpminfo"));
        Directory.Delete(top, true);
    }

    [Fact]
    public async Task A_failure_after_the_files_were_written_leaves_neither_rows_nor_files_and_names_table_constraint_and_key()
    {
        var staging = await SubsetHarness.NewStagingAsync("subset_fail");
        var top = SubsetTestData.NewTempDir("subset-fail");
        using var hub = h.NewClient();
        var filesSeen = 0;
        var request = h.Request(hub, staging, top, new SubsetOptions { Tags = new[] { "f41-updates" }, SigKeys = Keys }) with
        {
            AfterRowsWritten = async (conn, tx) =>
            {
                filesSeen = Directory.EnumerateFiles(top, "*", SearchOption.AllDirectories).Count();
                // a real constraint violation inside the write transaction: tag 1 is already there
                await conn.ExecuteAsync("INSERT INTO tag (id, name) VALUES (1, 'collides')", transaction: tx);
            },
        };
        var ex = await Assert.ThrowsAsync<StagingException>(() => new CopyKojiSubsetEngine().RunAsync(request, EngineScope.Silent()));
        Assert.True(filesSeen > 40, $"{filesSeen} files were in place when the failure came");
        Assert.Equal("SubsetWriteFailed", ex.ErrorId);
        Assert.Contains("table tag", ex.Message);
        Assert.Contains("constraint tag_pkey", ex.Message);
        Assert.Contains("Key (id)=(1)", ex.Message);
        Assert.Empty(Directory.EnumerateFiles(top, "*", SearchOption.AllDirectories));
        await using var s = new NpgsqlConnection(staging.ConnectionString);
        foreach (var table in new[] { "build", "tag", "events", "rpmsigs", "tag_listing" })
            Assert.Equal(0, await s.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Empty(await StagingMarker.ReadAsync(s, "subset"));
        Assert.Empty(await StagingMarker.ReadAsync(s, "sync"));
    }

    /// <summary>Every staging row is prod's row; the rows the copied tags, RPMs and users need are all there.</summary>
    private static async Task VerifyAsync(NpgsqlConnection s, NpgsqlTransaction? tx, NpgsqlConnection p, string[]? keys)
    {
        foreach (var table in RowTables)
        {
            var cols = (await s.QueryAsync<string>("SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table ORDER BY ordinal_position",
                new { table }, tx)).Except(NotCopied.GetValueOrDefault(table) ?? Array.Empty<string>()).ToArray();
            var sql = $"SELECT ({string.Join(", ", cols.Select(c => $"\"{c}\""))})::text FROM {table}";
            var prodRows = (await p.QueryAsync<string>(sql)).ToHashSet();
            var extra = (await s.QueryAsync<string>(sql, transaction: tx)).Where(r => !prodRows.Contains(r)).ToList();
            Assert.True(extra.Count == 0, $"{table}: {extra.Count} rows are not prod's, e.g. {extra.FirstOrDefault()}");
        }
        async Task<string[]> Both(string sql, object? args, bool staging) =>
            (staging ? await s.QueryAsync<string>(sql, args, tx) : await p.QueryAsync<string>(sql, args)).Order(StringComparer.Ordinal).ToArray();
        async Task Same(string what, string sql, object? args = null)
        {
            var prodRows = await Both(sql, args, false);
            var stagingRows = await Both(sql, args, true);
            Assert.True(prodRows.SequenceEqual(stagingRows), $"{what} differs from prod's: {prodRows.Length} rows in prod, {stagingRows.Length} in staging");
        }

        var closure = (await s.QueryAsync<int>("SELECT DISTINCT tag_id FROM tag_config", transaction: tx)).ToArray();
        Assert.NotEmpty(closure);
        foreach (var table in new[] { "tag_config", "tag_extra", "tag_packages", "tag_package_owners", "tag_listing", "tag_external_repos",
                     "group_config", "group_req_listing", "group_package_listing" })
            await Same($"{table} of tags {string.Join(",", closure)}", $"SELECT {table}::text FROM {table} WHERE tag_id = ANY(@closure)", new { closure });
        await Same("tag_inheritance (child or parent in the closure)",
            "SELECT tag_inheritance::text FROM tag_inheritance WHERE tag_id = ANY(@closure) OR parent_id = ANY(@closure)", new { closure });
        var listed = (await p.QueryAsync<int>("SELECT DISTINCT build_id FROM tag_listing WHERE tag_id = ANY(@closure)", new { closure })).ToArray();
        Assert.Equal(listed.Length, await s.ExecuteScalarAsync<long>("SELECT count(*) FROM build WHERE id = ANY(@listed)", new { listed }, tx));
        var rpms = (await s.QueryAsync<int>("SELECT id FROM rpminfo", transaction: tx)).ToArray();
        var chosen = keys is null ? "TRUE" : "(sigkey = '' OR sigkey = ANY(@keys))";
        await Same("rpmsigs of the copied RPMs", $"SELECT rpmsigs::text FROM rpmsigs WHERE rpm_id = ANY(@rpms) AND {chosen}", new { rpms, keys });
        await Same("rpm_checksum of the copied RPMs", $"SELECT rpm_checksum::text FROM rpm_checksum WHERE rpm_id = ANY(@rpms) AND {chosen}", new { rpms, keys });
        foreach (var table in new[] { "btype", "archivetypes", "channels", "permissions", "user_perms" })
            await Same(table, $"SELECT {table}::text FROM {table}");
    }

    /// <summary>Each signature row's cached header is in the staging tree, and its MD5 is the row's sighash.</summary>
    private static async Task VerifySigCacheAsync(NpgsqlConnection s, string top)
    {
        var all = (await s.QueryAsync<(string pkg, string bv, string br, string rpm, string v, string rel, string arch, string sigkey, string sighash)>("""
            SELECT p.name, b.version, b.release, r.name, r.version, r.release, r.arch, g.sigkey, g.sighash FROM rpmsigs g
            JOIN rpminfo r ON r.id = g.rpm_id JOIN build b ON b.id = r.build_id JOIN package p ON p.id = b.pkg_id
            """)).ToList();
        Assert.NotEmpty(all);
        Assert.Contains(all, r => r.sigkey == "");
        foreach (var r in all)
        {
            var dir = Path.Combine(top, "packages", r.pkg, r.bv, r.br, "data", "sigcache");
            var file = Path.Combine(r.sigkey.Length == 0 ? dir : Path.Combine(dir, r.sigkey), r.arch, $"{r.rpm}-{r.v}-{r.rel}.{r.arch}.rpm.sig");
            Assert.True(File.Exists(file), $"no {file}");
            Assert.Equal(r.sighash, Convert.ToHexString(MD5.HashData(File.ReadAllBytes(file))).ToLowerInvariant());
        }
    }

    /// <summary>An answer with its rows in a fixed order (the hub's queries have no ORDER BY).</summary>
    private static string Canonical(object? v) => v switch
    {
        object?[] list when list.All(x => x is Dictionary<string, object?>) => string.Join("\n", list.Select(Canonical).Order(StringComparer.Ordinal)),
        object?[] list => "[" + string.Join("|", list.Select(Canonical)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(",", d.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + Canonical(kv.Value))) + "}",
        null => "nil",
        double x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
