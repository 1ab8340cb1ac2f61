namespace KojiStaging.Engine.Koji.Hub;

/// <summary>
/// Anonymous read access to a Koji hub's XML-RPC API (/kojihub). Values follow the XML-RPC mapping of
/// <see cref="XmlRpc.XmlRpcReader"/>: struct → Dictionary&lt;string, object?&gt;, array → object?[], int → int,
/// i8 → long, nil → null, …. Faults throw a <see cref="KojiFaultException"/> subtype.
/// </summary>
public interface IKojiHub
{
    /// <summary>One call. <paramref name="kwargs"/> travel as Koji's trailing <c>__starstar</c> struct.</summary>
    Task<object?> CallAsync(string method, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?>? kwargs, CancellationToken ct);

    /// <summary>Many calls through Koji's <c>multiCall</c>, split into batches; one result per call, in order.
    /// A call that faults gives a result with <see cref="KojiCallResult.Fault"/> set; the others still answer.</summary>
    Task<IReadOnlyList<KojiCallResult>> MultiCallAsync(IReadOnlyList<KojiCall> calls, CancellationToken ct);

    /// <summary>HTTP requests sent so far (each multiCall batch and each retry counts once).</summary>
    int RoundTrips { get; }

    /// <summary>The hub's <c>Koji-Version</c> response header, once a response carried it.</summary>
    string? KojiVersion { get; }
}

/// <summary>One call of a multiCall.</summary>
public sealed record KojiCall(string Method, IReadOnlyList<object?> Args, IReadOnlyDictionary<string, object?>? Kwargs = null);

/// <summary>The answer to one call of a multiCall: its value, or the fault it raised.</summary>
public sealed record KojiCallResult(object? Value, KojiFaultException? Fault)
{
    /// <summary>The value, or throws the fault.</summary>
    public object? GetValueOrThrow() => Fault is null ? Value : throw Fault;
}
