using KojiStaging.Engine.Files;

namespace KojiStaging.Tests.Files;

public class DestinationListingTests
{
    private static FsEntry Entry(string name, long size = 1) => new(name, EntryKind.File, 0x1A4, 0, 0, 1, 1, 1, size, 0, 0);

    [Theory]
    [InlineData(3)]   // searched linearly
    [InlineData(500)] // through the name index
    public void Claims_each_name_once_and_leaves_what_the_source_no_longer_has(int count)
    {
        var listing = new DestinationListing();
        for (var i = 0; i < count; i++) listing.Entries.Add(Entry($"f{i}", i));
        listing.Entries.Add(Entry(".f0" + CopyPlanner.TempSuffix));
        listing.Prepare();
        Assert.Equal(count, listing.UnclaimedCount); // a temporary file is never an entry to match or delete

        Assert.True(listing.TryClaim("f1", out var e));
        Assert.Equal(("f1", 1L), (e.Name, e.Size));
        Assert.False(listing.TryClaim("f1", out _));
        Assert.False(listing.TryClaim("missing", out _));
        Assert.False(listing.TryClaim(".f0" + CopyPlanner.TempSuffix, out _));
        Assert.Equal(count - 1, listing.UnclaimedCount);
        var unclaimed = Enumerable.Range(0, listing.Entries.Count).Where(i => !listing.IsClaimed(i)).Select(i => listing.Entries[i].Name).ToList();
        Assert.Equal(count - 1, unclaimed.Count);
        Assert.DoesNotContain("f1", unclaimed);
    }

    [Fact]
    public void A_reused_listing_forgets_the_previous_directory()
    {
        var listing = new DestinationListing();
        for (var i = 0; i < 300; i++) listing.Entries.Add(Entry($"big{i}"));
        listing.Prepare();
        Assert.True(listing.TryClaim("big7", out _));

        listing.Clear();
        listing.Entries.Add(Entry("small"));
        listing.Prepare();
        Assert.False(listing.TryClaim("big8", out _));
        Assert.True(listing.TryClaim("small", out _));
        Assert.Equal(0, listing.UnclaimedCount);

        listing.Clear();
        for (var i = 0; i < 20; i++) listing.Entries.Add(Entry($"mid{i}"));
        listing.Prepare();
        Assert.False(listing.TryClaim("big9", out _));
        Assert.True(listing.TryClaim("mid19", out _));
        Assert.Equal(19, listing.UnclaimedCount);
    }
}
