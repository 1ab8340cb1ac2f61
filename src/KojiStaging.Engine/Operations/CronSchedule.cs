using System.Text.RegularExpressions;
using Cronos;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// Five-field cron expressions as cron(8) reads them, checked by Cronos (a maintained parser: ranges, steps,
/// lists and names, so <c>61 2 * * *</c> or <c>0 0 31 2 *</c> fields out of range are refused). Cronos also knows
/// Quartz-style extensions (L, W, #, ?) that Debian's cron does not; those are refused before it sees them.
/// </summary>
public static partial class CronSchedule
{
    private static readonly string[] Names =
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>The expression normalised to single spaces, or a ScheduleInvalid error saying what is wrong.</summary>
    public static string Validate(string schedule)
    {
        var fields = schedule.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw Invalid(schedule, $"it has {fields.Length} field(s), cron needs five (minute hour day-of-month month day-of-week), such as '30 2 * * 6'");
        foreach (var f in fields)
        {
            var withoutNames = Names.Aggregate(f.ToUpperInvariant(), (s, n) => s.Replace(n, "0"));
            if (!CronChars().IsMatch(withoutNames))
                throw Invalid(schedule, $"field '{f}' uses characters cron(8) does not read (digits, names, '*', ',', '-' and '/' only)");
        }
        var text = string.Join(' ', fields);
        try { CronExpression.Parse(text, CronFormat.Standard); }
        catch (CronFormatException ex) { throw Invalid(schedule, ex.Message.TrimEnd('.')); }
        return text;
    }

    /// <summary>The next time the expression fires after <paramref name="from"/> (UTC), for messages and tests.</summary>
    public static DateTime? Next(string expression, DateTime from) =>
        CronExpression.Parse(expression, CronFormat.Standard).GetNextOccurrence(DateTime.SpecifyKind(from, DateTimeKind.Utc));

    private static StagingException Invalid(string schedule, string why) =>
        new("ScheduleInvalid", StagingErrorCategory.InvalidArgument,
            $"'{schedule}' is not a cron schedule: {why}. Use weekly, monthly, daily or five cron fields such as '30 2 * * 6'.", schedule);

    [GeneratedRegex(@"^[0-9*,/-]+$")]
    private static partial Regex CronChars();
}
