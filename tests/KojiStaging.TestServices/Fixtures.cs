namespace KojiStaging.TestServices;

/// <summary>Where the repository and its Koji fixtures (tests/fixtures/koji) are; KOJISTAGING_FIXTURES overrides.</summary>
public static class Fixtures
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string KojiDir { get; } =
        Environment.GetEnvironmentVariable("KOJISTAGING_FIXTURES") is { Length: > 0 } f
            ? f
            : Path.Combine(RepoRoot, "tests", "fixtures", "koji");

    public static string ProdSql => Path.Combine(KojiDir, "koji-prod.sql");
    public static string TopDirTarball => Path.Combine(KojiDir, "koji-prod-topdir.tar.gz");
    public static string XmlRpcDir => Path.Combine(KojiDir, "xmlrpc");

    /// <summary>Unpacks the fixture's topdir into <paramref name="parent"/> and returns the path of its koji/ folder.</summary>
    public static string ExtractTopDir(string parent)
    {
        Directory.CreateDirectory(parent);
        ProcessRunner.Run("tar", new[] { "-xzf", TopDirTarball, "-C", parent });
        var top = Path.Combine(parent, "koji");
        Directory.CreateDirectory(Path.Combine(top, "work"));
        return top;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KojiStaging.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
