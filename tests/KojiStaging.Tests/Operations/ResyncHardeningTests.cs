using System.Collections;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Operations.Health;
using Xunit;

namespace KojiStaging.Tests.Operations;

/// <summary>The unit, cron line and history a scheduled resync is built from: validated values, sandbox, records.</summary>
public sealed class ResyncHardeningTests
{
    private static ScheduleRequest Request(bool cron = false, string user = "koji", string config = "/etc/kojistaging/w.psd1") =>
        new("w", config, cron ? "30 2 * * 6" : "weekly", "KojiStaging", new[] { "/usr/bin/pwsh" }, cron, "/etc/x", user)
        {
            WritablePaths = new[] { "/srv/koji stg", "/var/log/kojistaging", "/run/lock", "/srv/100%" },
            OnFailure = "status-mail@%n.service",
        };

    [Theory]
    [InlineData("61 2 * * *")]
    [InlineData("0 24 * * *")]
    [InlineData("0 0 32 * *")]
    [InlineData("0 0 L * *")]
    [InlineData("0 0 ? * MON")]
    [InlineData("0 0 * * 1#2")]
    [InlineData("*/5 * * *")]
    [InlineData("0 2 * * * extra")]
    public void Cron_expressions_out_of_range_or_not_for_cron8_are_refused(string expression) =>
        Assert.Equal("ScheduleInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.CronExpression(expression)).ErrorId);

    [Theory]
    [InlineData("*/15 2-4 1,15 JAN-MAR MON-FRI")]
    [InlineData("0 3 * * sun")]
    [InlineData("59 23 31 12 7")]
    public void Cron_expressions_cron8_reads_are_accepted(string expression) =>
        Assert.Equal(expression, ResyncSchedule.CronExpression(expression));

    [Theory]
    [InlineData("root\nExecStartPre=/bin/sh -c id")]
    [InlineData("koji\r")]
    [InlineData("ko\u0000ji")]
    public void A_user_with_control_characters_is_refused(string user) =>
        Assert.Equal("ScheduleValueInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.Plan(Request(user: user))).ErrorId);

    [Fact]
    public void A_config_path_with_a_newline_is_refused_for_unit_and_cron()
    {
        foreach (var cron in new[] { false, true })
            Assert.Equal("ScheduleValueInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.Plan(Request(cron, config: "/etc/x.psd1\n* * * * * root id"))).ErrorId);
    }

    [Fact]
    public void A_malformed_user_name_is_refused() =>
        Assert.Equal("ScheduleUserInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.Plan(Request(user: "ko ji'x"))).ErrorId);

    [Fact]
    public void Getent_knows_root_and_not_an_unknown_user()
    {
        Assert.Equal(0, ScheduleAccount.Lookup("root").Uid);
        Assert.Equal("ScheduleUserNotFound", Assert.Throws<StagingException>(() => ScheduleAccount.Lookup("nosuchuser-kojistaging")).ErrorId);
    }

    [Fact]
    public void The_service_is_sandboxed_with_exactly_the_written_paths_writable()
    {
        var service = ResyncSchedule.Plan(Request()).Files[0].Content;
        var lines = service.Split('\n');
        foreach (var expected in new[] { "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=read-only", "PrivateTmp=yes", "LogsDirectory=kojistaging",
                     "StateDirectory=kojistaging", "Environment=NO_COLOR=1", "TimeoutStartSec=43200s", "CapabilityBoundingSet=", "OnFailure=status-mail@%n.service" })
            Assert.Contains(expected, lines);
        Assert.Equal(new[] { "ReadWritePaths=\"-/run/lock\"", "ReadWritePaths=\"-/srv/100%%\"", "ReadWritePaths=\"-/srv/koji stg\"" },
            lines.Where(l => l.StartsWith("ReadWritePaths=")));
        Assert.DoesNotContain("TimeoutStartSec=infinity", service);
    }

    [Fact]
    public void Root_keeps_the_capabilities_a_copy_needs()
    {
        var service = ResyncSchedule.Plan(Request(user: "root")).Files[0].Content;
        Assert.Contains("CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID", service.Split('\n'));
    }

    [Fact]
    public void An_OnFailure_that_is_not_a_unit_name_is_refused() =>
        Assert.Equal("ScheduleValueInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.Plan(Request() with { OnFailure = "x.service\nExecStartPre=id" })).ErrorId);

    [Fact]
    public void The_cron_entry_mails_failures_and_redirects_output()
    {
        var text = ResyncSchedule.Plan(Request(cron: true) with { MailTo = "ops@example.org" }).Files[0].Content;
        var lines = text.Split('\n');
        Assert.Contains("MAILTO=ops@example.org", lines);
        var line = lines.Single(l => l.StartsWith("30 2 * * 6 koji "));
        Assert.EndsWith(" >>/var/log/kojistaging/w.cron.log 2>&1 || echo \"KojiStaging resync w failed with exit code $?; see /var/log/kojistaging/w.cron.log\"", line);
    }

    [Fact]
    public void FailOn_and_TopDir_are_read_and_the_written_paths_listed()
    {
        var data = new Hashtable
        {
            ["Name"] = "w", ["FailOn"] = "warn", ["TopDir"] = "/srv/koji", ["LogPath"] = "/var/log/kojistaging/w.log", ["LockPath"] = "/run/lock/w.lock",
            ["Steps"] = new object[] { new Hashtable { ["Strategy"] = "SecondaryVolume", ["Name"] = "prod" }, new Hashtable { ["Strategy"] = "FullCopy", ["Destination"] = "/srv/copy" } },
        };
        var c = ResyncConfigReader.Parse(data, "/etc/kojistaging/w.psd1");
        Assert.Equal(ResyncFailOn.Warn, c.FailOn);
        Assert.Equal(new[] { "/run/lock", "/srv/copy", "/srv/koji", "/var/log/kojistaging" }, c.WrittenPaths().Distinct().Order());
        data["FailOn"] = "sometimes";
        Assert.Equal("ResyncConfigInvalidFailOn", Assert.Throws<StagingException>(() => ResyncConfigReader.Parse(data, "/etc/kojistaging/w.psd1")).ErrorId);
    }

    [Fact]
    public void History_records_round_trip_and_feed_the_textfile()
    {
        var dir = Directory.CreateTempSubdirectory("kojistaging-history-").FullName;
        try
        {
            var path = Path.Combine(dir, "w.history.jsonl");
            var result = new ResyncResult
            {
                Name = "w", ConfigPath = "/etc/w.psd1", LockPath = "/run/lock/w.lock", Status = ResyncStatus.Failed, Duration = TimeSpan.FromSeconds(12.5),
                Steps = new[]
                {
                    new ResyncStepResult { Index = 1, Id = "st", Strategy = "Status", Command = "Get-KojiStagingStatus", Status = "Succeeded", Duration = TimeSpan.FromSeconds(2),
                        Output = new object[] { new StagingStatus { Staging = "x", IsStaging = true, Strategies = [], Generations = [], Volumes = [], SyncedEvent = 166, SyncedEventTime = DateTimeOffset.Parse("2026-12-01T00:00:00Z"), EventsBehind = 7 } } },
                    new ResyncStepResult { Index = 2, Id = "t", Strategy = "Test", Command = "Test-KojiStaging", Status = "Failed", Duration = TimeSpan.FromSeconds(10),
                        Output = new object[] { StagingCheckResult.Fail("Volumes", "missing"), StagingCheckResult.Warn("Age", "old") } },
                },
            };
            ResyncHistory.Append(path, ResyncHistory.ToRecord(result, DateTimeOffset.Parse("2026-12-07T10:00:00Z")));
            File.AppendAllText(path, "{\"torn\n");
            var bad = new List<int>();
            var read = ResyncHistory.Read(path, (n, _) => bad.Add(n)).Single();
            Assert.Equal(new[] { 2 }, bad);
            Assert.Equal((1, 166, 7, 1, 1), (read.ExitCode, read.SyncedEvent, read.EventsBehind, read.ChecksFailed, read.ChecksWarned));
            Assert.Equal(new[] { "Succeeded", "Failed" }, read.Steps.Select(s => s.Status));
            Assert.Equal(TimeSpan.FromSeconds(10), read.Steps[1].Duration);
            var text = ResyncMetrics.Format("w", read, null, DateTimeOffset.Parse("2026-12-08T00:00:00Z"));
            Assert.Contains("kojistaging_resync_last_exit_code{name=\"w\"} 1\n", text);
            Assert.Contains("kojistaging_resync_last_duration_seconds{name=\"w\"} 12.5\n", text);
            Assert.Contains("kojistaging_staging_age_seconds{name=\"w\"} 604800\n", text);
            Assert.Contains("kojistaging_staging_events_behind{name=\"w\"} 7\n", text);
            Assert.Contains("# TYPE kojistaging_staging_age_seconds gauge\n", text);
        }
        finally { Directory.Delete(dir, true); }
    }
}
