using System.Runtime.CompilerServices;

namespace KojiStaging.Engine.Files;

/// <summary>
/// One destination directory's entries, claimed by name as the source entries are matched to them; what no
/// source entry claims is what the source no longer has. A worker reuses one listing for directory after
/// directory, so nothing is allocated per directory. Names are compared as the bytes the directory read
/// returned. Small directories (a Koji tree has mostly a few entries per directory) are searched linearly;
/// a hash index over the names is built only above <see cref="IndexAbove"/> entries.
/// </summary>
internal sealed class DestinationListing
{
    private const int IndexAbove = 8;
    private bool[] _claimed = new bool[64];
    private int[] _slots = new int[64]; // open addressing: entry index + 1, 0 = empty
    private int _unclaimed;
    private bool _indexed;

    /// <summary>Filled by the directory read; then <see cref="Prepare"/>.</summary>
    public EntryListing Entries { get; } = new();

    /// <summary>Entries no source entry has claimed (temporary files of interrupted runs never count).</summary>
    public int UnclaimedCount => _unclaimed;

    /// <summary>Temporary files of interrupted runs among the entries.</summary>
    public int TemporaryCount { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Clear()
    {
        Entries.Clear();
        _unclaimed = 0;
        TemporaryCount = 0;
        _indexed = false;
    }

    /// <summary>Makes the entries read claimable; temporary names are claimed already (they are handled apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Prepare()
    {
        var count = Entries.Count;
        if (_claimed.Length < count) _claimed = new bool[Math.Max(count, _claimed.Length * 2)];
        _unclaimed = 0;
        TemporaryCount = 0;
        for (var i = 0; i < count; i++)
        {
            var temp = CopyPlanner.IsTempName(Entries.Name(i));
            _claimed[i] = temp;
            if (temp) TemporaryCount++;
            else _unclaimed++;
        }
        _indexed = count > IndexAbove;
        if (_indexed) BuildIndex(count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildIndex(int count)
    {
        var size = _slots.Length;
        while (size < count * 2) size *= 2;
        if (size != _slots.Length) _slots = new int[size];
        else Array.Clear(_slots);
        for (var i = 0; i < count; i++)
        {
            var slot = Hash(Entries.Name(i)) & (size - 1);
            while (_slots[slot] != 0) slot = (slot + 1) & (size - 1);
            _slots[slot] = i + 1;
        }
    }

    /// <summary>FNV-1a: names in one directory are short and share long prefixes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Hash(ReadOnlySpan<byte> name)
    {
        var h = 2166136261u;
        foreach (var b in name) h = (h ^ b) * 16777619u;
        return (int)(h ^ (h >> 15));
    }

    /// <summary>The index of the entry of that name, once: a second claim of the same name finds nothing (-1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int TryClaim(ReadOnlySpan<byte> name)
    {
        var i = _indexed ? Find(name) : FindLinear(name);
        if (i < 0 || _claimed[i]) return -1;
        _claimed[i] = true;
        _unclaimed--;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindLinear(ReadOnlySpan<byte> name)
    {
        for (var j = 0; j < Entries.Count; j++)
            if (Entries.Name(j).SequenceEqual(name)) return j;
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Find(ReadOnlySpan<byte> name)
    {
        var mask = _slots.Length - 1;
        for (var slot = Hash(name) & mask; _slots[slot] != 0; slot = (slot + 1) & mask)
            if (Entries.Name(_slots[slot] - 1).SequenceEqual(name)) return _slots[slot] - 1;
        return -1;
    }

    public bool IsClaimed(int i) => _claimed[i];

    public bool IsTemporary(int i) => CopyPlanner.IsTempName(Entries.Name(i));
}
