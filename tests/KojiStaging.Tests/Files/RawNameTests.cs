using System.Text;
using KojiStaging.Engine.Files;

namespace KojiStaging.Tests.Files;

public class RawNameTests
{
    public static TheoryData<byte[]> Names => new()
    {
        Encoding.UTF8.GetBytes("hello-2.12-1.fc41.x86_64.rpm"),
        Encoding.UTF8.GetBytes("caf\u00e9-\U0001F600.rpm"),      // valid UTF-8, a pair included
        new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9, 0xFF }, // Latin-1 é and a byte never valid in UTF-8
        new byte[] { 0xED, 0xB2, 0x80 },                              // UTF-8 of a lone surrogate: invalid, escaped byte by byte
        new byte[] { 0xC3 },                                          // a truncated sequence
        new byte[] { 0xF0, 0x9F, 0x98 },                              // a truncated 4-byte sequence
        new byte[] { 0x80, (byte)'x', 0xC3, 0xA9, 0xFE },             // invalid, ASCII, valid é, invalid
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_byte_sequence_round_trips(byte[] bytes)
    {
        var name = RawName.Decode(bytes);
        Assert.Equal(bytes, RawName.Encode(name));
        Assert.Equal(bytes.Length, RawName.GetByteCount(name));
        var z = NativeFs.Z(name);
        Assert.Equal(bytes, z[..^1].ToArray());
        Assert.Equal(0, z[^1]);
    }

    [Fact]
    public void Valid_UTF8_decodes_as_usual_and_invalid_bytes_become_lone_surrogates()
    {
        Assert.Equal("caf\u00e9", RawName.Decode(Encoding.UTF8.GetBytes("caf\u00e9")));
        Assert.Equal("caf\uDCE9\uDCFF", RawName.Decode(new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9, 0xFF }));
    }

    [Fact]
    public void A_listed_name_keeps_its_bytes()
    {
        var listing = new EntryListing();
        var raw = new byte[] { (byte)'d', 0xE9, 0xFF };
        listing.Add(raw, default);
        Assert.Equal(raw, RawName.Encode(listing.NameString(0)));
        Assert.Equal(raw, RawName.Encode(listing.Materialize(0).Name));
    }
}
