using System.Security.Cryptography;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Files;

/// <summary>Real directory trees under a temp dir, and an independent view of them through GNU find.</summary>
internal sealed class TreeFixture : IDisposable
{
    public TreeFixture(string name = "ks-copy")
    {
        Root = Directory.CreateTempSubdirectory(name).FullName;
        Source = Path.Combine(Root, "src");
        Destination = Path.Combine(Root, "dst");
        Directory.CreateDirectory(Source);
    }

    public string Root { get; }
    public string Source { get; }
    public string Destination { get; }

    public string Src(string rel) => Path.Combine(Source, rel);
    public string Dst(string rel) => Path.Combine(Destination, rel);

    public string WriteFile(string rel, int size, int seed = 1, string? mode = null, string? mtime = null)
    {
        var path = Src(rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
        if (mode is not null) Run("chmod", mode, path);
        if (mtime is not null) Run("touch", "-h", "-d", mtime, path);
        return path;
    }

    public static void Run(string file, params string[] args) => ProcessRunner.Run(file, args);

    public VolumeCopySummary Copy(bool delete = false, bool verify = false, bool whatIf = false, int threads = 4,
        string[]? include = null, string? source = null, List<StagingException>? errors = null, CancellationToken ct = default,
        bool force = false)
    {
        var options = new VolumeCopyOptions
        {
            Source = source ?? Source,
            Destination = Destination,
            Delete = delete,
            Verify = verify,
            WhatIf = whatIf,
            Force = force,
            ThrottleLimit = threads,
            Include = include ?? Array.Empty<string>(),
            OnFileError = e => { lock (errors ?? new List<StagingException>()) errors?.Add(e); },
        };
        return new VolumeCopier().Run(options, EngineScope.Silent(ct));
    }

    /// <summary>
    /// Every entry as "type mode size mtime(ns) target sha256 link-group", from find(1) rather than our own
    /// interop; hardlinks are named by the first path of their inode, so equal snapshots mean equal link structure.
    /// </summary>
    public static SortedDictionary<string, string> Snapshot(string root, bool withInodes = false)
    {
        var lines = ProcessRunner.Run("find", new[] { root, "-mindepth", "1", "-printf", "%P\\0%y\\0%m\\0%s\\0%T@\\0%l\\0%i\\0%n\\0%U:%G\\n" })
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\0')).OrderBy(f => f[0], StringComparer.Ordinal).ToList();
        var firstOfInode = new Dictionary<string, string>();
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in lines)
        {
            var (rel, type, mode, size, mtime, target, ino, nlink, owner) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
            if (rel == VolumeMarker.FileName) continue;
            var group = "";
            if (type == "f" && int.Parse(nlink) > 1)
            {
                if (!firstOfInode.TryGetValue(ino, out var first)) firstOfInode[ino] = first = rel;
                group = $"links={nlink} group={first}";
            }
            var hash = type == "f" ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, rel)))) : "";
            result[rel] = $"{type} {(type == "l" ? "" : mode)} {(type == "d" ? "" : size)} {mtime} {target} {hash} {group} {owner}" + (withInodes ? $" ino={ino}" : "");
        }
        return result;
    }

    public static void AssertSameTree(string expected, string actual)
    {
        var a = Snapshot(expected);
        var b = Snapshot(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(a[k] == b[k], $"{k}: source '{a[k]}' but destination '{b[k]}'");
        Assert.Equal(TopDirectory(expected), TopDirectory(actual));
    }

    /// <summary>Mode and mtime of the tree's top directory itself, which <see cref="Snapshot"/> leaves out.</summary>
    public static string TopDirectory(string root) => ProcessRunner.Run("find", new[] { root, "-maxdepth", "0", "-printf", "%m %T@" });

    public static (ulong Ino, uint Nlink) Inode(string path)
    {
        var parts = ProcessRunner.Run("stat", new[] { "-c", "%i %h", path }).Trim().Split(' ');
        return (ulong.Parse(parts[0]), uint.Parse(parts[1]));
    }

    public static string[] TempFiles(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*" + CopyPlanner.TempSuffix, SearchOption.AllDirectories).ToArray();

    /// <summary>What this process still has open inside the fixture (a run must close every directory it opened).</summary>
    public string[] OpenHandles() =>
        Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Where(target => target is not null && (target == Root || target.StartsWith(Root + "/", StringComparison.Ordinal)))
            .ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
