using System.Text.RegularExpressions;

namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Last line of defence for log text: engines never log secrets on purpose, but a server error or an
/// exception message may quote a connection string or an Authorization header.
/// </summary>
public static partial class SecretRedactor
{
    [GeneratedRegex(@"(?i)\b(password|pwd|passwd|token|session-key|key|authorization)(\s*[=:]\s*)(""[^""]*""|'[^']*'|Basic\s+\S+|Bearer\s+\S+|[^;\s&""']+)")]
    private static partial Regex SecretPair();

    [GeneratedRegex(@"(?i)(postgres(?:ql)?://[^:/@\s]+:)([^@\s]+)(@)")]
    private static partial Regex UriPassword();

    public static string Redact(string text) =>
        UriPassword().Replace(SecretPair().Replace(text, "$1$2***"), "$1***$3");
}
