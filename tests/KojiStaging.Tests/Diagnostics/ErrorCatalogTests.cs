using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Diagnostics;

/// <summary>
/// The error catalog is the one list of ids: every id raised in the sources is in it with the category it is raised
/// with, every entry says what it means, every entry is provoked by some test, and docs/errors.md is rendered from it.
/// </summary>
public sealed class ErrorCatalogTests
{
    private static readonly string Src = Path.Combine(Fixtures.RepoRoot, "src");
    private static readonly string Tests = Path.Combine(Fixtures.RepoRoot, "tests");

    /// <summary>Ids with no test yet, each with why: the list may only shrink (an id listed here that a test names fails too).</summary>
    private static readonly Dictionary<string, string> NotYetProvoked = new()
    {
        ["UnexpectedError"] = "the fallback for exceptions the module does not translate; a test that provokes it is a bug report",
        ["SourceServerUnsupported"] = "needs a production server older than PostgreSQL 10; the harness runs only the releases Debian ships",
        ["DestinationReadOnly"] = "needs the destination remounted read-only half-way through a copy (EROFS on write)",
        ["DestinationWriteFailed"] = "needs an I/O error other than ENOSPC/EROFS/EACCES on the destination (EIO from a failing disk)",
        ["SourceReadFailed"] = "needs an I/O error other than EACCES while reading the source (EIO from a failing disk)",
        ["HardlinkSourceFailed"] = "needs the first name of a hard-link group to fail to copy while the others are queued",
        ["VerifyFailed"] = "needs a destination that changes a file again between its copy and -Verify's read",
        ["CopyAborted"] = "needs a worker to die of a fault other than the ones with their own ids",
        ["DestinationTypeConflict"] = "needs a staging tree written by an earlier copy and then changed by hand under an -Include",
        ["LocalMountFailed"] = "needs mount(8) to refuse an overlay the checks before it accepted (a kernel without overlayfs)",
        ["LocalUnmountFailed"] = "needs umount(8) to fail for a reason other than a busy mount",
        ["OntapPermissionDenied"] = "the ONTAP emulator has one user with every right (no HTTP 403)",
        ["OntapPagingLoop"] = "needs an ONTAP that returns the same next link forever; the emulator pages correctly",
        ["KojiBuildNotFound"] = "needs a hub whose tag history names builds it does not serve; the emulator serves a consistent prod",
        ["KojiUserNotFound"] = "needs a hub whose rows name users it does not serve; the emulator serves a consistent prod",
        ["SubsetRowInvalid"] = "needs a hub value that staging's column type cannot store; the emulator serves prod's own rows",
        ["SourceFileUnavailable"] = "needs a topurl answering an HTTP error other than 404 for an RPM",
        ["FollowerNeedsPg15"] = "needs a production older than PostgreSQL 15 with wal_level = logical; the follower suite's prod is Debian's 15+",
        ["FollowerPublicationMismatch"] = "needs the DBA to have altered the module's publication by hand",
        ["FollowerSlotMissing"] = "needs the slot dropped on production while the subscription still names it",
        ["FollowerApplyFailed"] = "needs an apply error on the staging side (a conflicting row); schema drift is caught earlier by the fingerprint",
        ["FollowerBehind"] = "needs a follower that cannot catch up within -FollowerTimeout while its worker runs",
        ["FollowerWorkerBusy"] = "needs an apply worker that ignores the subscription being disabled",
        ["FollowerInUse"] = "needs another role's session on the follower database that the staging role may not end",
        ["SystemctlFailed"] = "needs systemctl, which the test machine lacks (tests use -UnitDirectory, which never calls it)",
    };

    private sealed record Raise(string Id, string Category, string File);

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    /// <summary>Where ids are raised, as written in the sources: literal ids with a literal category, and the few helpers that take an id.</summary>
    private static List<Raise> RaisedIds()
    {
        var files = SourceFiles().Select(f => (Name: Path.GetFileName(f), Text: File.ReadAllText(f))).ToList();
        var constants = files.SelectMany(f => Regex.Matches(f.Text, @"const string (\w*ErrorId) = ""(\w+)""")).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var raises = new List<Raise>();
        foreach (var (name, text) in files)
        {
            void Add(string pattern, string? category = null)
            {
                foreach (Match m in Regex.Matches(text, pattern))
                    raises.Add(new Raise(m.Groups[1].Value, category ?? m.Groups[2].Value, name));
            }
            Add(@"""([A-Z]\w+)""\s*,\s*(?:Diagnostics\.)?(?:Staging)?ErrorCategory\.(\w+)");
            foreach (Match m in Regex.Matches(text, @"\b(\w*ErrorId)\s*,\s*(?:Diagnostics\.)?StagingErrorCategory\.(\w+)"))
                if (constants.TryGetValue(m.Groups[1].Value, out var id)) raises.Add(new Raise(id, m.Groups[2].Value, name));
            Add(@"ThrowInvalidArgument\(\s*""(\w+)""", "InvalidArgument");
            Add(@"ResyncConfigReader\.Invalid\(\s*""(\w+)""", "InvalidArgument");
            Add(@"EnsureStagingAsync\([^;]*?""(\w+)""\)", "SecurityError");
            Add(@"notStagingErrorId = ""(\w+)""", "SecurityError");
            if (name == "ResyncConfig.cs") Add(@"\bInvalid\(\s*""(\w+)""", "InvalidArgument");
            if (name == "VolumeCopyPaths.cs") Add(@"\bBad\(\s*""(\w+)""", "InvalidArgument");
            if (name == "OverlaySnapshotProvider.cs") Add(@"RunAsync\([^;]*?,\s*""(\w+)""\)", "InvalidOperation");
        }
        return raises;
    }

