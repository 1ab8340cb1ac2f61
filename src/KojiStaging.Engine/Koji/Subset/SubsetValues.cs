using System.Globalization;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.XmlRpc;
using Row = System.Collections.Generic.IReadOnlyDictionary<string, object?>;

namespace KojiStaging.Engine.Koji.Subset;

/// <summary>Hub answers as row values: typed members, and times exact to the microsecond.</summary>
internal static class SubsetValues
{
    public static object?[] List(object? v) => v as object?[] ?? (v as System.Collections.IEnumerable)?.Cast<object?>().ToArray()
        ?? throw XmlRpcReader.ProtocolError("expected an array from the hub");
    public static Row AsRow(object? v) => KojiHubExtensions.Struct(v, "hub answer");
    public static int Int(object? v) => v switch { int i => i, long l => checked((int)l), _ => throw XmlRpcReader.ProtocolError($"expected an int, got {v ?? "nil"}") };
    public static long Long(object? v) => v switch { int i => i, long l => l, double d => (long)d, _ => throw XmlRpcReader.ProtocolError($"expected an integer, got {v ?? "nil"}") };
    public static double Num(object? v) => v switch { int i => i, long l => l, double d => d, _ => throw XmlRpcReader.ProtocolError($"expected a number, got {v ?? "nil"}") };
    public static string? Str(object? v) => v as string;
    public static string? Json(object? v) => v is null ? null : v as string ?? System.Text.Json.JsonSerializer.Serialize(v);

    /// <summary>
    /// A *_ts float (date_part('epoch', …) in the hub) as a UTC time rounded to the microsecond. PostgreSQL keeps
    /// microseconds; a double near 1.8e9 s is within 0.12 µs of the stored value, so rounding to the microsecond gives
    /// it back exactly, where rounding to .NET ticks and letting Npgsql truncate them lands 1 µs early half the time.
    /// </summary>
    public static DateTime? FromTs(object? ts) =>
        ts is null ? null : DateTime.UnixEpoch.AddTicks((long)Math.Round(Num(ts) * 1_000_000d, MidpointRounding.AwayFromZero) * 10);

    /// <summary>A time the hub sends as str(datetime) ('2026-11-24 22:16:24.979370+00:00'): exact, preferred over *_ts.</summary>
    public static DateTime? FromString(object? s)
    {
        if (s is not string text) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            throw XmlRpcReader.ProtocolError($"expected a time, got '{text}'");
        return t.UtcDateTime;
    }

    /// <summary>The exact string time if the hub sent one, else its float twin.</summary>
    public static DateTime? Time(Row row, string stringKey, string tsKey) =>
        FromString(row.GetValueOrDefault(stringKey)) ?? FromTs(row.GetValueOrDefault(tsKey));
}
