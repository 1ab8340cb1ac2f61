using KojiStaging.TestServices.KojiHub;
using System.Text;
using System.Text.Json;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.XmlRpc;
using KojiStaging.TestServices;

namespace KojiStaging.Tests.Koji;

public class XmlRpcTests
{
    public static IEnumerable<object[]> RecordedCalls() =>
        Directory.GetFiles(Fixtures.XmlRpcDir, "*.request.xml").Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f)[..^".request.xml".Length] });

    private static string Recorded(string name, string kind) =>
        File.ReadAllText(Path.Combine(Fixtures.XmlRpcDir, $"{name}.{kind}.xml"), Encoding.UTF8);

    [Theory]
    [MemberData(nameof(RecordedCalls))]
    public void Serializer_writes_the_exact_bytes_of_kojis_client_for_every_recorded_call(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.XmlRpcDir, "calls.json")));
        var call = doc.RootElement.GetProperty("calls").EnumerateArray().Single(c => c.GetProperty("file").GetString() == name);
        var args = call.GetProperty("args").EnumerateArray().Select(KojiHubMethods.ToXmlRpcValue).ToArray();
        var kwargs = call.GetProperty("kwargs").EnumerateObject().ToDictionary(p => p.Name, p => KojiHubMethods.ToXmlRpcValue(p.Value));
        var body = XmlRpcWriter.MethodCall(call.GetProperty("method").GetString()!, XmlRpcWriter.EncodeArgs(args, kwargs));
        Assert.Equal(Recorded(name, "request"), body);
    }

    [Theory]
    [MemberData(nameof(RecordedCalls))]
    public void Every_recorded_response_parses_and_reserialises_to_the_same_bytes(string name)
    {
        var xml = Recorded(name, "response");
        string again;
        try
        {
            again = XmlRpcWriter.Response(XmlRpcReader.ParseResponse(xml));
        }
        catch (KojiFaultException f)
        {
            again = XmlRpcWriter.Fault(f.FaultCode, f.FaultString);
        }
        Assert.Equal(xml, again);
    }

    [Fact]
    public void A_call_assembled_from_pre_encoded_items_equals_the_whole_call()
    {
        var items = new object?[]
        {
            new Dictionary<string, object?> { ["methodName"] = "queryRPMSigs", ["params"] = new object?[] { 7 } },
            new Dictionary<string, object?> { ["methodName"] = "getTag", ["params"] = XmlRpcWriter.EncodeArgs(new object?[] { "f41 & <x>" }, new Dictionary<string, object?> { ["event"] = 166 }) },
            null, 3_000_000_000L, "é",
        };
        var whole = XmlRpcWriter.MethodCall("multiCall", new object?[] { items });
        Assert.Equal(whole, XmlRpcWriter.MethodCallWithEncodedArray("multiCall", items.Select(XmlRpcWriter.EncodeValue)));
        Assert.Equal(whole.Length - items.Sum(i => XmlRpcWriter.EncodeValue(i).Length), XmlRpcWriter.EncodedArrayCallOverhead("multiCall"));
    }

    [Fact]
    public void Recorded_values_map_to_dotnet_types()
    {
        var last = Assert.IsType<Dictionary<string, object?>>(XmlRpcReader.ParseResponse(Recorded("03-getLastEvent", "response")));
        Assert.Equal(166, last["id"]);
        Assert.Equal(1795558775.226591, Assert.IsType<double>(last["ts"]));

        var tag = Assert.IsType<Dictionary<string, object?>>(XmlRpcReader.ParseResponse(Recorded("04-getTag", "response")));
        Assert.Equal(true, tag["locked"]);
        Assert.Equal("", tag["arches"]);
        Assert.Empty(Assert.IsType<Dictionary<string, object?>>(tag["extra"]));
        Assert.Equal(new[] { "arches", "id", "locked", "maven_include_all", "maven_support", "name", "perm", "perm_id", "extra" }, tag.Keys);

        Assert.Null(XmlRpcReader.ParseResponse(Recorded("06-getTag", "response")));

        var rpms = Assert.IsType<object?[]>(XmlRpcReader.ParseResponse(Recorded("14-listTaggedRPMS", "response")));
        Assert.Equal(2, rpms.Length);
        Assert.Equal(23, Assert.IsType<object?[]>(rpms[0]).Length);
        Assert.Equal(10, Assert.IsType<object?[]>(rpms[1]).Length);
        var rpm = Assert.IsType<Dictionary<string, object?>>(((object?[])rpms[0]!)[0]);
        Assert.IsType<int>(rpm["id"]);
        Assert.IsType<string>(rpm["payloadhash"]);

        var build = Assert.IsType<Dictionary<string, object?>>(XmlRpcReader.ParseResponse(Recorded("16-getBuild", "response")));
        Assert.Equal(1, build["epoch"]);
        Assert.Equal("perl-Tiny-Thing-0.4-1.fc41", build["nvr"]);
        Assert.Null(build["task_id"]);
    }

    [Fact]
    public void A_fault_response_throws_the_typed_exception_with_a_stable_id()
    {
        var ex = Assert.ThrowsAny<KojiFaultException>(() => XmlRpcReader.ParseResponse(Recorded("05-getTag", "response")));
        var generic = Assert.IsType<KojiGenericErrorException>(ex);
        Assert.Equal(1000, generic.FaultCode);
        Assert.Equal("KojiGenericError", generic.ErrorId);
        Assert.Equal("No such tagInfo: 'no-such-tag'", generic.FaultString);
        Assert.IsAssignableFrom<StagingException>(ex);
    }

    [Fact]
    public void Faults_inside_a_recorded_multicall_keep_code_and_traceback()
    {
        var items = Assert.IsType<object?[]>(XmlRpcReader.ParseResponse(Recorded("29-multiCall", "response")));
        Assert.Equal(3, items.Length);
        Assert.Equal("f41", ((Dictionary<string, object?>)((object?[])items[0]!)[0]!)["name"]);
        var fault = XmlRpcReader.ToFault(items[2]);
        Assert.IsType<KojiGenericErrorException>(fault);
        Assert.Equal(1000, fault.FaultCode);
        Assert.NotNull(fault.Traceback);
        Assert.Contains(fault.Traceback!, l => l.Contains("/usr/share/koji-hub"));
    }

    [Theory]
    [InlineData(1000, typeof(KojiGenericErrorException), "KojiGenericError")]
    [InlineData(1001, typeof(KojiLockErrorException), "KojiLockError")]
    [InlineData(1002, typeof(KojiAuthErrorException), "KojiAuthError")]
    [InlineData(1003, typeof(KojiTagErrorException), "KojiTagError")]
    [InlineData(1004, typeof(KojiActionNotAllowedException), "KojiActionNotAllowed")]
    [InlineData(1005, typeof(KojiBuildErrorException), "KojiBuildError")]
    [InlineData(1007, typeof(KojiAuthExpiredException), "KojiAuthExpired")]
    [InlineData(1014, typeof(KojiServerOfflineException), "KojiServerOffline")]
    [InlineData(1019, typeof(KojiParameterErrorException), "KojiParameterError")]
    [InlineData(1023, typeof(KojiGSSAPIAuthErrorException), "KojiGSSAPIAuthError")]
    [InlineData(4242, typeof(KojiFaultException), "KojiFault")]
    public void Fault_codes_map_to_kojis_exception_classes(int code, Type type, string id)
    {
        var ex = Assert.ThrowsAny<KojiFaultException>(() => XmlRpcReader.ParseResponse(XmlRpcWriter.Fault(code, "boom")));
        Assert.IsType(type, ex);
        Assert.Equal(id, ex.ErrorId);
        Assert.Equal(code, ex.FaultCode);
        Assert.Contains("boom", ex.Message);
        if (code == 1007) Assert.IsAssignableFrom<KojiAuthErrorException>(ex);
        if (code is >= 1000 and <= 1023) Assert.IsAssignableFrom<KojiGenericErrorException>(ex);
    }

    [Fact]
    public void Values_round_trip_including_nil_i8_datetime_base64_and_nesting()
    {
        var when = new DateTime(2026, 11, 24, 22, 15, 33);
        var bytes = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var value = new Dictionary<string, object?>
        {
            ["nil"] = null,
            ["small"] = -7,
            ["big"] = 5_000_000_000L,
            ["negbig"] = -5_000_000_000L,
            ["longsmall"] = 12L,
            ["yes"] = true,
            ["pi"] = 3.25,
            ["text"] = "a < b & c > d 'q' \"dq\" ünï  ",
            ["empty"] = "",
            ["when"] = when,
            ["blob"] = bytes,
            ["nested"] = new object?[] { new object?[] { 1, null, "x" }, new Dictionary<string, object?>() },
        };
        var xml = XmlRpcWriter.Response(value);
        Assert.Contains("<i8>5000000000</i8>", xml);
        Assert.Contains("<int>12</int>", xml); // a long that fits is still an <int>, as Koji sends it
        Assert.Contains("<value><nil/></value>", xml);
        var back = Assert.IsType<Dictionary<string, object?>>(XmlRpcReader.ParseResponse(xml));
        Assert.Null(back["nil"]);
        Assert.Equal(-7, back["small"]);
        Assert.Equal(5_000_000_000L, back["big"]);
        Assert.Equal(-5_000_000_000L, back["negbig"]);
        Assert.Equal(12, back["longsmall"]);
        Assert.Equal(true, back["yes"]);
        Assert.Equal(3.25, back["pi"]);
        Assert.Equal(value["text"], back["text"]);
        Assert.Equal("", back["empty"]);
        Assert.Equal(when, back["when"]);
        Assert.Equal(bytes, back["blob"]);
        var nested = Assert.IsType<object?[]>(back["nested"]);
        Assert.Equal(new object?[] { 1, null, "x" }, Assert.IsType<object?[]>(nested[0]));
        Assert.Empty(Assert.IsType<Dictionary<string, object?>>(nested[1]));
        Assert.Equal(xml, XmlRpcWriter.Response(back));
    }

    [Fact]
    public void Keyword_arguments_become_a_trailing_starstar_struct_and_decode_back()
    {
        var xml = XmlRpcWriter.MethodCall("listTagged", XmlRpcWriter.EncodeArgs(new object?[] { "f41" },
            new Dictionary<string, object?> { ["event"] = 151, ["inherit"] = true }));
        var (method, ps) = XmlRpcReader.ParseMethodCall(xml);
        Assert.Equal("listTagged", method);
        Assert.Equal(2, ps.Length);
        var kw = Assert.IsType<Dictionary<string, object?>>(ps[1]);
        Assert.Equal(new[] { "event", "inherit", "__starstar" }, kw.Keys);
        Assert.Equal(true, kw["__starstar"]);
        // no kwargs → no trailing struct
        Assert.Single(XmlRpcWriter.EncodeArgs(new object?[] { "f41" }, new Dictionary<string, object?>()));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    [InlineData(1795558775.226591, "1795558775.226591")]
    [InlineData(123456789012345680000.0, "1.2345678901234568e+20")]
    public void Doubles_are_written_as_python_repr(double d, string expected) =>
        Assert.Equal(expected, XmlRpcWriter.PythonRepr(d));

    [Theory]
    [InlineData("<html><body>Not Found</body></html>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><weird>1</weird></value></param></params></methodResponse>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><int>3000000000</int></value></param></params></methodResponse>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><boolean>2</boolean></value></param></params></methodResponse>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><struct><member><value><int>1</int></value></member></struct></value></param></params></methodResponse>")]
    [InlineData("<?xml version='1.0'?><methodResponse><params><param><value><array><data><value><int>1</int></value>")]
    [InlineData("not xml at all")]
    [InlineData("<!DOCTYPE x [<!ENTITY a 'b'>]><methodResponse/>")]
    public void Malformed_answers_are_protocol_errors(string xml)
    {
        var ex = Assert.Throws<StagingException>(() => XmlRpcReader.ParseResponse(xml));
        Assert.Equal("KojiHubProtocolError", ex.ErrorId);
        Assert.Equal(StagingErrorCategory.ProtocolError, ex.Category);
    }

    [Fact]
    public void Untyped_values_and_i4_are_accepted()
    {
        var v = XmlRpcReader.ParseResponse("<?xml version='1.0'?><methodResponse><params><param><value><array><data>" +
            "<value> plain text </value><value><i4>-4</i4></value><value/><value><string/></value>" +
            "<value><dateTime.iso8601>2026-11-24T22:15:33</dateTime.iso8601></value></data></array></value></param></params></methodResponse>");
        Assert.Equal(new object?[] { " plain text ", -4, "", "", new DateTime(2026, 11, 24, 22, 15, 33) }, Assert.IsType<object?[]>(v));
    }
}
