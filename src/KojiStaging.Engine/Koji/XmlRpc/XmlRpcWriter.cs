using System.Collections;
using System.Globalization;
using System.Text;

namespace KojiStaging.Engine.Koji.XmlRpc;

/// <summary>
/// Serialises XML-RPC calls, responses and faults in exactly the byte layout of Python's
/// xmlrpc.client.Marshaller with Koji's extensions (koji.xmlrpcplus): <c>&lt;nil/&gt;</c> for None,
/// <c>&lt;i8&gt;</c> for integers outside 32 bits. Requests therefore equal what koji's own client
/// sends, and responses what a Koji hub returns (the fixture recordings are compared byte for byte).
/// Supported .NET values: null, bool, int/short/byte/long (and unsigned up to long), double/float/decimal,
/// string/char, DateTime/DateTimeOffset, byte[], IDictionary with string keys (struct, in enumeration
/// order), IEnumerable (array).
/// </summary>
public static class XmlRpcWriter
{
    private const string Header = "<?xml version='1.0'?>\n";

    public static string MethodCall(string method, IEnumerable<object?> parameters)
    {
        var sb = new StringBuilder(256);
        sb.Append(Header).Append("<methodCall>\n<methodName>");
        Escape(sb, method);
        sb.Append("</methodName>\n<params>\n");
        foreach (var p in parameters)
        {
            sb.Append("<param>\n");
            WriteValue(sb, p);
            sb.Append("</param>\n");
        }
        sb.Append("</params>\n</methodCall>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The same bytes as <see cref="MethodCall"/> with one array parameter, from items already encoded by
    /// <see cref="EncodeValue"/>: lets a caller measure each item before choosing how many go in one request.
    /// </summary>
    public static string MethodCallWithEncodedArray(string method, IEnumerable<string> encodedItems)
    {
        var sb = new StringBuilder(4096);
        sb.Append(Header).Append("<methodCall>\n<methodName>");
        Escape(sb, method);
        sb.Append("</methodName>\n<params>\n<param>\n<value><array><data>\n");
        foreach (var item in encodedItems) sb.Append(item);
        sb.Append("</data></array></value>\n</param>\n</params>\n</methodCall>\n");
        return sb.ToString();
    }

    /// <summary>Bytes <see cref="MethodCallWithEncodedArray"/> adds around its items (ASCII, so chars = bytes).</summary>
    public static int EncodedArrayCallOverhead(string method) => MethodCallWithEncodedArray(method, Array.Empty<string>()).Length;

    public static string EncodeValue(object? value)
    {
        var sb = new StringBuilder(256);
        WriteValue(sb, value);
        return sb.ToString();
    }

    public static string Response(object? value)
    {
        var sb = new StringBuilder(1024);
        sb.Append(Header).Append("<methodResponse>\n<params>\n<param>\n");
        WriteValue(sb, value);
        sb.Append("</param>\n</params>\n</methodResponse>\n");
        return sb.ToString();
    }

    public static string Fault(int faultCode, string faultString)
    {
        var sb = new StringBuilder(256);
        sb.Append(Header).Append("<methodResponse>\n<fault>\n");
        WriteValue(sb, new Dictionary<string, object?> { ["faultCode"] = faultCode, ["faultString"] = faultString });
        sb.Append("</fault>\n</methodResponse>\n");
        return sb.ToString();
    }

    /// <summary>The arguments Koji's client sends: positional ones, then kwargs as a struct with __starstar.</summary>
    public static IReadOnlyList<object?> EncodeArgs(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?>? kwargs)
    {
        if (kwargs is null || kwargs.Count == 0) return args;
        var opts = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in kwargs) opts[kv.Key] = kv.Value;
        opts["__starstar"] = true;
        var all = new object?[args.Count + 1];
        for (var i = 0; i < args.Count; i++) all[i] = args[i];
        all[^1] = opts;
        return all;
    }

    public static void WriteValue(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("<value><nil/></value>");
                break;
            case bool b:
                sb.Append("<value><boolean>").Append(b ? '1' : '0').Append("</boolean></value>\n");
                break;
            case int or short or byte or sbyte or ushort:
                sb.Append("<value><int>").Append(Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)).Append("</int></value>\n");
                break;
            case long or uint or ulong:
                WriteInteger(sb, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append("<value><double>").Append(PythonRepr(d)).Append("</double></value>\n");
                break;
            case float f:
                sb.Append("<value><double>").Append(PythonRepr(f)).Append("</double></value>\n");
                break;
            case decimal m:
                sb.Append("<value><double>").Append(PythonRepr((double)m)).Append("</double></value>\n");
                break;
            case string s:
                sb.Append("<value><string>");
                Escape(sb, s);
                sb.Append("</string></value>\n");
                break;
            case char c:
                sb.Append("<value><string>");
                Escape(sb, c.ToString());
                sb.Append("</string></value>\n");
                break;
            case DateTime dt:
                sb.Append("<value><dateTime.iso8601>").Append(dt.ToString("yyyyMMdd'T'HH':'mm':'ss", CultureInfo.InvariantCulture)).Append("</dateTime.iso8601></value>\n");
                break;
            case DateTimeOffset dto:
                sb.Append("<value><dateTime.iso8601>").Append(dto.UtcDateTime.ToString("yyyyMMdd'T'HH':'mm':'ss", CultureInfo.InvariantCulture)).Append("</dateTime.iso8601></value>\n");
                break;
            case byte[] bytes:
                sb.Append("<value><base64>\n");
                AppendBase64Lines(sb, bytes);
                sb.Append("</base64></value>\n");
                break;
            case IDictionary dict:
                sb.Append("<value><struct>\n");
                foreach (DictionaryEntry e in dict)
                {
                    if (e.Key is not string key)
                        throw new ArgumentException($"XML-RPC struct keys must be strings, not {e.Key?.GetType().Name ?? "null"}");
                    sb.Append("<member>\n<name>");
                    Escape(sb, key);
                    sb.Append("</name>\n");
                    WriteValue(sb, e.Value);
                    sb.Append("</member>\n");
                }
                sb.Append("</struct></value>\n");
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                sb.Append("<value><struct>\n");
                foreach (var kv in pairs)
                {
                    sb.Append("<member>\n<name>");
                    Escape(sb, kv.Key);
                    sb.Append("</name>\n");
                    WriteValue(sb, kv.Value);
                    sb.Append("</member>\n");
                }
                sb.Append("</struct></value>\n");
                break;
            case IEnumerable list:
                sb.Append("<value><array><data>\n");
                foreach (var item in list) WriteValue(sb, item);
                sb.Append("</data></array></value>\n");
                break;
            default:
                throw new ArgumentException($"cannot marshal a {value.GetType().FullName} to XML-RPC");
        }
    }