    [Fact]
    public void Every_raised_id_is_in_the_catalog_with_the_category_it_is_raised_with()
    {
        var raises = RaisedIds();
        Assert.True(raises.Count > 150, $"the scan found only {raises.Count} raise sites: are the patterns still right?");
        var problems = new List<string>();
        foreach (var r in raises)
        {
            var entry = ErrorCatalog.Find(r.Id);
            if (entry is null) problems.Add($"{r.Id} ({r.Category}, {r.File}) is not in ErrorCatalog");
            else if (!entry.Categories.Select(c => c.ToString()).Contains(r.Category))
                problems.Add($"{r.Id} is raised as {r.Category} in {r.File}, the catalog says {string.Join("/", entry.Categories)}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Ids_passed_through_a_variable_are_raised_only_by_the_helpers_the_scan_knows()
    {
        // Raising with an id from a variable hides it from the scan above; each helper that does is covered by a pattern there
        // (or, for Koji's fault classes, by KojiFaultIdTests), and a new one must be added to both lists.
        var known = new HashSet<(string, string)>
        {
            ("errorId", "OverlaySnapshotProvider.cs"), ("errorId", "KojiFaultException.cs"), ("notStagingErrorId", "StagingTargetGuard.cs"),
            ("id", "VolumeCopyPaths.cs"), ("id", "ResyncConfig.cs"), ("id", "KojiFaultException.cs"),
            ("UnreachableErrorId", "KojiHubClient.cs"), ("ProtocolErrorId", "XmlRpcReader.cs"),
        };
        var unknown = SourceFiles()
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"(?:Exception|\bnew|\bbase|\bthis)\(\s*([A-Za-z_][\w.]*)\s*,\s*(?:Diagnostics\.)?StagingErrorCategory\.")
                .Select(m => (m.Groups[1].Value, Path.GetFileName(f))))
            .Where(x => !known.Contains(x))
            .ToList();
        Assert.True(unknown.Count == 0, "ids raised through a variable the scan does not follow: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Every_entry_has_an_id_a_category_and_a_meaning()
    {
        Assert.True(ErrorCatalog.All.Count >= 150);
        Assert.Equal(ErrorCatalog.All.Count, ErrorCatalog.All.Select(e => e.Id).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var e in ErrorCatalog.All)
        {
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", e.Id);
            Assert.NotEmpty(e.Categories);
            Assert.Equal(e.Categories.Count, e.Categories.Distinct().Count());
            Assert.False(string.IsNullOrWhiteSpace(e.Area), e.Id);
            Assert.True(e.Meaning.Length >= 15 && e.Meaning.TrimEnd().EndsWith('.'), $"{e.Id}: '{e.Meaning}' is not a sentence");
        }
        // NotSpecified only where the module truly cannot know (an unknown hub fault, the bug fallback)
        Assert.Equal(new[] { "KojiFault", "UnexpectedError" }, ErrorCatalog.All.Where(e => e.Categories.Contains(StagingErrorCategory.NotSpecified)).Select(e => e.Id).Order());
    }

    [Fact]
    public void Every_entry_is_provoked_by_a_test()
    {
        var self = Path.GetFileName(nameof(ErrorCatalogTests) + ".cs");
        var text = string.Join("\n", Directory.EnumerateFiles(Tests, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs") || f.EndsWith(".ps1") || f.EndsWith(".psm1") || f.EndsWith(".psd1"))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => Path.GetFileName(f) != self)
            .Select(File.ReadAllText));
        bool Named(string id) => Regex.IsMatch(text, $@"(?<![A-Za-z0-9]){id}(?![A-Za-z0-9])");
        var missing = ErrorCatalog.All.Where(e => !NotYetProvoked.ContainsKey(e.Id) && !Named(e.Id)).Select(e => e.Id).ToList();
        var nowTested = NotYetProvoked.Keys.Where(Named).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} catalog ids no test provokes: {string.Join(", ", missing)}");
        Assert.True(nowTested.Count == 0, $"now provoked by a test, so remove from NotYetProvoked: {string.Join(", ", nowTested)}");
        Assert.All(NotYetProvoked.Keys, id => Assert.NotNull(ErrorCatalog.Find(id)));
    }

    [Fact]
    public void Docs_errors_md_is_rendered_from_the_catalog()
    {
        var path = Path.Combine(Fixtures.RepoRoot, "docs", "errors.md");
        var rendered = ErrorCatalog.ToMarkdown();
        if (Environment.GetEnvironmentVariable("KOJISTAGING_UPDATE_DOCS") == "1") File.WriteAllText(path, rendered);
        Assert.True(File.Exists(path), "docs/errors.md is missing");
        Assert.Equal(rendered, File.ReadAllText(path));
        Assert.All(ErrorCatalog.All, e => Assert.Contains($"| `{e.Id}` |", rendered));
    }
}
