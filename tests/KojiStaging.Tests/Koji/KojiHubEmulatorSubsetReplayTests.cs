using System.Net.Http.Headers;
using System.Text;
using KojiStaging.Engine.Koji.XmlRpc;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Koji;

/// <summary>
/// Replays the subset copy's own requests, recorded against the real hub (fixtures/koji/xmlrpc-subset), against the
/// emulator and compares the parsed answers call by call. Rows of listTaggedRPMS and queryHistory are compared as
/// sets (the hub's queries have no ORDER BY, the fixture's README says so); every other list keeps its order.
/// </summary>
public class KojiHubEmulatorSubsetReplayTests(KojiHubEmulatorFixture fixture) : IClassFixture<KojiHubEmulatorFixture>
{
    private static readonly HttpClient Http = new();
    private static string Dir => Path.Combine(Fixtures.KojiDir, "xmlrpc-subset");

    public static IEnumerable<object[]> Exchanges() =>
        Directory.EnumerateFiles(Dir, "*.request.xml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Dir, f)[..^".request.xml".Length])
            .Order(StringComparer.Ordinal)
            .Select(n => new object[] { n });

    [Fact]
    public void Both_recorded_runs_are_there()
    {
        var names = Exchanges().Select(x => (string)x[0]).ToList();
        Assert.Equal(8, names.Count);
        Assert.Contains("f41-updates/003", names);
        Assert.Contains("all-tags/003", names);
    }

    [Theory]
    [MemberData(nameof(Exchanges))]
    public async Task Emulator_answers_the_subset_copys_requests_as_the_real_hub_did(string name)
    {
        var requestBytes = await File.ReadAllBytesAsync(Path.Combine(Dir, $"{name}.request.xml"));
        var (method, ps) = XmlRpcReader.ParseMethodCall(Encoding.UTF8.GetString(requestBytes));
        var expected = XmlRpcReader.ParseResponse(await File.ReadAllTextAsync(Path.Combine(Dir, $"{name}.response.xml"), Encoding.UTF8));
        using var content = new ByteArrayContent(requestBytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        using var response = await Http.PostAsync(fixture.Hub.HubUrl, content);
        Assert.Equal(200, (int)response.StatusCode);
        var actual = XmlRpcReader.ParseResponse(await response.Content.ReadAsStringAsync());

        if (method != "multiCall")
        {
            Assert.Equal(Canonical(method, expected), Canonical(method, actual));
            return;
        }
        var calls = ((object?[])ps[0]!).Cast<Dictionary<string, object?>>().ToList();
        var exp = (object?[])expected!;
        var act = (object?[])actual!;
        Assert.Equal(calls.Count, exp.Length);
        Assert.Equal(exp.Length, act.Length);
        var wrong = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var m = (string)calls[i]["methodName"]!;
            var e = Canonical(m, Single(exp[i]));
            var a = Canonical(m, Single(act[i]));
            if (e != a) wrong.Add($"#{i} {m}({XmlRpcWriter.EncodeValue(calls[i]["params"]).Length} bytes of params): {FirstDifference(e, a)}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {calls.Count} answers differ from the real hub's:\n" + string.Join("\n", wrong.Take(15)));
    }

    /// <summary>A multiCall result is [value] or a fault struct.</summary>
    private static object? Single(object? result) => result is object?[] { Length: 1 } one ? one[0] : result;

    private static string Canonical(string method, object? value)
    {
        switch (method)
        {
            case "listTaggedRPMS" when value is object?[] { Length: 2 } pair:
                value = new object?[] { SortRows(pair[0]), SortRows(pair[1]) };
                break;
            case "queryHistory" when value is Dictionary<string, object?> tables:
                value = tables.ToDictionary(kv => kv.Key, kv => (object?)SortRows(kv.Value));
                break;
        }
        return XmlRpcWriter.EncodeValue(value);
    }

    private static object?[] SortRows(object? rows) =>
        ((object?[])rows!).OrderBy(XmlRpcWriter.EncodeValue, StringComparer.Ordinal).ToArray();

    private static string FirstDifference(string e, string a)
    {
        var i = 0;
        while (i < e.Length && i < a.Length && e[i] == a[i]) i++;
        var from = Math.Max(0, i - 60);
        return $"at {i}: real …{e.Substring(from, Math.Min(160, e.Length - from))}… emulator …{a.Substring(from, Math.Min(160, a.Length - from))}…";
    }
}
