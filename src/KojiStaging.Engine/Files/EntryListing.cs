using System.Runtime.CompilerServices;

namespace KojiStaging.Engine.Files;

/// <summary>
/// One directory's entries as listed: what statx said, with each name kept as the NUL-terminated bytes
/// getdents64 returned, in one buffer a worker reuses for directory after directory. A no-change rerun
/// matches, opens and reads links by these bytes, and makes a string only for an entry it acts on or
/// descends into: most of a rerun's garbage (and the JIT's work on hot string code) was names.
/// </summary>
internal sealed class EntryListing
{
    private FsEntry[] _entries = new FsEntry[64]; // Name stays null: see NameString and Materialize
    private (int Start, int Length)[] _names = new (int, int)[64];
    private byte[] _bytes = new byte[4096];
    private int _used;

    public int Count { get; private set; }

    public ref readonly FsEntry this[int i] => ref _entries[i];

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    /// <summary>Adds an entry; <paramref name="entry"/>'s own name is ignored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<byte> name, in FsEntry entry)
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, Count * 2);
            Array.Resize(ref _names, Count * 2);
        }
        if (_used + name.Length + 1 > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + name.Length + 1));
        name.CopyTo(_bytes.AsSpan(_used));
        _bytes[_used + name.Length] = 0;
        _entries[Count] = entry with { Name = null! };
        _names[Count] = (_used, name.Length);
        _used += name.Length + 1;
        Count++;
    }

    /// <summary>The name's bytes, without the NUL.</summary>
    public ReadOnlySpan<byte> Name(int i)
    {
        var (start, length) = _names[i];
        return new ReadOnlySpan<byte>(_bytes, start, length);
    }

    /// <summary>The name's bytes with the NUL after them, for a system call relative to the open directory.</summary>
    public ReadOnlySpan<byte> NameZ(int i)
    {
        var (start, length) = _names[i];
        return new ReadOnlySpan<byte>(_bytes, start, length + 1);
    }

    public string NameString(int i) => RawName.Decode(Name(i));

    /// <summary>The entry with its name as a string, for the code paths that act on it.</summary>
    public FsEntry Materialize(int i) => _entries[i] with { Name = NameString(i) };

    /// <summary>Every entry, named, for callers that want a plain list.</summary>
    public void MaterializeInto(List<FsEntry> into)
    {
        for (var i = 0; i < Count; i++) into.Add(Materialize(i));
    }
}
