using System.Collections;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Storage.Ontap;
using Npgsql;

namespace KojiStaging.Tests.Operations;

/// <summary>Issue 21, hole 4: every alias of the password key, and passwords with spaces, quotes and semicolons, masked whole.</summary>
public class SecretRedactorTests
{
    public static readonly string[] Aliases = { "Password", "PSW", "Pwd", "password", "PASSWORD", "passwd", "SSL Password" };
    public static readonly string[] Passwords = { "hunter2", "two words here", "semi;colon", "quo'te", "dq\"uote", "p@ss:w/rd" };

    public static IEnumerable<object[]> Cases() =>
        from a in Aliases from p in Passwords select new object[] { a, p };

    /// <summary>The connection strings an operator may write: Npgsql quoting, libpq key=value quoting, a URI.</summary>
    private static IEnumerable<string> Spellings(string alias, string password)
    {
        var npgsqlQuoted = new System.Data.Common.DbConnectionStringBuilder { ["Host"] = "db01", [alias] = password, ["Database"] = "koji" }.ConnectionString;
        yield return npgsqlQuoted;
        if (!password.Contains(';') && !password.Contains('\'') && !password.Contains('"')) yield return $"Host=db01;{alias}={password};Database=koji";
        yield return $"host=db01 {alias.ToLowerInvariant().Replace(" ", "")}='{password.Replace("\\", "\\\\").Replace("'", "\\'")}' dbname=koji";
        if (alias == "password") yield return $"postgresql://koji:{password}@db01:5432/koji";
    }

    [Fact]
    public void Npgsql_knows_the_aliases_the_redactor_masks()
    {
        foreach (var a in new[] { "PSW", "PWD", "Password" })
            Assert.Equal("x y", new NpgsqlConnectionStringBuilder($"Host=h;{a}=x y").Password);
        Assert.Contains("psw", SecretRedactor.PasswordKeys);
        Assert.Contains("pwd", SecretRedactor.PasswordKeys);
        Assert.Contains("ssl password", SecretRedactor.PasswordKeys);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_alias_and_every_password_is_masked_whole_in_free_text(string alias, string password)
    {
        foreach (var cs in Spellings(alias, password))
        {
            var text = SecretRedactor.Redact($"connecting to ({cs}) failed");
            AssertClean(text, password, cs);
            var parsed = SecretRedactor.RedactConnection(cs);
            AssertClean(parsed, password, cs);
            Assert.Contains("db01", parsed);
            Assert.Contains("koji", parsed);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_resync_step_prints_its_connection_without_the_password(string alias, string password)
    {
        foreach (var cs in Spellings(alias, password))
        {
            var step = new ResyncStep(1, "1", "Sql", "Invoke-KojiStagingSql",
                new Dictionary<string, object?> { ["Connection"] = cs, ["Query"] = new object[] { "SELECT 1" } }, "None");
            var text = step.Describe();
            AssertClean(text, password, cs);
            Assert.Contains("db01", text);
            Assert.Contains("-Query 'SELECT 1'", text);
        }
    }

    [Fact]
    public void Hub_and_ontap_faults_pass_the_redactor()
    {
        var fault = KojiFaultException.FromFault(1000, "login failed: password=two words; user=kojiadmin");
        AssertClean(fault.Message, "two words", "hub fault");
        AssertClean(fault.FaultString, "two words", "hub fault string");
        var ontap = new OntapException("OntapError", StagingErrorCategory.InvalidOperation, "ONTAP said: PSW=x y z", 400, "1", "bad PWD='q;r s'");
        AssertClean(ontap.Message, "x y z", "ontap message");
        AssertClean(ontap.OntapMessage!, "q;r s", "ontap message");
        var engine = new StagingException("X", StagingErrorCategory.InvalidOperation, "server said Password=\"a;b c\"");
        AssertClean(engine.Message, "a;b c", "engine error");
    }

    [Fact]
    public void Tokens_and_headers_are_still_masked_and_ordinary_text_is_kept()
    {
        Assert.Equal("token: ***", SecretRedactor.Redact("token: abc123"));
        Assert.Equal("hub https://koji:***@hub.example/kojihub failed", SecretRedactor.Redact("hub https://koji:s3cr3t@hub.example/kojihub failed"));
        Assert.Equal("see http://hub.example:8080/kojihub and mail root@example.org", SecretRedactor.Redact("see http://hub.example:8080/kojihub and mail root@example.org"));
        Assert.Equal("Authorization: ***", SecretRedactor.Redact("Authorization: Basic dXNlcjpwdw=="));
        Assert.Equal("password authentication failed for user \"koji\"", SecretRedactor.Redact("password authentication failed for user \"koji\""));
        Assert.Equal("Host=db01;Port=5432;Database=koji", SecretRedactor.RedactConnection("Host=db01;Port=5432;Database=koji"));
        Assert.Equal("/etc/kojistaging/prod.psd1", SecretRedactor.RedactConnection("/etc/kojistaging/prod.psd1"));
    }

    private static void AssertClean(string text, string password, string what)
    {
        Assert.DoesNotContain(password, text);
        // no word of a multi-word password survives either (the hole: only its first word was masked)
        foreach (var part in password.Split(' ', ';', '\'', '"', '@', ':', '/').Where(p => p.Length >= 3))
            Assert.False(text.Contains(part), $"'{part}' of the password survived in: {text} (from {what})");
        Assert.Contains(SecretRedactor.Mask, text);
    }
}
