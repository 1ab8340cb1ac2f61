using KojiStaging.Engine.Koji;

namespace KojiStaging.Tests.Koji;

public class KojiPathInfoTests
{
    [Fact]
    public void Paths_follow_koji_layout_and_match_the_fixture_tree()
    {
        var top = KojiStaging.TestServices.Fixtures.ExtractTopDir(Directory.CreateTempSubdirectory("ks-paths").FullName);
        var p = new KojiPathInfo(top);
        var build = p.BuildDir("hello", "2.12.1", "2.fc41");
        Assert.Equal($"{top}/packages/hello/2.12.1/2.fc41", build);
        Assert.True(File.Exists(KojiPathInfo.Rpm(build, "hello", "2.12.1", "2.fc41", "x86_64")));
        Assert.True(File.Exists(KojiPathInfo.Signed(build, "hello", "2.12.1", "2.fc41", "x86_64", "26e76adc")));
        Assert.True(File.Exists(KojiPathInfo.SigCache(build, "hello", "2.12.1", "2.fc41", "x86_64", "")));
        Assert.True(File.Exists(KojiPathInfo.SigCache(build, "hello", "2.12.1", "2.fc41", "x86_64", "26e76adc")));
        Assert.Equal($"{top}/vol/prod/packages/hello/2.12.1/2.fc41", p.BuildDir("hello", "2.12.1", "2.fc41", "prod"));
        Assert.Equal("../../../vol/prod/packages/hello/2.12.1/2.fc41", KojiPathInfo.CompatLinkTarget("hello", "2.12.1", "2.fc41", "prod"));
        Directory.Delete(Path.GetDirectoryName(top)!, true);
    }
}
