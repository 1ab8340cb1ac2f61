using KojiStaging.TestServices;

namespace KojiStaging.Tests.Infrastructure;

/// <summary>
/// The fixture's production topdir unpacked once and bind-mounted read-only (mount --bind, then
/// mount -o remount,bind,ro), as an operator mounts prod's tree in staging. Root only (CI runs as root).
/// </summary>
public sealed class ProdTreeMount : IDisposable
{
    private readonly List<string> _mounts = new();

    public ProdTreeMount()
    {
        Root = Directory.CreateTempSubdirectory("ks-voltest-").FullName;
        ReadOnly = Path.Combine(Root, "prod-ro");
        try
        {
            Writable = Fixtures.ExtractTopDir(Path.Combine(Root, "prod"));
            BindReadOnly(Writable, ReadOnly);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Root { get; }
    /// <summary>The unpacked tree itself (writable).</summary>
    public string Writable { get; }
    /// <summary>The same tree through a read-only bind mount.</summary>
    public string ReadOnly { get; }

    public void BindReadOnly(string source, string target)
    {
        Directory.CreateDirectory(target);
        ProcessRunner.Run("mount", new[] { "--bind", source, target });
        _mounts.Add(target);
        ProcessRunner.Run("mount", new[] { "-o", "remount,bind,ro", target });
    }

    /// <summary>A fresh staging topdir for one test.</summary>
    public string NewStagingTopDir()
    {
        var top = Path.Combine(Root, "staging-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(top, "packages"));
        return top;
    }

    public void Dispose()
    {
        foreach (var m in Enumerable.Reverse(_mounts))
            try { ProcessRunner.Run("umount", new[] { m }); } catch { try { ProcessRunner.Run("umount", new[] { "-l", m }); } catch { } }
        try { Directory.Delete(Root, true); } catch { }
    }
}
