namespace KojiStaging.Engine.Files;

/// <summary>
/// A path as a tree root plus a relative part, joined only when something needs the string (an error, a
/// path-based call). A no-change rerun walks hundreds of thousands of directories relative to open
/// directory handles and never needs most of these strings.
/// </summary>
internal readonly record struct TreePath(string Root, string Rel)
{
    public override string ToString() => Rel.Length == 0 ? Root : $"{Root}/{Rel}";

    public string Child(string name) => Rel.Length == 0 ? $"{Root}/{name}" : $"{Root}/{Rel}/{name}";
}
