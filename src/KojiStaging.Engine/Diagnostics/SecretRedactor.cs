using System.ComponentModel;
using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Masks passwords whole. <see cref="RedactConnection"/> parses what is known to be a connection (an Npgsql or
/// libpq key=value string, a libpq URI) and masks every password key by the names Npgsql's builder knows
/// (Password, PSW, PWD, SSL Password, …) plus libpq's. <see cref="Redact"/> is the last line of defence for free
/// text (log lines, server and hub faults, exception messages): it masks any value of such a key — quoted
/// values up to their closing quote, unquoted ones up to the next ';' or line end, spaces included —, URI
/// passwords up to the host's '@', and tokens, session keys and Authorization headers.
/// </summary>
public static class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Every connection-string key that holds a password, lower case (Npgsql's names and synonyms, libpq's).</summary>
    public static readonly IReadOnlyCollection<string> PasswordKeys = FindPasswordKeys();

    private static readonly Regex PasswordPair = new(
        @"(?i)(?<![\w-])(" + string.Join("|", PasswordKeys.OrderByDescending(k => k.Length).Select(k => Regex.Escape(k).Replace(@"\ ", @"\s+"))) + @")" +
        @"(\s*[=:]\s*)(""(?:[^""]|"""")*(?:""|$)|'(?:[^'\\]|''|\\.)*(?:'|$)|[^;\r\n]*)",
        RegexOptions.Compiled);

    private static readonly Regex TokenPair = new(
        @"(?i)(?<![\w-])(token|session-key|session_key|secret|api[-_]?key|authorization)(\s*[=:]\s*)(""[^""]*""|'[^']*'|Basic\s+\S+|Bearer\s+\S+|[^;\s&""']+)",
        RegexOptions.Compiled);

    // The password of a libpq URI runs to the last '@' before the host (a raw '@' or space in it is the operator's typo, not an end).
    private static readonly Regex UriPassword = new(@"(?i)(postgres(?:ql)?://[^:/@\s]*:)(.*)(@[^@\s/?]*)", RegexOptions.Compiled);
    // http(s) user info (a hub or topurl given as https://user:pw@host/): no '/' or '@' can be in it unencoded.
    private static readonly Regex HttpUserInfo = new(@"(?i)(https?://[^:/@\s]*:)([^\s@/]*)(@)", RegexOptions.Compiled);
    private static readonly Regex UriQueryPassword = new(@"(?i)([?&](?:password|sslpassword)=)[^&\s]*", RegexOptions.Compiled);

    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var s = UriPassword.Replace(text, m => m.Groups[1].Value + Mask + m.Groups[3].Value);
        s = HttpUserInfo.Replace(s, "$1" + Mask + "$3");
        s = UriQueryPassword.Replace(s, "$1" + Mask);
        s = PasswordPair.Replace(s, m => m.Groups[3].Value.Length == 0 ? m.Value : m.Groups[1].Value + m.Groups[2].Value + Mask);
        return TokenPair.Replace(s, "$1$2" + Mask);
    }

    /// <summary>
    /// A value known to be a connection (a cmdlet's -Source/-Destination/-Connection): masked as written (the operator's
    /// keys and order kept), then parsed as Npgsql parses it; should a parsed password survive the mask (odd quoting),
    /// the string is rebuilt from the parse with every password key masked.
    /// </summary>
    public static string RedactConnection(string value)
    {
        var masked = Redact(value);
        var text = value.Trim();
        if (!text.Contains('=') || text.Contains("://")) return masked;
        try
        {
            var b = new DbConnectionStringBuilder { ConnectionString = text };
            var secret = b.Keys.Cast<string>().Where(k => PasswordKeys.Contains(Normalise(k))).ToList();
            if (secret.All(k => b[k]?.ToString() is not { Length: > 0 } v || !masked.Contains(v, StringComparison.Ordinal))) return masked;
            foreach (var k in secret) b[k] = Mask;
            return b.ConnectionString;
        }
        catch (ArgumentException) { return masked; }
    }

    private static string Normalise(string key) => Regex.Replace(key.Trim().ToLowerInvariant(), @"\s+", " ");

    private static HashSet<string> FindPasswordKeys()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "password", "passwd", "pwd", "psw", "sslpassword", "ssl password" };
        foreach (var p in typeof(NpgsqlConnectionStringBuilder).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<PasswordPropertyTextAttribute>() is not { Password: true }) continue;
            if (p.GetCustomAttribute<DisplayNameAttribute>()?.DisplayName is { Length: > 0 } display) keys.Add(Normalise(display));
            keys.Add(p.Name.ToLowerInvariant());
            foreach (var a in p.GetCustomAttributes().Where(a => a.GetType().Name == "NpgsqlConnectionStringPropertyAttribute"))
                if (a.GetType().GetProperty("Synonyms")?.GetValue(a) is string[] synonyms)
                    foreach (var s in synonyms) keys.Add(Normalise(s));
        }
        return keys;
    }
}
