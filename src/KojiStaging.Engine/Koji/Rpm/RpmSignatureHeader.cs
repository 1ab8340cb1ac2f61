using System.Buffers.Binary;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Koji.Rpm;

/// <summary>
/// What the start of an RPM file says about the whole file: the lead (96 bytes), then the signature
/// header (magic 8e ad e8 01, index entries, data store, padded to 8 bytes). Koji's
/// <c>rpminfo.payloadhash</c> is the hex of RPMSIGTAG_MD5 (1004): the MD5 of the main header plus the
/// payload, which a signed copy shares with its unsigned original.
/// </summary>
public sealed record RpmSignatureHeader(
    /// <summary>RPMSIGTAG_MD5 (1004) as lowercase hex, or null when the header has none.</summary>
    string? SigMd5,
    /// <summary>RPMSIGTAG_SIZE (1000) or RPMSIGTAG_LONGSIZE (270): bytes of main header + payload.</summary>
    long? HeaderAndPayloadSize,
    /// <summary>Offset of the main header: lead + signature header + padding.</summary>
    long MainHeaderOffset,
    IReadOnlyList<int> Tags)
{
    /// <summary>The size the whole file must have, when the signature header says how big header+payload are.</summary>
    public long? ExpectedFileSize => HeaderAndPayloadSize is { } s ? MainHeaderOffset + s : null;
}

/// <summary>Parses the RPM lead and signature header without any external tool.</summary>
public static class RpmHeaderReader
{
    public const int LeadSize = 96;
    public const int TagSize = 1000, TagMd5 = 1004, TagLongSize = 270;
    private const int MaxIndexEntries = 0x10000;
    private const int MaxStoreSize = 64 * 1024 * 1024;
    private static readonly byte[] LeadMagic = { 0xed, 0xab, 0xee, 0xdb };
    private static readonly byte[] HeaderMagic = { 0x8e, 0xad, 0xe8, 0x01 };

    public static RpmSignatureHeader ReadFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16384);
        return Read(fs, path);
    }

    /// <summary>Reads from the current position (the start of the file); leaves the stream at the main header.</summary>
    public static RpmSignatureHeader Read(Stream stream, string? name = null)
    {
        var what = name ?? "the RPM";
        var lead = new byte[LeadSize];
        ReadExactly(stream, lead, what, "lead");
        if (!lead.AsSpan(0, 4).SequenceEqual(LeadMagic))
            throw Bad(what, "it does not start with the RPM lead magic (ed ab ee db)");
        var sigType = BinaryPrimitives.ReadInt16BigEndian(lead.AsSpan(78, 2));
        if (sigType != 5)
            throw Bad(what, $"its lead names signature type {sigType}, not 5 (header-style signatures)");

        var intro = new byte[16];
        ReadExactly(stream, intro, what, "signature header");
        if (!intro.AsSpan(0, 4).SequenceEqual(HeaderMagic))
            throw Bad(what, "its signature header lacks the magic 8e ad e8 01");
        var nindex = BinaryPrimitives.ReadInt32BigEndian(intro.AsSpan(8, 4));
        var hsize = BinaryPrimitives.ReadInt32BigEndian(intro.AsSpan(12, 4));
        if (nindex is < 1 or > MaxIndexEntries || hsize is < 0 or > MaxStoreSize)
            throw Bad(what, $"its signature header is implausible ({nindex} entries, {hsize} bytes of data)");

        var index = new byte[nindex * 16];
        ReadExactly(stream, index, what, "signature index");
        var store = new byte[hsize];
        ReadExactly(stream, store, what, "signature store");
        var unpadded = LeadSize + 16L + index.Length + hsize;
        var padding = (int)((8 - unpadded % 8) % 8);
        if (padding > 0) ReadExactly(stream, new byte[padding], what, "signature padding");

        string? md5 = null;
        long? size = null, longSize = null;
        var tags = new List<int>(nindex);
        for (var i = 0; i < nindex; i++)
        {
            var e = index.AsSpan(i * 16, 16);
            var tag = BinaryPrimitives.ReadInt32BigEndian(e);
            var type = BinaryPrimitives.ReadInt32BigEndian(e[4..]);
            var offset = BinaryPrimitives.ReadInt32BigEndian(e[8..]);
            var count = BinaryPrimitives.ReadInt32BigEndian(e[12..]);
            tags.Add(tag);
            switch (tag)
            {
                case TagMd5 when type == 7 && count == 16 && InStore(offset, 16, hsize):
                    md5 = Convert.ToHexString(store, offset, 16).ToLowerInvariant();
                    break;
                case TagSize when type == 4 && count >= 1 && InStore(offset, 4, hsize):
                    size = BinaryPrimitives.ReadUInt32BigEndian(store.AsSpan(offset, 4));
                    break;
                case TagLongSize when type == 5 && count >= 1 && InStore(offset, 8, hsize):
                    longSize = BinaryPrimitives.ReadInt64BigEndian(store.AsSpan(offset, 8));
                    break;
            }
        }
        return new RpmSignatureHeader(md5, longSize ?? size, unpadded + padding, tags);
    }

    private static bool InStore(int offset, int length, int hsize) => offset >= 0 && offset + length <= hsize;

    private static void ReadExactly(Stream s, byte[] buffer, string what, string part)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = s.Read(buffer, read, buffer.Length - read);
            if (n == 0) throw Bad(what, $"it ends inside its {part} (truncated)");
            read += n;
        }
    }

    private static StagingException Bad(string what, string why) =>
        new("RpmHeaderInvalid", StagingErrorCategory.InvalidData, $"{what} is not a valid RPM: {why}.", what);
}
