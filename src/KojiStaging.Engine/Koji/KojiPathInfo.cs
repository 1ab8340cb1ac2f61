namespace KojiStaging.Engine.Koji;

/// <summary>
/// Koji's file layout (koji.pathinfo): where a build, an RPM, a signed copy or a signature cache entry
/// lives under a topdir (or, with a URL root, under a topurl). DEFAULT volume = topdir itself,
/// any other volume = topdir/vol/&lt;name&gt;.
/// </summary>
public sealed class KojiPathInfo
{
    public const string DefaultVolume = "DEFAULT";

    public KojiPathInfo(string topDir) => TopDir = topDir.TrimEnd('/');

    public string TopDir { get; }

    public string VolumeDir(string? volume) =>
        string.IsNullOrEmpty(volume) || volume == DefaultVolume ? TopDir : $"{TopDir}/vol/{volume}";

    public string BuildDir(string name, string version, string release, string? volume = null) =>
        $"{VolumeDir(volume)}/packages/{name}/{version}/{release}";

    public static string RpmFileName(string name, string version, string release, string arch) =>
        $"{name}-{version}-{release}.{arch}.rpm";

    /// <summary>builddir/arch/nvra.rpm</summary>
    public static string Rpm(string buildDir, string name, string version, string release, string arch) =>
        $"{buildDir}/{arch}/{RpmFileName(name, version, release, arch)}";

    /// <summary>builddir/data/signed/sigkey/arch/nvra.rpm</summary>
    public static string Signed(string buildDir, string name, string version, string release, string arch, string sigKey) =>
        $"{buildDir}/data/signed/{sigKey}/{arch}/{RpmFileName(name, version, release, arch)}";

    /// <summary>builddir/data/sigcache/[sigkey/]arch/nvra.rpm.sig (the empty sigkey is the unsigned header).</summary>
    public static string SigCache(string buildDir, string name, string version, string release, string arch, string sigKey) =>
        sigKey.Length == 0
            ? $"{buildDir}/data/sigcache/{arch}/{RpmFileName(name, version, release, arch)}.sig"
            : $"{buildDir}/data/sigcache/{sigKey}/{arch}/{RpmFileName(name, version, release, arch)}.sig";

    /// <summary>The compatibility link Koji keeps for a build on another volume: topdir/packages/N/V/R → ../../../vol/X/packages/N/V/R.</summary>
    public static string CompatLinkTarget(string name, string version, string release, string volume) =>
        $"../../../vol/{volume}/packages/{name}/{version}/{release}";
}
