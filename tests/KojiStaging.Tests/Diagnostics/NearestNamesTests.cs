using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Tests.Diagnostics;

public sealed class NearestNamesTests
{
    private static readonly string[] Keys = { "Host", "Port", "Database", "Username", "Password", "Timeout", "SSL Mode", "Pooling" };

    [Theory]
    [InlineData("host", "host", 0)]
    [InlineData("hots", "host", 1)]        // one adjacent swap, not two substitutions
    [InlineData("hst", "host", 1)]
    [InlineData("hosts", "host", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("ca", "abc", 3)]           // optimal string alignment: a swapped pair is not edited again
    public void Distance_counts_insertions_deletions_substitutions_and_adjacent_swaps(string a, string b, int expected) =>
        Assert.Equal(expected, NearestNames.Distance(a, b));

    [Fact]
    public void Finds_the_nearest_known_names_case_insensitively()
    {
        Assert.Equal(new[] { "Host" }, NearestNames.Find("hots", Keys));
        Assert.Equal(new[] { "Database" }, NearestNames.Find("Databse", Keys));
        Assert.Equal(new[] { "Username" }, NearestNames.Find("usrename", Keys));
        Assert.Equal(new[] { "Password" }, NearestNames.Find("PASSWROD", Keys));
    }

    [Fact]
    public void Nothing_is_suggested_when_nothing_is_close()
    {
        Assert.Empty(NearestNames.Find("frobnicate", Keys));
        Assert.Empty(NearestNames.Find("", Keys));
        Assert.Equal("", NearestNames.DidYouMean("zzz", Keys));
    }

    [Fact]
    public void A_name_that_contains_the_typed_text_counts_and_ties_are_ordered_by_name()
    {
        // f39 is two edits from f40: too far for a three-letter name
        Assert.Equal(new[] { "f40-build", "f40-updates" }, NearestNames.Find("f40", new[] { "f40-updates", "f40-build", "f39" }));
        Assert.Equal(new[] { "f41", "f42" }, NearestNames.Find("f40", new[] { "f42", "f41", "rawhide" }));
        // within the distance first, then names that contain the typed text
        Assert.Equal(new[] { "f41", "f40-build" }, NearestNames.Find("f40", new[] { "f40-build", "f41" }));
    }

    [Fact]
    public void At_most_max_names_are_given_and_duplicates_once()
    {
        var near = NearestNames.Find("tag1", new[] { "tag1", "TAG1", "tag2", "tag3", "tag4", "tag5" }, max: 3);
        Assert.Equal(3, near.Count);
        Assert.Equal("tag1", near[0]);
        Assert.Single(near, n => n.Equals("tag1", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void DidYouMean_reads_as_a_sentence()
    {
        Assert.Equal(" Did you mean 'Host'?", NearestNames.DidYouMean("hots", Keys));
        Assert.Equal(" Did you mean 'f41' or 'f42'?", NearestNames.DidYouMean("f40", new[] { "f42", "f41" }));
        Assert.Equal(" Did you mean 'a1', 'a2' or 'a3'?", NearestNames.DidYouMean("a0", new[] { "a3", "a1", "a2" }));
    }
}
