using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using Microsoft.Extensions.Logging;
using Xunit;

namespace KojiStaging.Tests.Operations;

public sealed class RunLoggingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kojistaging-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Session_writes_file_and_journal_lines_redacted_and_honours_the_level()
    {
        var file = Path.Combine(_dir, "sub", "run.log");
        var seen = new List<(LogSeverity, string)>();
        var journal = new StringWriter();
        using (var session = new EngineSession((l, t) => seen.Add((l, t)), new Progress<StagingProgress>(), CancellationToken.None, null, new LogOptions(file, false, LogSeverity.Information)))
        {
            var log = session.Scope.Logger<RunLoggingTests>();
            log.LogInformation("connecting with Password=hunter2 to {Db}", "koji");
            log.LogDebug("debug detail");
            log.LogWarning("token: abc");
        }
        var text = File.ReadAllText(file);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[\d+\] \[RunLoggingTests\] connecting with Password=\*\*\*\n", text);
        Assert.DoesNotContain("debug detail", text);
        Assert.Contains("WARN  ", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains(seen, s => s.Item1 == LogSeverity.Debug && s.Item2 == "[RunLoggingTests] debug detail");

        var j = new JournalLoggerProvider(LogSeverity.Information, journal);
        j.Write(LogSeverity.Error, "Resync", "failed: Password=x\nsecond line");
        j.Write(LogSeverity.Debug, "Resync", "hidden");
        Assert.Equal("<3>[Resync] failed: Password=*** second line" + Environment.NewLine, journal.ToString());
    }

    [Fact]
    public void Log_options_fall_back_to_the_environment()
    {
        Environment.SetEnvironmentVariable("KOJISTAGING_LOG_JOURNAL", "1");
        try
        {
            var o = LogOptions.FromValues(null, null, "debug");
            Assert.True(o.Journal);
            Assert.Equal(LogSeverity.Debug, o.MinimumLevel);
            Assert.False(LogOptions.FromValues(null, false, null) is { Journal: false });
        }
        finally { Environment.SetEnvironmentVariable("KOJISTAGING_LOG_JOURNAL", null); }
        Assert.False(LogOptions.FromValues(null, "no", null).Journal);
    }

    [Fact]
    public void Lock_is_exclusive_until_released()
    {
        var path = Path.Combine(_dir, "a.lock");
        using (var first = ResyncLock.Acquire(path))
        {
            var ex = Assert.Throws<StagingException>(() => ResyncLock.Acquire(path));
            Assert.Equal("ResyncLocked", ex.ErrorId);
            Assert.Contains($"pid {Environment.ProcessId}", ex.Message);
        }
        using var again = ResyncLock.Acquire(path);
    }
}
