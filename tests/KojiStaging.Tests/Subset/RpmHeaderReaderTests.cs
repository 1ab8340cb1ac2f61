using Dapper;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji;
using KojiStaging.Engine.Koji.Rpm;
using Npgsql;

namespace KojiStaging.Tests.Subset;

public class RpmHeaderReaderTests
{
    private sealed record RpmRow(int id, string name, string version, string release, string arch, string payloadhash, long size);

    private static async Task<List<RpmRow>> RpmRowsAsync()
    {
        await using var conn = new NpgsqlConnection(SubsetTestData.ProdConnectionString);
        return (await conn.QueryAsync<RpmRow>(
            "SELECT r.id, r.name, r.version, r.release, r.arch, r.payloadhash, r.size FROM rpminfo r JOIN build b ON b.id = r.build_id WHERE b.state = 1")).ToList();
    }

    [Fact]
    public async Task Every_fixture_rpm_header_matches_payloadhash_and_size()
    {
        var rows = await RpmRowsAsync();
        Assert.Equal(56, rows.Count);
        var top = SubsetTestData.TopDir;
        foreach (var r in rows)
        {
            var (n, v, rel) = BuildNvr(r);
            var path = KojiPathInfo.Rpm(new KojiPathInfo(top).BuildDir(n, v, rel), r.name, r.version, r.release, r.arch);
            var h = RpmHeaderReader.ReadFile(path);
            Assert.Equal(r.payloadhash, h.SigMd5);
            Assert.Equal(r.size, new FileInfo(path).Length);
            Assert.Equal(r.size, h.ExpectedFileSize);
            Assert.Equal(0, h.MainHeaderOffset % 8);
        }
    }

    [Fact]
    public async Task Every_signed_copy_carries_the_sigmd5_of_its_unsigned_rpm()
    {
        var rows = (await RpmRowsAsync()).ToDictionary(r => KojiPathInfo.RpmFileName(r.name, r.version, r.release, r.arch));
        var signed = Directory.EnumerateFiles(SubsetTestData.TopDir, "*.rpm", SearchOption.AllDirectories)
            .Where(p => p.Contains("/data/signed/")).ToList();
        Assert.Equal(53, signed.Count);
        foreach (var path in signed)
        {
            var h = RpmHeaderReader.ReadFile(path);
            Assert.Equal(rows[Path.GetFileName(path)].payloadhash, h.SigMd5);
            Assert.Equal(new FileInfo(path).Length, h.ExpectedFileSize);
        }
    }

    [Fact]
    public void Truncated_or_foreign_files_are_rejected_with_a_stable_error()
    {
        var any = Directory.EnumerateFiles(SubsetTestData.TopDir, "*.rpm", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(any);
        var truncated = new MemoryStream(bytes, 0, 150);
        var ex = Assert.Throws<StagingException>(() => RpmHeaderReader.Read(truncated, "t.rpm"));
        Assert.Equal("RpmHeaderInvalid", ex.ErrorId);
        Assert.Contains("truncated", ex.Message);

        var foreign = (byte[])bytes.Clone();
        foreign[0] = 0x3c; // '<' as in an HTML error page
        Assert.Equal("RpmHeaderInvalid", Assert.Throws<StagingException>(() => RpmHeaderReader.Read(new MemoryStream(foreign))).ErrorId);

        var badSig = (byte[])bytes.Clone();
        badSig[96] = 0;
        Assert.Contains("8e ad e8 01", Assert.Throws<StagingException>(() => RpmHeaderReader.Read(new MemoryStream(badSig))).Message);
    }

    private static (string, string, string) BuildNvr(RpmRow r)
    {
        using var conn = new NpgsqlConnection(SubsetTestData.ProdConnectionString);
        return conn.QuerySingle<(string, string, string)>(
            "SELECT p.name, b.version, b.release FROM rpminfo r JOIN build b ON b.id = r.build_id JOIN package p ON p.id = b.pkg_id WHERE r.id = @id", new { r.id });
    }
}
