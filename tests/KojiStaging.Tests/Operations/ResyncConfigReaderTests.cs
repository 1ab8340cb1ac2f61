using System.Collections;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using Xunit;

namespace KojiStaging.Tests.Operations;

public sealed class ResyncConfigReaderTests
{
    private static Hashtable Step(params (string, object)[] pairs)
    {
        var h = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in pairs) h[k] = v;
        return h;
    }

    private static Hashtable Config(params Hashtable[] steps) => new() { ["Name"] = "weekly", ["Steps"] = steps.Cast<object>().ToArray() };

    [Fact]
    public void Maps_strategies_to_cmdlets_and_pipes_the_last_sync_into_later_steps()
    {
        var c = ResyncConfigReader.Parse(Config(
            Step(("Strategy", "sync"), ("Id", "db"), ("Source", "service=prod"), ("Destination", "service=stg")),
            Step(("Strategy", "SecondaryVolume"), ("Name", "prod")),
            Step(("Strategy", "Subset"), ("Tag", new object[] { "f41" })),
            Step(("Strategy", "Test"))), "/etc/kojistaging/weekly.psd1", "/tmp");
        Assert.Equal(new[] { "Sync-KojiStagingDb", "Set-KojiSecondaryVolume", "Copy-KojiSubset", "Test-KojiStaging" }, c.Steps.Select(s => s.Command));
        Assert.Equal(new[] { "None", "db", "None", "db" }, c.Steps.Select(s => s.Input));
        Assert.Equal("Sync", c.Steps[0].Strategy);
        Assert.Equal("prod", c.Steps[1].Parameters["Name"]);
        Assert.False(c.Steps[0].Parameters.ContainsKey("Strategy"));
        Assert.Equal("/tmp/kojistaging-weekly.lock", c.LockPath);
    }

    [Fact]
    public void FollowerSync_is_a_sync_from_the_follower_that_later_steps_take_as_input()
    {
        var c = ResyncConfigReader.Parse(Config(
            Step(("Strategy", "followersync"), ("Id", "db"), ("Source", "service=prod"), ("Destination", "service=stg")),
            Step(("Strategy", "Test"))), "/etc/kojistaging/daily.psd1", "/tmp");
        Assert.Equal("FollowerSync", c.Steps[0].Strategy);
        Assert.Equal("Sync-KojiStagingDb", c.Steps[0].Command);
        Assert.Equal(true, c.Steps[0].Parameters["FromFollower"]);
        Assert.Equal("None", c.Steps[0].Input);
        Assert.Equal("db", c.Steps[1].Input);
    }

    [Theory]
    [InlineData("ResyncUnknownStrategy", "Teleport", null)]
    [InlineData("ResyncConfigMissingStrategy", null, null)]
    [InlineData("ResyncConfigInvalidInput", "Status", "nope")]
    [InlineData("ResyncConfigInvalidInput", "Status", "Previous")]
    public void Rejects_bad_steps_with_stable_ids(string errorId, string? strategy, string? input)
    {
        var step = Step(("Connection", "Host=x"));
        if (strategy is not null) step["Strategy"] = strategy;
        if (input is not null) step["Input"] = input;
        var ex = Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(Config(step), "/x/c.psd1"));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains("/x/c.psd1", ex.Message);
    }

    [Fact]
    public void Rejects_unknown_top_level_keys_missing_steps_and_bad_names()
    {
        Assert.Equal("ResyncConfigUnknownKey", Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(new Hashtable { ["Steps"] = Array.Empty<object>(), ["Shedule"] = "x" }, "c.psd1")).ErrorId);
        Assert.Equal("ResyncConfigMissingSteps", Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(new Hashtable { ["Name"] = "a" }, "c.psd1")).ErrorId);
        Assert.Equal("ResyncConfigMissingSteps", Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(new Hashtable { ["Steps"] = Array.Empty<object>() }, "c.psd1")).ErrorId);
        Assert.Equal("ResyncConfigInvalidName", Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(new Hashtable { ["Name"] = "a b;rm", ["Steps"] = new object[] { Step(("Strategy", "Test")) } }, "c.psd1")).ErrorId);
    }

    [Fact]
    public void Describes_a_step_with_secrets_redacted()
    {
        var c = ResyncConfigReader.Parse(Config(Step(("Strategy", "Sql"), ("Connection", "Host=db;Password=hunter2"), ("Query", new object[] { "SELECT 1" }))), "c.psd1");
        var text = c.Steps[0].Describe();
        Assert.StartsWith("Invoke-KojiStagingSql ", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains("Password=***", text);
    }
}
