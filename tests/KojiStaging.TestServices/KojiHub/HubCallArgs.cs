namespace KojiStaging.TestServices.KojiHub;

/// <summary>A fault the emulated hub returns (Koji's exception class name and code).</summary>
public sealed class HubFaultException(int code, string message, string kojiClass = "GenericError") : Exception(message)
{
    public int Code { get; } = code;
    public string KojiClass { get; } = kojiClass;

    public static HubFaultException Generic(string message) => new(1000, message);
    public static HubFaultException Parameter(string message) => new(1019, message, "ParameterError");
}

/// <summary>
/// Koji's argument decoding (koji.decode_args + call_with_argcheck): positional parameters, then a
/// trailing struct with <c>__starstar</c> as keyword arguments, bound to a method's parameter names.
/// </summary>
public sealed class HubCallArgs
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public static HubCallArgs Bind(string method, object?[] raw, params string[] names)
    {
        var args = raw;
        Dictionary<string, object?>? opts = null;
        if (raw.Length > 0 && raw[^1] is Dictionary<string, object?> last && last.TryGetValue("__starstar", out var ss) && Truthy(ss))
        {
            opts = last;
            args = raw[..^1];
        }
        if (args.Length > names.Length)
            throw HubFaultException.Parameter($"{method}() takes at most {names.Length} positional arguments but {args.Length} were given");
        var bound = new HubCallArgs();
        for (var i = 0; i < args.Length; i++) bound._values[names[i]] = args[i];
        if (opts is not null)
            foreach (var (k, v) in opts)
            {
                if (k == "__starstar") continue;
                if (!names.Contains(k)) throw HubFaultException.Parameter($"{method}() got an unexpected keyword argument '{k}'");
                if (bound._values.ContainsKey(k)) throw HubFaultException.Parameter($"{method}() got multiple values for argument '{k}'");
                bound._values[k] = v;
            }
        return bound;
    }

    public bool Has(string name) => _values.TryGetValue(name, out var v) && v is not null;
    public object? Raw(string name) => _values.GetValueOrDefault(name);
    public bool Bool(string name, bool dflt = false) => _values.TryGetValue(name, out var v) ? Truthy(v) : dflt;
    public string? Str(string name) => _values.GetValueOrDefault(name) as string;

    public int? Int(string name) => _values.GetValueOrDefault(name) switch
    {
        null => null,
        int i => i,
        long l => checked((int)l),
        string s when int.TryParse(s, out var p) => p,
        var other => throw HubFaultException.Parameter($"{name}: expected an int, not {other.GetType().Name}"),
    };

    public object Required(string name) =>
        _values.GetValueOrDefault(name) ?? throw HubFaultException.Parameter($"missing required argument '{name}'");

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        int i => i != 0,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        object?[] a => a.Length > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's repr() of a str or int, as Koji's messages use it (%r).</summary>
    public static string Repr(object? v) => v switch
    {
        null => "None",
        string s when s.Contains('\'') && !s.Contains('"') => $"\"{s}\"",
        string s => $"'{s.Replace("\\", "\\\\").Replace("'", "\\'")}'",
        bool b => b ? "True" : "False",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