    private static void WriteInteger(StringBuilder sb, long v)
    {
        var tag = v is > int.MaxValue or < int.MinValue ? "i8" : "int";
        sb.Append("<value><").Append(tag).Append('>').Append(v.ToString(CultureInfo.InvariantCulture)).Append("</").Append(tag).Append("></value>\n");
    }

    /// <summary>Python's xml escape as xmlrpc.client uses it: only &amp;, &lt; and &gt;.</summary>
    private static void Escape(StringBuilder sb, string s)
    {
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                default: sb.Append(ch); break;
            }
        }
    }

    /// <summary>base64.encodebytes: lines of 76 characters, each ending with a newline.</summary>
    private static void AppendBase64Lines(StringBuilder sb, byte[] bytes)
    {
        var text = Convert.ToBase64String(bytes);
        for (var i = 0; i < text.Length; i += 76)
            sb.Append(text, i, Math.Min(76, text.Length - i)).Append('\n');
    }

    /// <summary>Python's repr(float): shortest round-trip digits, fixed notation for 1e-4 ≤ |x| &lt; 1e16, else d.ddde±XX.</summary>
    public static string PythonRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        // Parse the shortest form into sign, digits and decimal exponent.
        var neg = shortest.StartsWith('-');
        var body = neg ? shortest[1..] : shortest;
        var exp = 0;
        var ePos = body.IndexOfAny(new[] { 'E', 'e' });
        if (ePos >= 0)
        {
            exp = int.Parse(body[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            body = body[..ePos];
        }
        var dot = body.IndexOf('.');
        string digits;
        int pointPos; // position of the decimal point relative to the start of digits
        if (dot >= 0) { digits = body[..dot] + body[(dot + 1)..]; pointPos = dot; }
        else { digits = body; pointPos = body.Length; }
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        pointPos += exp;
        var decExp = pointPos - 1; // exponent in d.ddd form
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        if (decExp < -4 || decExp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(decExp < 0 ? '-' : '+').Append(Math.Abs(decExp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPos <= 0)
        {
            sb.Append("0.").Append('0', -pointPos).Append(digits);
        }
        else if (pointPos >= digits.Length)
        {
            sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
        }
        return sb.ToString();
    }
}
