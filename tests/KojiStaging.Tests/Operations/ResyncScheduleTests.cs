using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using Xunit;

namespace KojiStaging.Tests.Operations;

public sealed class ResyncScheduleTests
{
    private static ScheduleRequest Request(string schedule, bool cron = false, string config = "/etc/kojistaging/it's 100%.psd1") =>
        new("weekly", config, schedule, "/opt/KojiStaging/KojiStaging.psd1", new[] { "/usr/bin/pwsh" }, cron, "/etc/x", "koji");

    [Fact]
    public void Systemd_units_escape_dollar_and_percent_and_quote_paths()
    {
        var plan = ResyncSchedule.Plan(Request("weekly"));
        var service = plan.Files[0].Content;
        Assert.Equal("/etc/x/kojistaging-resync-weekly.service", plan.Files[0].Path);
        Assert.Contains("ExecStart=\"/usr/bin/pwsh\" \"-NoProfile\" \"-NonInteractive\" \"-Command\" \"Import-Module '/opt/KojiStaging/KojiStaging.psd1'; Invoke-KojiStagingResync -Path '/etc/kojistaging/it''s 100%%.psd1' -Confirm:$$false *> $$null; exit $$LASTEXITCODE\"", service);
        Assert.Contains("User=koji", service);
        Assert.Contains("OnCalendar=Sun *-*-* 03:00:00", plan.Files[1].Content);
        Assert.Equal("kojistaging-resync-weekly.timer", plan.Unit);
    }

    [Fact]
    public void Cron_entry_escapes_for_sh_and_percent()
    {
        var plan = ResyncSchedule.Plan(Request("monthly", cron: true));
        var line = plan.Files[0].Content.Split('\n').Single(l => l.StartsWith("0 3 1 * * koji "));
        Assert.Contains("\"Import-Module '/opt/KojiStaging/KojiStaging.psd1'; Invoke-KojiStagingResync -Path '/etc/kojistaging/it''s 100\\%.psd1' -Confirm:\\$false; exit \\$LASTEXITCODE\"", line);
    }

    [Theory]
    [InlineData("Sat *-*-* 02:00:00", true)]
    [InlineData("Mon..Fri 22:30", true)]
    [InlineData("*-*-1,15 04:30:00", true)]
    [InlineData("2026-12-24 18:00", true)]
    [InlineData("hourly", true)]
    [InlineData("*-*-* *:0/15", true)]
    [InlineData("every full moon", false)]
    [InlineData("Sat 02:00:00 extra", false)]
    [InlineData("", false)]
    public void OnCalendar_syntax_check(string expression, bool valid) =>
        Assert.Equal(valid, ResyncSchedule.IsOnCalendar(expression));

    [Fact]
    public void Cron_needs_five_fields()
    {
        Assert.Equal("30 2 * * 6", ResyncSchedule.CronExpression("30 2 * * 6"));
        Assert.Equal("0 3 * * 0", ResyncSchedule.CronExpression("weekly"));
        Assert.Equal("ScheduleInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.CronExpression("Sat *-*-* 02:00")).ErrorId);
        Assert.Equal("ScheduleInvalid", Assert.Throws<StagingException>(() => ResyncSchedule.OnCalendar("every full moon")).ErrorId);
    }
}
