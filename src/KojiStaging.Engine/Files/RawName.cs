using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace KojiStaging.Engine.Files;

/// <summary>
/// File names are bytes on Linux, not necessarily UTF-8 (a tree may hold `\xe9\xff`). The engine carries names as
/// strings, so they are decoded losslessly: valid UTF-8 as usual, and each byte of an invalid sequence as the lone
/// surrogate U+DC80..U+DCFF (Python's "surrogateescape", PEP 383), which <see cref="Encode"/> turns back into that byte.
/// Valid UTF-8 never decodes to a lone surrogate, so every name round-trips to exactly the bytes it was listed with.
/// </summary>
internal static class RawName
{
    private const char EscapeBase = '\uDC00';

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var used) == System.Buffers.OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                bytes = bytes[used..];
            }
            else
            {
                sb.Append((char)(EscapeBase + bytes[0])); // an invalid byte is always >= 0x80: ASCII is valid
                bytes = bytes[1..];
            }
        }
        return sb.ToString();
    }

    /// <summary>True when <paramref name="name"/> holds an escaped byte (or any surrogate): the slow paths apply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasSurrogates(ReadOnlySpan<char> name) => name.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static int GetByteCount(string name)
    {
        if (!HasSurrogates(name)) return Encoding.UTF8.GetByteCount(name);
        var n = 0;
        for (var i = 0; i < name.Length; i++)
        {
            if (IsEscaped(name, i)) { n++; continue; }
            var pair = char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]);
            n += Encoding.UTF8.GetByteCount(name.AsSpan(i, pair ? 2 : 1));
            if (pair) i++;
        }
        return n;
    }

    /// <summary>The name's bytes into <paramref name="into"/> (at least <see cref="GetByteCount"/> long); returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Encode(string name, Span<byte> into)
    {
        if (!HasSurrogates(name)) return Encoding.UTF8.GetBytes(name, into);
        var n = 0;
        for (var i = 0; i < name.Length; i++)
        {
            if (IsEscaped(name, i)) { into[n++] = (byte)(name[i] - EscapeBase); continue; }
            var pair = char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]);
            n += Encoding.UTF8.GetBytes(name.AsSpan(i, pair ? 2 : 1), into[n..]);
            if (pair) i++;
        }
        return n;
    }

    public static byte[] Encode(string name)
    {
        var bytes = new byte[GetByteCount(name)];
        Encode(name, bytes);
        return bytes;
    }

    /// <summary>A lone low surrogate U+DC80..U+DCFF (not the second half of a pair): an escaped byte.</summary>
    private static bool IsEscaped(string s, int i) =>
        s[i] is >= '\uDC80' and <= '\uDCFF' && (i == 0 || !char.IsHighSurrogate(s[i - 1]));
}
