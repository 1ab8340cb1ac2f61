using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KojiStaging.TestServices.Ontap;

/// <summary>
/// ONTAP's record conventions: <c>fields</c> selection (key fields always, expensive fields only by name,
/// unknown fields refused), query filters on dotted paths with * wildcards and | alternatives,
/// and body validation that refuses unexpected fields the way ONTAP does.
/// </summary>
public static class OntapJson
{
    public sealed class BadRequest : Exception
    {
        public BadRequest(string message, string code, string? target = null) : base(message) { Code = code; Target = target; }
        public string Code { get; }
        public string? Target { get; }
    }

    /// <summary>Dotted paths of every leaf in <paramref name="node"/>.</summary>
    public static IEnumerable<string> Leaves(JsonObject node, string prefix = "")
    {
        foreach (var (k, v) in node)
        {
            var path = prefix + k;
            if (v is JsonObject o) foreach (var p in Leaves(o, path + ".")) yield return p;
            else yield return path;
        }
    }

    public static JsonNode? Get(JsonObject obj, string path)
    {
        JsonNode? cur = obj;
        foreach (var part in path.Split('.'))
        {
            if (cur is not JsonObject o || !o.TryGetPropertyValue(part, out cur)) return null;
        }
        return cur;
    }

    private static void Set(JsonObject target, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var cur = target;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (cur[parts[i]] is not JsonObject next) { next = new JsonObject(); cur[parts[i]] = next; }
            cur = next;
        }
        cur[parts[^1]] = value?.DeepClone();
    }

    /// <summary>
    /// Selects fields of a full record. <paramref name="fields"/> null: <paramref name="defaults"/>;
    /// "*": every field but the expensive ones; a list: those (expensive ones too) plus the key fields.
    /// </summary>
    public static JsonObject Select(JsonObject full, string? fields, IReadOnlyCollection<string> keys,
        IReadOnlyCollection<string> expensivePrefixes, IReadOnlyCollection<string> defaults)
    {
        var leaves = Leaves(full).ToList();
        IEnumerable<string> wanted;
        if (fields is null) wanted = defaults.SelectMany(d => leaves.Where(l => l == d || l.StartsWith(d + ".")));
        else
        {
            var list = new List<string>();
            foreach (var f in fields.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (f == "*" || f == "**")
                {
                    list.AddRange(leaves.Where(l => f == "**" || !expensivePrefixes.Any(e => l == e || l.StartsWith(e + "."))));
                    continue;
                }
                var matches = leaves.Where(l => l == f || l.StartsWith(f + ".")).ToList();
                if (matches.Count == 0)
                    throw new BadRequest($"The value \"{f}\" is invalid for field \"fields\"", "262197", "fields");
                list.AddRange(matches);
            }
            wanted = list.Concat(keys.SelectMany(k => leaves.Where(l => l == k || l.StartsWith(k + "."))));
        }
        var result = new JsonObject();
        foreach (var path in wanted.Distinct()) Set(result, path, Get(full, path));
        if (full["_links"] is JsonNode links) result["_links"] = links.DeepClone();
        return result;
    }

    /// <summary>Does <paramref name="record"/> match an ONTAP query value (* wildcard, | alternatives, ! negation)?</summary>
    public static bool Matches(JsonObject record, string path, string query, IEnumerable<string> knownPaths)
    {
        if (!knownPaths.Any(p => p == path || p.StartsWith(path + ".")))
            throw new BadRequest($"Unexpected argument \"{path}\".", "262179", path);
        var value = Get(record, path)?.ToString() ?? "";
        if (value is "True" or "False") value = value.ToLowerInvariant();
        var negate = query.StartsWith('!');
        var alternatives = (negate ? query[1..] : query).Split('|');
        var any = alternatives.Any(a => Regex.IsMatch(value, "^" + Regex.Escape(a).Replace("\\*", ".*") + "$", RegexOptions.IgnoreCase));
        return negate ? !any : any;
    }

    /// <summary>Refuses body fields the endpoint does not take, as ONTAP does ("Unexpected argument").</summary>
    public static void CheckBody(JsonObject body, IReadOnlyCollection<string> allowed)
    {
        foreach (var leaf in Leaves(body))
        {
            var clean = Regex.Replace(leaf, @"\[\d+\]", "");
            if (!allowed.Any(a => clean == a || clean.StartsWith(a + ".")))
                throw new BadRequest($"Unexpected argument \"{clean}\".", "262179", clean);
        }
    }

    public static string? Str(JsonObject body, string path) => Get(body, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
