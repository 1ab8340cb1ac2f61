using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Completers;

/// <summary>Completes -Schedule: the named schedules and example calendar (or, with -Cron, cron) expressions.</summary>
public sealed class ScheduleCompleter : IArgumentCompleter
{
    private static readonly string[] Systemd = { "weekly", "monthly", "daily", "'Sat *-*-* 02:00:00'", "'*-*-1,15 04:30:00'" };
    private static readonly string[] Cron = { "weekly", "monthly", "daily", "'30 2 * * 6'", "'30 4 1,15 * *'" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var cron = fakeBoundParameters.Contains("Cron");
        var word = (wordToComplete ?? "").Trim('\'', '"');
        return (cron ? Cron : Systemd)
            .Where(v => v.Trim('\'').StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v.Trim('\''), CompletionResultType.ParameterValue, cron ? $"cron: {v}" : $"OnCalendar: {v}"));
    }
}
