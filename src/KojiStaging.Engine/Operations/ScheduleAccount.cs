using System.Diagnostics;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>A user account from the system's name service (getent passwd).</summary>
public sealed record SystemAccount(string Name, int Uid, int Gid, string Home);

/// <summary>
/// What Register-KojiStagingResync checks before it writes a unit or a cron line: every value free of control
/// characters, the account known to the name service (getent, so LDAP/SSSD users count), and the pwsh and
/// module the schedule starts usable by that account — tested as that account (runuser) when we are root.
/// </summary>
public static partial class ScheduleAccount
{
    /// <summary>Refuses a value with a newline or any other control character: it could add lines to a unit or crontab.</summary>
    public static void RequirePlain(string what, string? value)
    {
        if (value is null) return;
        var at = value.ToList().FindIndex(c => char.IsControl(c) || c is '\u2028' or '\u2029');
        if (at >= 0)
            throw new StagingException("ScheduleValueInvalid", StagingErrorCategory.InvalidArgument,
                $"{what} contains a control character (U+{(int)value[at]:X4}); a schedule is written from plain values only: '{Visible(value)}'.", value);
    }

    /// <summary>The account as getent passwd knows it; refuses a malformed or unknown name.</summary>
    public static SystemAccount Lookup(string user)
    {
        RequirePlain("-User", user);
        if (!UserName().IsMatch(user))
            throw new StagingException("ScheduleUserInvalid", StagingErrorCategory.InvalidArgument,
                $"'{user}' is not a valid user name (letters, digits, '_', '.', '-'; not starting with a digit or '-'; at most 32 characters).", user);
        var (code, output, _) = Run("getent", ["passwd", user]);
        var fields = output.Trim().Split(':');
        if (code != 0 || fields.Length < 7)
            throw new StagingException("ScheduleUserNotFound", StagingErrorCategory.ObjectNotFound,
                $"User '{user}' does not exist (getent passwd {user} found nothing).", user)
            { RecommendedAction = $"Create the account first (useradd --system {user}) or give an existing one with -User." };
        return new SystemAccount(fields[0], int.Parse(fields[2]), int.Parse(fields[3]), fields[5]);
    }

    public static SystemAccount Current() => Lookup(Environment.UserName);

    /// <summary>
    /// Checks, as <paramref name="account"/>, that the pwsh can be executed, a module path read, and the module
    /// imported by that pwsh. Returns false (nothing checked) when this process cannot act as another user.
    /// </summary>
    public static bool VerifyUsable(SystemAccount account, string pwsh, string moduleImport)
    {
        var asOther = account.Name != Environment.UserName;
        if (asOther && Environment.UserName != "root") return false;
        string[] As(params string[] argv) => asOther ? ["runuser", "-u", account.Name, "--", .. argv] : argv;
        int RunAs(params string[] argv) { var a = As(argv); return Run(a[0], a[1..]).Code; }
        if (!Path.IsPathRooted(pwsh))
            throw Unusable(account, pwsh, "the pwsh path must be absolute (systemd and cron do not search PATH the same way)");
        if (RunAs("test", "-x", pwsh) != 0)
            throw Unusable(account, pwsh, File.Exists(pwsh) ? "it cannot execute it (permissions of the file or of a directory above it)" : "it does not exist");
        var byPath = moduleImport.Contains('/');
        if (byPath && RunAs("test", "-r", moduleImport) != 0)
            throw Unusable(account, moduleImport, File.Exists(moduleImport) ? "it cannot read the module (permissions of the file or of a directory above it)" : "the module does not exist");
        var probe = $"Import-Module {PsQuote(moduleImport)} -ErrorAction Stop; exit 0";
        var argv = As(pwsh, "-NoProfile", "-NonInteractive", "-Command", probe);
        var (code, output, error) = Run(argv[0], argv[1..], TimeSpan.FromMinutes(2));
        if (code != 0)
            throw Unusable(account, moduleImport, $"'{pwsh} -Command Import-Module {moduleImport}' failed ({code}): {Visible((error + output).Trim())}");
        return true;
    }

    /// <summary>Refuses a directory the account cannot write to (checked as the account when we are root); false when it cannot be checked.</summary>
    public static bool VerifyWritable(SystemAccount account, string directory, string what)
    {
        var asOther = account.Name != Environment.UserName;
        if (asOther && Environment.UserName != "root") return false;
        string[] argv = asOther ? ["runuser", "-u", account.Name, "--", "test", "-w", directory] : ["test", "-w", directory];
        if (Run(argv[0], argv[1..]).Code != 0)
            throw new StagingException("ScheduleCommandUnusable", StagingErrorCategory.PermissionDenied,
                $"{what} goes to {directory}, which {account.Name} cannot write to{(Directory.Exists(directory) ? "" : " (it does not exist)")}.", directory)
            { RecommendedAction = $"install -d -o {account.Name} {directory}, or give another path." };
        return true;
    }

    private static StagingException Unusable(SystemAccount account, string path, string why) =>
        new("ScheduleCommandUnusable", StagingErrorCategory.PermissionDenied,
            $"The schedule would run '{path}' as {account.Name}, but as {account.Name} {why}.", path)
        { RecommendedAction = "Install pwsh (/usr/bin/pwsh) and the module where the account can read them (Install-PSResource KojiStaging -Scope AllUsers), or give -PwshPath/-Module paths it can read." };

    internal static (int Code, string Output, string Error) Run(string file, string[] args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30))) { p.Kill(true); return (-1, output, "timed out"); }
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception ex) { return (-1, "", $"{file}: {ex.Message}"); }
    }

    private static string PsQuote(string s) => "'" + s.Replace("'", "''") + "'";

    private static string Visible(string s) => Regex.Replace(s.Length > 400 ? s[..400] + "…" : s, @"\p{Cc}", m => $"\\x{(int)m.Value[0]:x2}");

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex UserName();
}
