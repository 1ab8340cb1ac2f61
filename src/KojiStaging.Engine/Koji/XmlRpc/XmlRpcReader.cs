using System.Globalization;
using System.Text;
using System.Xml;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;

namespace KojiStaging.Engine.Koji.XmlRpc;

/// <summary>
/// A strict, streaming XML-RPC parser (XmlReader over the stream, never the whole document in memory
/// as a DOM). Maps values to .NET: struct → Dictionary&lt;string, object?&gt; (ordinal, document order),
/// array → object?[], int/i4 → int, i8 → long, boolean → bool, double → double, string (or an untyped
/// value) → string, nil → null, dateTime.iso8601 → DateTime (Kind Unspecified, as sent), base64 → byte[].
/// A fault response throws the typed <see cref="KojiFaultException"/> for its code; anything that is not
/// well-formed XML-RPC throws a StagingException "KojiHubProtocolError".
/// </summary>
public static class XmlRpcReader
{
    public const string ProtocolErrorId = "KojiHubProtocolError";

    private static readonly XmlReaderSettings Settings = new()
    {
        Async = true,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    /// <summary>Reads a methodResponse; returns its value or throws the fault it carries.</summary>
    public static async Task<object?> ReadResponseAsync(Stream stream, CancellationToken ct = default)
    {
        try
        {
            using var r = XmlReader.Create(stream, Settings);
            await r.MoveToContentAsync().ConfigureAwait(false);
            ExpectStart(r, "methodResponse");
            await r.ReadAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            if (r.NodeType == XmlNodeType.Element && r.LocalName == "fault")
            {
                await r.ReadAsync().ConfigureAwait(false);
                await SkipWhitespaceAsync(r).ConfigureAwait(false);
                ExpectStart(r, "value");
                var fault = await ReadValueAsync(r, ct).ConfigureAwait(false);
                throw ToFault(fault);
            }
            ExpectStart(r, "params");
            await r.ReadAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            ExpectStart(r, "param");
            await r.ReadAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            ExpectStart(r, "value");
            var value = await ReadValueAsync(r, ct).ConfigureAwait(false);
            await ExpectEndAsync(r, "param").ConfigureAwait(false);
            await ExpectEndAsync(r, "params").ConfigureAwait(false);
            await ExpectEndAsync(r, "methodResponse").ConfigureAwait(false);
            return value;
        }
        catch (Exception ex) when (ex is XmlException or FormatException or OverflowException or DecoderFallbackException)
        {
            throw ProtocolError($"the hub's answer is not valid XML-RPC: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a methodCall (what a hub receives): the method name and its raw parameters.</summary>
    public static async Task<(string Method, object?[] Params)> ReadMethodCallAsync(Stream stream, CancellationToken ct = default)
    {
        try
        {
            using var r = XmlReader.Create(stream, Settings);
            await r.MoveToContentAsync().ConfigureAwait(false);
            ExpectStart(r, "methodCall");
            await r.ReadAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            ExpectStart(r, "methodName");
            var method = (await r.ReadElementContentAsStringAsync().ConfigureAwait(false)).Trim();
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            var ps = new List<object?>();
            if (r.NodeType == XmlNodeType.Element && r.LocalName == "params")
            {
                if (r.IsEmptyElement) await r.ReadAsync().ConfigureAwait(false);
                else
                {
                    await r.ReadAsync().ConfigureAwait(false);
                    while (true)
                    {
                        await SkipWhitespaceAsync(r).ConfigureAwait(false);
                        if (r.NodeType == XmlNodeType.EndElement) { await r.ReadAsync().ConfigureAwait(false); break; }
                        ExpectStart(r, "param");
                        await r.ReadAsync().ConfigureAwait(false);
                        await SkipWhitespaceAsync(r).ConfigureAwait(false);
                        ExpectStart(r, "value");
                        ps.Add(await ReadValueAsync(r, ct).ConfigureAwait(false));
                        await ExpectEndAsync(r, "param").ConfigureAwait(false);
                    }
                }
            }
            await ExpectEndAsync(r, "methodCall").ConfigureAwait(false);
            return (method, ps.ToArray());
        }
        catch (Exception ex) when (ex is XmlException or FormatException or OverflowException or DecoderFallbackException)
        {
            throw ProtocolError($"not a valid XML-RPC call: {ex.Message}", ex);
        }
    }

    /// <summary>Convenience for tests and small documents.</summary>
    public static object? ParseResponse(string xml)
    {
        using var ms = new MemoryStream(Encoding.UTF8.GetBytes(xml));
        return ReadResponseAsync(ms).GetAwaiter().GetResult();
    }

    public static (string Method, object?[] Params) ParseMethodCall(string xml)
    {
        using var ms = new MemoryStream(Encoding.UTF8.GetBytes(xml));
        return ReadMethodCallAsync(ms).GetAwaiter().GetResult();
    }

    /// <summary>A fault struct ({faultCode, faultString[, traceback]}) as its typed exception.</summary>
    public static KojiFaultException ToFault(object? fault)
    {
        if (fault is not Dictionary<string, object?> f || !f.TryGetValue("faultCode", out var code) || code is not int c)
            throw ProtocolError("the hub sent a fault without an integer faultCode");
        var text = f.TryGetValue("faultString", out var s) ? s as string ?? "" : "";
        IReadOnlyList<string>? tb = f.TryGetValue("traceback", out var t) && t is object?[] lines
            ? lines.Select(l => l?.ToString() ?? "").ToArray()
            : null;
        return KojiFaultException.FromFault(c, text, tb);
    }

    internal static StagingException ProtocolError(string message, Exception? inner = null) =>
        new(ProtocolErrorId, StagingErrorCategory.ProtocolError, message, inner: inner);

    private static async Task<object?> ReadValueAsync(XmlReader r, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (r.IsEmptyElement) { await r.ReadAsync().ConfigureAwait(false); return ""; }
        await r.ReadAsync().ConfigureAwait(false);
        StringBuilder? text = null;
        while (r.NodeType is XmlNodeType.Text or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.CDATA)
        {
            (text ??= new StringBuilder()).Append(r.Value);
            await r.ReadAsync().ConfigureAwait(false);
        }
        if (r.NodeType == XmlNodeType.EndElement)
        {
            await r.ReadAsync().ConfigureAwait(false);
            return text?.ToString() ?? ""; // untyped value: a string
        }
        if (r.NodeType != XmlNodeType.Element) throw new XmlException($"unexpected {r.NodeType} in <value>");
        if (text is not null && !string.IsNullOrWhiteSpace(text.ToString()))
            throw new XmlException("mixed text and a typed element in <value>");
        var value = await ReadTypedAsync(r, ct).ConfigureAwait(false);
        await ExpectEndAsync(r, "value").ConfigureAwait(false);
        return value;
    }

    private static async Task<object?> ReadTypedAsync(XmlReader r, CancellationToken ct)
    {
        var type = r.LocalName;
        switch (type)
        {
            case "nil":
                if (r.IsEmptyElement) await r.ReadAsync().ConfigureAwait(false);
                else await ExpectEndAfterStartAsync(r, "nil").ConfigureAwait(false);
                return null;
            case "struct":
                return await ReadStructAsync(r, ct).ConfigureAwait(false);
            case "array":
                return await ReadArrayAsync(r, ct).ConfigureAwait(false);
        }
        var s = await r.ReadElementContentAsStringAsync().ConfigureAwait(false);
        return type switch
        {
            "string" => s,
            "int" or "i4" => int.Parse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            "i8" => long.Parse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            "boolean" => s.Trim() switch
            {
                "1" => true,
                "0" => false,
                var other => throw new FormatException($"boolean must be 0 or 1, not '{other}'"),
            },
            "double" => ParseDouble(s.Trim()),
            "dateTime.iso8601" => ParseDateTime(s.Trim()),
            "base64" => Convert.FromBase64String(string.Concat(s.Where(c => !char.IsWhiteSpace(c)))),
            _ => throw new XmlException($"unknown XML-RPC type <{type}>"),
        };
    }

    private static async Task<Dictionary<string, object?>> ReadStructAsync(XmlReader r, CancellationToken ct)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (r.IsEmptyElement) { await r.ReadAsync().ConfigureAwait(false); return d; }
        await r.ReadAsync().ConfigureAwait(false);
        while (true)
        {
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            if (r.NodeType == XmlNodeType.EndElement)
            {
                if (r.LocalName != "struct") throw new XmlException($"unexpected </{r.LocalName}> in <struct>");
                await r.ReadAsync().ConfigureAwait(false);
                return d;
            }
            ExpectStart(r, "member");
            await r.ReadAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            ExpectStart(r, "name");
            var name = await r.ReadElementContentAsStringAsync().ConfigureAwait(false);
            await SkipWhitespaceAsync(r).ConfigureAwait(false);
            ExpectStart(r, "value");
            d[name] = await ReadValueAsync(r, ct).ConfigureAwait(false);
            await ExpectEndAsync(r, "member").ConfigureAwait(false);
        }
    }

    private static async Task<object?[]> ReadArrayAsync(XmlReader r, CancellationToken ct)
    {
        var items = new List<object?>();
        if (r.IsEmptyElement) throw new XmlException("<array/> without <data>");
        await r.ReadAsync().ConfigureAwait(false);
        await SkipWhitespaceAsync(r).ConfigureAwait(false);
        ExpectStart(r, "data");
        if (r.IsEmptyElement) await r.ReadAsync().ConfigureAwait(false);
        else
        {
            await r.ReadAsync().ConfigureAwait(false);
            while (true)
            {
                await SkipWhitespaceAsync(r).ConfigureAwait(false);
                if (r.NodeType == XmlNodeType.EndElement)
                {
                    if (r.LocalName != "data") throw new XmlException($"unexpected </{r.LocalName}> in <data>");
                    await r.ReadAsync().ConfigureAwait(false);
                    break;
                }
                ExpectStart(r, "value");
                items.Add(await ReadValueAsync(r, ct).ConfigureAwait(false));
            }
        }
        await ExpectEndAsync(r, "array").ConfigureAwait(false);
        return items.ToArray();
    }

    private static double ParseDouble(string s) => s switch
    {
        "nan" or "NaN" => double.NaN,
        "inf" or "Infinity" => double.PositiveInfinity,
        "-inf" or "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static readonly string[] DateFormats =
    {
        "yyyyMMdd'T'HH':'mm':'ss", "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "yyyyMMdd'T'HHmmss",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF", "yyyyMMdd'T'HH':'mm':'ss.FFFFFFF",
    };

    private static DateTime ParseDateTime(string s) =>
        DateTime.ParseExact(s.TrimEnd('Z'), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None);

    private static async Task SkipWhitespaceAsync(XmlReader r)
    {
        while (r.NodeType is XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
            await r.ReadAsync().ConfigureAwait(false);
        if (r.NodeType == XmlNodeType.Text && string.IsNullOrWhiteSpace(r.Value)) await r.ReadAsync().ConfigureAwait(false);
        if (r.NodeType == XmlNodeType.Text) throw new XmlException($"unexpected text '{Trunc(r.Value)}'");
    }

    private static void ExpectStart(XmlReader r, string name)
    {
        if (r.NodeType != XmlNodeType.Element || r.LocalName != name)
            throw new XmlException(r.NodeType == XmlNodeType.None
                ? $"document ended where <{name}> was expected"
                : $"expected <{name}>, found {Describe(r)}");
    }

    private static async Task ExpectEndAsync(XmlReader r, string name)
    {
        await SkipWhitespaceAsync(r).ConfigureAwait(false);
        if (r.NodeType != XmlNodeType.EndElement || r.LocalName != name)
            throw new XmlException($"expected </{name}>, found {Describe(r)}");
        await r.ReadAsync().ConfigureAwait(false);
    }

    private static async Task ExpectEndAfterStartAsync(XmlReader r, string name)
    {
        await r.ReadAsync().ConfigureAwait(false);
        await ExpectEndAsync(r, name).ConfigureAwait(false);
    }

    private static string Describe(XmlReader r) => r.NodeType switch
    {
        XmlNodeType.Element => $"<{r.LocalName}>",
        XmlNodeType.EndElement => $"</{r.LocalName}>",
        XmlNodeType.None => "the end of the document",
        _ => r.NodeType.ToString(),
    };

    private static string Trunc(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
