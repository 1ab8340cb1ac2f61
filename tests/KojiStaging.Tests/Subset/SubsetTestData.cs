using KojiStaging.Tests.Infrastructure;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Subset;

/// <summary>Shared by the snapshotter tests: the fixture's file tree (unpacked once) and a prod database.</summary>
public static class SubsetTestData
{
    private static readonly Lazy<string> TopDirLazy = new(() =>
    {
        var parent = TestTempPaths.For("subset-top");
        if (Directory.Exists(parent)) Directory.Delete(parent, true);
        var top = Fixtures.ExtractTopDir(parent);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(parent, true); } catch (IOException) { } };
        return top;
    });

    private static readonly Lazy<string> ProdLazy = new(() => TestClusters.Prod.CreateFixtureDatabase(TestClusters.UniqueName("subset_prod")));

    /// <summary>The fixture topdir (koji/ with packages/…); read-only by convention.</summary>
    public static string TopDir => TopDirLazy.Value;

    /// <summary>Connection string of a shared, read-only-by-convention prod fixture database.</summary>
    public static string ProdConnectionString => ProdLazy.Value;

    public static string NewTempDir(string prefix)
    {
        var dir = TestTempPaths.For(prefix, unique: true);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
