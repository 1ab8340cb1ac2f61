using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KojiStaging.Engine.Files;

/// <summary>
/// One destination directory's entries, claimed by name as the source entries are matched to them; what no
/// source entry claims is what the source no longer has. A worker reuses one listing for directory after
/// directory, so nothing is allocated per directory. Small directories (a Koji tree has mostly a few entries
/// per directory) are searched linearly; a name index is built only above <see cref="IndexAbove"/> entries.
/// </summary>
internal sealed class DestinationListing
{
    private const int IndexAbove = 8;
    private Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private bool[] _claimed = new bool[64];
    private int _unclaimed;
    private bool _indexed;

    /// <summary>Filled by the directory read; then <see cref="Prepare"/>.</summary>
    public List<FsEntry> Entries { get; } = new();

    /// <summary>Entries no source entry has claimed (temporary files of interrupted runs never count).</summary>
    public int UnclaimedCount => _unclaimed;

    public void Clear()
    {
        Entries.Clear();
        _unclaimed = 0;
        if (!_indexed) return;
        // a big table is dropped rather than cleared for every small directory that follows
        if (_index.Count > 256) _index = new(StringComparer.Ordinal);
        else _index.Clear();
        _indexed = false;
    }

    /// <summary>Makes the entries read claimable; temporary names are claimed already (they are handled apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Prepare()
    {
        var entries = CollectionsMarshal.AsSpan(Entries);
        if (_claimed.Length < entries.Length) _claimed = new bool[Math.Max(entries.Length, _claimed.Length * 2)];
        _unclaimed = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var temp = CopyPlanner.IsTempName(entries[i].Name);
            _claimed[i] = temp;
            if (!temp) _unclaimed++;
        }
        _indexed = entries.Length > IndexAbove;
        if (_indexed)
            for (var i = 0; i < entries.Length; i++) _index[entries[i].Name] = i;
    }

    /// <summary>The entry of that name, once: a second claim of the same name finds nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryClaim(string name, out FsEntry entry)
    {
        var entries = CollectionsMarshal.AsSpan(Entries);
        var i = -1;
        if (_indexed)
        {
            if (!_index.TryGetValue(name, out i)) i = -1;
        }
        else
            for (var j = 0; j < entries.Length; j++)
                if (string.Equals(entries[j].Name, name)) { i = j; break; }
        if (i < 0 || _claimed[i])
        {
            entry = default;
            return false;
        }
        _claimed[i] = true;
        _unclaimed--;
        entry = entries[i];
        return true;
    }

    public bool IsClaimed(int i) => _claimed[i];
}
