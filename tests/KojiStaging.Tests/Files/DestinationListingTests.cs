using System.Text;
using KojiStaging.Engine.Files;

namespace KojiStaging.Tests.Files;

public class DestinationListingTests
{
    private static void Add(DestinationListing listing, string name, long size = 1) =>
        listing.Entries.Add(Encoding.UTF8.GetBytes(name), new FsEntry("ignored", EntryKind.File, 0x1A4, 0, 0, 1, 1, 1, size, 0, 0));

    private static int Claim(DestinationListing listing, string name) => listing.TryClaim(Encoding.UTF8.GetBytes(name));

    [Theory]
    [InlineData(3)]   // searched linearly
    [InlineData(500)] // through the name index
    public void Claims_each_name_once_and_leaves_what_the_source_no_longer_has(int count)
    {
        var listing = new DestinationListing();
        for (var i = 0; i < count; i++) Add(listing, $"f{i}", i);
        Add(listing, ".f0" + CopyPlanner.TempSuffix);
        listing.Prepare();
        Assert.Equal(count, listing.UnclaimedCount); // a temporary file is never an entry to match or delete
        Assert.Equal(1, listing.TemporaryCount);
        Assert.True(listing.IsTemporary(count));

        var i1 = Claim(listing, "f1");
        Assert.True(i1 >= 0);
        Assert.Equal(("f1", 1L), (listing.Entries.Materialize(i1).Name, listing.Entries[i1].Size));
        Assert.Equal(-1, Claim(listing, "f1"));
        Assert.Equal(-1, Claim(listing, "missing"));
        Assert.Equal(-1, Claim(listing, "f"));   // a prefix of a name is not the name
        Assert.Equal(-1, Claim(listing, "f10x"));
        Assert.Equal(-1, Claim(listing, ".f0" + CopyPlanner.TempSuffix));
        Assert.Equal(count - 1, listing.UnclaimedCount);
        var unclaimed = Enumerable.Range(0, listing.Entries.Count).Where(i => !listing.IsClaimed(i)).Select(i => listing.Entries.NameString(i)).ToList();
        Assert.Equal(count - 1, unclaimed.Count);
        Assert.DoesNotContain("f1", unclaimed);
    }

    [Fact]
    public void Names_are_matched_by_their_bytes_whatever_their_script()
    {
        var listing = new DestinationListing();
        string[] names = ["kernel-6.1.x86_64.rpm", "ünïcödé", "日本語.log", "a b", new string('n', 255)];
        foreach (var n in names) Add(listing, n);
        for (var i = 0; i < 20; i++) Add(listing, $"pad{i}");
        listing.Prepare();
        foreach (var n in names)
        {
            var i = Claim(listing, n);
            Assert.True(i >= 0, n);
            Assert.Equal(n, listing.Entries.NameString(i));
            Assert.Equal(0, listing.Entries.NameZ(i)[^1]);
        }
        Assert.Equal(-1, Claim(listing, "unicode"));
    }

    [Fact]
    public void A_reused_listing_forgets_the_previous_directory()
    {
        var listing = new DestinationListing();
        for (var i = 0; i < 300; i++) Add(listing, $"big{i}");
        listing.Prepare();
        Assert.True(Claim(listing, "big7") >= 0);

        listing.Clear();
        Add(listing, "small");
        listing.Prepare();
        Assert.Equal(-1, Claim(listing, "big8"));
        Assert.True(Claim(listing, "small") >= 0);
        Assert.Equal(0, listing.UnclaimedCount);

        listing.Clear();
        for (var i = 0; i < 20; i++) Add(listing, $"mid{i}");
        listing.Prepare();
        Assert.Equal(-1, Claim(listing, "big9"));
        Assert.True(Claim(listing, "mid19") >= 0);
        Assert.Equal(19, listing.UnclaimedCount);
    }
}
