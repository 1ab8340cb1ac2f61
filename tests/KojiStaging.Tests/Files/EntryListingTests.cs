using KojiStaging.Engine.Files;

namespace KojiStaging.Tests.Files;

/// <summary>Directory reads on this machine's file system, through the same call the mirror walk uses.</summary>
public class EntryListingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kojistaging-listing-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(3, 40)]
    [InlineData(5000, 200)] // several getdents64 buffers' worth
    public void Lists_every_entry_once_whatever_the_directory_size(int count, int nameLength)
    {
        var dir = Path.Combine(_root, $"d{count}");
        Directory.CreateDirectory(dir);
        var expected = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            var name = i.ToString("D6").PadRight(nameLength, 'x');
            File.WriteAllBytes(Path.Combine(dir, name), new byte[i % 7]);
            expected.Add(name);
        }

        var listed = new List<FsEntry>();
        Assert.True(NativeFs.ReadDirectory(dir, listed));

        Assert.Equal(expected.OrderBy(n => n, StringComparer.Ordinal), listed.Select(e => e.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(listed, e => Assert.Equal(int.Parse(e.Name[..6]) % 7, e.Size));
    }

    [Fact]
    public void A_reused_listing_keeps_names_and_entries_together_across_growth()
    {
        var listing = new EntryListing();
        for (var round = 0; round < 2; round++)
        {
            listing.Clear();
            for (var i = 0; i < 3000; i++)
                listing.Add(System.Text.Encoding.UTF8.GetBytes($"name-{round}-{i}"), new FsEntry("x", EntryKind.File, 0x1A4, 0, 0, 1, 1, (ulong)i, i, 0, 0));
            Assert.Equal(3000, listing.Count);
            for (var i = 0; i < 3000; i += 97)
            {
                var e = listing.Materialize(i);
                Assert.Equal(($"name-{round}-{i}", (long)i), (e.Name, e.Size));
            }
        }
    }
}
