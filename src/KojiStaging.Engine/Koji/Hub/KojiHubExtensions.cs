using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.XmlRpc;

namespace KojiStaging.Engine.Koji.Hub;

/// <summary>Typed helpers over <see cref="IKojiHub"/> for the calls the module makes often.</summary>
public static class KojiHubExtensions
{
    private static readonly object?[] NoArgs = System.Array.Empty<object?>();

    /// <summary>Positional-only call.</summary>
    public static Task<object?> CallAsync(this IKojiHub hub, string method, CancellationToken ct, params object?[] args) =>
        hub.CallAsync(method, args, null, ct);

    /// <summary>getLastEvent → (id, ts).</summary>
    public static async Task<(int Id, double Ts)> GetLastEventAsync(this IKojiHub hub, CancellationToken ct)
    {
        var s = Struct(await hub.CallAsync("getLastEvent", NoArgs, null, ct).ConfigureAwait(false), "getLastEvent");
        return (Get<int>(s, "id", "getLastEvent"), Get<double>(s, "ts", "getLastEvent"));
    }

    /// <summary>getAPIVersion (1 for every Koji since 1.x).</summary>
    public static async Task<int> GetApiVersionAsync(this IKojiHub hub, CancellationToken ct) =>
        await hub.CallAsync("getAPIVersion", NoArgs, null, ct).ConfigureAwait(false) is int v
            ? v : throw XmlRpcReader.ProtocolError("getAPIVersion did not answer an int");

    /// <summary>getTag(name or id, strict=True, event=...) → struct; a missing tag throws "KojiTagNotFound".</summary>
    public static async Task<IReadOnlyDictionary<string, object?>> GetTagAsync(this IKojiHub hub, object tag, int? eventId, CancellationToken ct)
    {
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (eventId is { } e) kwargs["event"] = e;
        var v = await hub.CallAsync("getTag", new[] { tag }, kwargs, ct).ConfigureAwait(false);
        return v is null
            ? throw new StagingException("KojiTagNotFound", StagingErrorCategory.ObjectNotFound,
                $"the Koji hub has no tag '{tag}'.{await hub.NearestTagsAsync(tag.ToString() ?? "", ct).ConfigureAwait(false)}", tag)
            : Struct(v, "getTag");
    }

    /// <summary>
    /// " Did you mean …?" from the hub's tag names (one listTags call, only on the error path), or "" when
    /// nothing is close or the hub cannot list them: the hint must never hide the original error.
    /// </summary>
    public static async Task<string> NearestTagsAsync(this IKojiHub hub, string typed, CancellationToken ct)
    {
        try
        {
            var names = List(await hub.CallAsync("listTags", NoArgs, null, ct).ConfigureAwait(false), "listTags")
                .OfType<Dictionary<string, object?>>()
                .Select(t => t.TryGetValue("name", out var n) ? n as string : null)
                .OfType<string>();
            return NearestNames.DidYouMean(typed, names);
        }
        catch (Exception ex) when (ex is not OperationCanceledException) { return ""; }
    }

    /// <summary>A value as a struct, or a protocol error naming the call.</summary>
    public static IReadOnlyDictionary<string, object?> Struct(object? value, string what) =>
        value as Dictionary<string, object?> ?? throw XmlRpcReader.ProtocolError($"{what} did not answer a struct");

    /// <summary>A value as an array, or a protocol error naming the call.</summary>
    public static object?[] List(object? value, string what) =>
        value as object?[] ?? throw XmlRpcReader.ProtocolError($"{what} did not answer an array");

    /// <summary>A struct member of the expected type (int widens to long and double).</summary>
    public static T Get<T>(IReadOnlyDictionary<string, object?> s, string key, string what)
    {
        if (!s.TryGetValue(key, out var v)) throw XmlRpcReader.ProtocolError($"{what}: no member '{key}'");
        object? converted = v switch
        {
            int i when typeof(T) == typeof(long) => (long)i,
            int i when typeof(T) == typeof(double) => (double)i,
            long l when typeof(T) == typeof(double) => (double)l,
            _ => v,
        };
        return converted is T t ? t : throw XmlRpcReader.ProtocolError($"{what}: member '{key}' is {v?.GetType().Name ?? "nil"}, not {typeof(T).Name}");
    }
}
