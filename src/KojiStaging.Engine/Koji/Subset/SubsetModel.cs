namespace KojiStaging.Engine.Koji.Subset;

/// <summary>What to copy: tags, the event, and the filters of Copy-KojiSubset.</summary>
public sealed record SubsetOptions
{
    public required IReadOnlyList<string> Tags { get; init; }
    /// <summary>The prod event to copy at; null = the hub's last event, read once at the start.</summary>
    public int? Event { get; init; }
    /// <summary>Follow each tag's inheritance when selecting builds (listTagged inherit=True).</summary>
    public bool Inherit { get; init; } = true;
    /// <summary>Only the latest build of each package (listTagged latest=True, what pungi uses).</summary>
    public bool Latest { get; init; } = true;
    /// <summary>Signing keys whose signature rows, cached signature headers and signed copies to bring; "*" = every key prod has;
    /// empty = unsigned only. The empty sigkey (the unsigned header Koji caches at import) always comes along.</summary>
    public IReadOnlyList<string> SigKeys { get; init; } = Array.Empty<string>();
    /// <summary>RPM arches to copy (exact values, e.g. x86_64, noarch, src); empty = all.</summary>
    public IReadOnlyList<string> Arches { get; init; } = Array.Empty<string>();
    /// <summary>Package names to copy; empty = all.</summary>
    public IReadOnlyList<string> Packages { get; init; } = Array.Empty<string>();
}

/// <summary>Rows of one staging table, in column order, with how they are merged into staging.</summary>
public sealed class SubsetTable(string name, string[] columns, string[] key, SubsetMerge merge)
{
    public string Name { get; } = name;
    public string[] Columns { get; } = columns;
    /// <summary>The columns that identify a row (the table's primary key or unique key used for merging).</summary>
    public string[] Key { get; } = key;
    public SubsetMerge Merge { get; } = merge;
    public List<object?[]> Rows { get; } = new();
    private readonly HashSet<string> _seen = new();

    /// <summary>Adds a row once (by key).</summary>
    public void Add(params object?[] row)
    {
        var k = string.Join('\u001f', Key.Select(c => row[Array.IndexOf(Columns, c)]?.ToString() ?? "\u0000"));
        if (_seen.Add(k)) Rows.Add(row);
    }
}

public enum SubsetMerge
{
    /// <summary>Insert rows that are not there yet; rows already present stay as they are.</summary>
    InsertMissing,
    /// <summary>Insert, or update the non-key columns of a row already present (e.g. a build's state).</summary>
    Upsert,
    /// <summary>Koji versioned rows: update the revoke columns of rows present, then insert the missing ones.</summary>
    Versioned,
}

/// <summary>One build of the subset and the files it brings.</summary>
public sealed record SubsetBuild(int Id, string Nvr, string PackageName, string Version, string Release, string? Volume,
    IReadOnlyList<SubsetRpm> Rpms);

public sealed record SubsetRpm(int Id, string Name, string Version, string Release, string Arch, string PayloadHash, long Size,
    IReadOnlyList<string> SignedWith)
{
    /// <summary>The signature rows copied (chosen keys and the empty key): each has its header under data/sigcache.</summary>
    public IReadOnlyList<SubsetSigCache> SigCache { get; init; } = Array.Empty<SubsetSigCache>();
}

/// <summary>One rpmsigs row: its cached header data/sigcache/[key/]arch/nvra.rpm.sig has MD5 <paramref name="SigHash"/>.</summary>
public sealed record SubsetSigCache(string SigKey, string SigHash);

/// <summary>Everything one run copies: table rows (prod ids kept) and the builds whose files come along.</summary>
public sealed class SubsetSnapshot
{
    public required int Event { get; init; }
    public required double EventTs { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required IReadOnlyList<string> ClosureTags { get; init; }
    public required IReadOnlyList<SubsetTable> Tables { get; init; }
    public required IReadOnlyList<SubsetBuild> Builds { get; init; }
    public int RoundTrips { get; set; }
    /// <summary>Prod's highest task id (listTasks), the base staging's moved sequences start above.</summary>
    public long ProdNewestTask { get; init; }
    public int RowCount => Tables.Sum(t => t.Rows.Count);
}
