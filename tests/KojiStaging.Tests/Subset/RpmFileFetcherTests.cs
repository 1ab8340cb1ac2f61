using Dapper;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Koji;
using Npgsql;

namespace KojiStaging.Tests.Subset;

public class RpmFileFetcherTests
{
    /// <summary>Every unsigned RPM of a COMPLETE build plus every signed copy on disk, with what the DB says about them.</summary>
    internal static async Task<List<RpmFileRequest>> FixtureRequestsAsync()
    {
        await using var conn = new NpgsqlConnection(SubsetTestData.ProdConnectionString);
        var rows = await conn.QueryAsync<(string pkg, string version, string release, string name, string arch, string payloadhash, long size)>(
            """SELECT p.name, b.version, b.release, r.name, r.arch, r.payloadhash, r.size FROM rpminfo r JOIN build b ON b.id = r.build_id JOIN package p ON p.id = b.pkg_id WHERE b.state = 1 ORDER BY r.id""");
        var list = new List<RpmFileRequest>();
        foreach (var r in rows)
        {
            var dir = new KojiPathInfo("").BuildDir(r.pkg, r.version, r.release).TrimStart('/');
            list.Add(new RpmFileRequest(KojiPathInfo.Rpm(dir, r.name, r.version, r.release, r.arch), new RpmFileExpectation(r.payloadhash, r.size), r.size));
            foreach (var key in new[] { "26e76adc", "8cc9b553" })
            {
                var signed = KojiPathInfo.Signed(dir, r.name, r.version, r.release, r.arch, key);
                if (File.Exists(Path.Combine(SubsetTestData.TopDir, signed)))
                    list.Add(new RpmFileRequest(signed, new RpmFileExpectation(r.payloadhash, null), r.size));
            }
        }
        return list;
    }

    [Fact]
    public async Task Local_tree_copies_every_file_verified_then_skips_them_on_a_second_run()
    {
        var files = await FixtureRequestsAsync();
        Assert.Equal(56 + 53, files.Count);
        var dest = SubsetTestData.NewTempDir("fetch-local");
        using var source = RpmFileSource.FromTopDir(SubsetTestData.TopDir, FileLinkMode.Hardlink);
        var fetcher = new RpmFileFetcher(source, dest, 4);

        var first = await fetcher.FetchAllAsync(files, EngineScope.Silent());
        Assert.All(first, r => Assert.True(r.Method is FetchMethod.Hardlinked or FetchMethod.Reflinked, $"{r.Method}"));  // same filesystem: never a byte copy
        foreach (var f in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(SubsetTestData.TopDir, f.RelativePath)), File.ReadAllBytes(Path.Combine(dest, f.RelativePath)));
        Assert.Empty(Directory.EnumerateFiles(dest, $"{RpmFileFetcher.TempMarker}*", SearchOption.AllDirectories));

        var second = await fetcher.FetchAllAsync(files, EngineScope.Silent());
        Assert.All(second, r => Assert.Equal(FetchMethod.Skipped, r.Method));
        Directory.Delete(dest, true);
    }

    [Fact]
    public async Task Copy_mode_never_shares_an_inode_with_prod_and_a_damaged_staging_file_is_fetched_again()
    {
        var files = (await FixtureRequestsAsync()).Take(6).ToList();
        var dest = SubsetTestData.NewTempDir("fetch-copy");
        using var source = RpmFileSource.FromTopDir(SubsetTestData.TopDir, FileLinkMode.Copy);
        var fetcher = new RpmFileFetcher(source, dest, 2);
        await fetcher.FetchAllAsync(files, EngineScope.Silent());
        var victim = Path.Combine(dest, files[0].RelativePath);
        File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..200]);
        var again = await fetcher.FetchAllAsync(files, EngineScope.Silent());
        Assert.Equal(FetchMethod.Copied, again[0].Method);
        Assert.All(again.Skip(1), r => Assert.Equal(FetchMethod.Skipped, r.Method));
        Assert.Equal(files[0].Expected.Size, new FileInfo(victim).Length);
        Directory.Delete(dest, true);
    }

    [Fact]
    public async Task Download_rejects_truncated_corrupt_and_failed_answers_and_retries_until_intact()
    {
        var files = (await FixtureRequestsAsync()).Take(8).ToList();
        using var server = new FaultyFileServer(SubsetTestData.TopDir);
        server.Inject(files[0].RelativePath, FaultyFileServer.Fault.Truncate, FaultyFileServer.Fault.CorruptByte);
        server.Inject(files[1].RelativePath, FaultyFileServer.Fault.Http500, FaultyFileServer.Fault.Drop);
        var dest = SubsetTestData.NewTempDir("fetch-http");
        using var source = RpmFileSource.FromTopUrl(server.BaseUri);
        var fetcher = new RpmFileFetcher(source, dest, 4) { FirstBackoff = TimeSpan.FromMilliseconds(10) };

        var results = await fetcher.FetchAllAsync(files, EngineScope.Silent());
        Assert.Equal(3, results[0].Attempts);
        Assert.Equal(3, results[1].Attempts);
        Assert.All(results, r => Assert.Equal(FetchMethod.Downloaded, r.Method));
        foreach (var f in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(SubsetTestData.TopDir, f.RelativePath)), File.ReadAllBytes(Path.Combine(dest, f.RelativePath)));
        Directory.Delete(dest, true);
    }

    [Fact]
    public async Task A_file_that_stays_corrupt_fails_with_a_stable_error_and_leaves_no_file()
    {
        var file = (await FixtureRequestsAsync())[0];
        using var server = new FaultyFileServer(SubsetTestData.TopDir);
        server.Inject(file.RelativePath, Enumerable.Repeat(FaultyFileServer.Fault.CorruptByte, 10).ToArray());
        var dest = SubsetTestData.NewTempDir("fetch-bad");
        using var source = RpmFileSource.FromTopUrl(server.BaseUri);
        var fetcher = new RpmFileFetcher(source, dest, 1) { Attempts = 3, FirstBackoff = TimeSpan.FromMilliseconds(5) };
        var ex = await Assert.ThrowsAsync<StagingException>(() => fetcher.FetchAllAsync(new[] { file }, EngineScope.Silent()));
        Assert.Equal("RpmFileVerificationFailed", ex.ErrorId);
        Assert.Contains("content MD5", ex.Message);
        Assert.Empty(Directory.EnumerateFiles(dest, "*", SearchOption.AllDirectories));

        var missing = new RpmFileRequest("packages/nope/1/1/noarch/nope-1-1.noarch.rpm", file.Expected, 1);
        var ex404 = await Assert.ThrowsAsync<StagingException>(() => fetcher.FetchAllAsync(new[] { missing }, EngineScope.Silent()));
        Assert.Equal("SourceFileMissing", ex404.ErrorId);
        Directory.Delete(dest, true);
    }
}
