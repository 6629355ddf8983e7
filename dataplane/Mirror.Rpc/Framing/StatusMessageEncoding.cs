using System.Text;

namespace Mirror.Rpc.Framing;

/// <summary>
/// Percent-encoding of grpc-message (PROTOCOL-HTTP2 "Responses"): the message is UTF-8 encoded, then
/// every byte outside %x20-%x7E, and '%' itself, is sent as "%" 2HEXDIGIT. Decoding never fails: a
/// malformed escape is kept as it was, as the spec requires.
/// </summary>
public static class StatusMessageEncoding
{
    public static string Encode(string message)
    {
        var needs = false;
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Encodes at most <paramref name="maxEncodedLength"/> characters' worth: a longer message is cut
    /// (on a character boundary, so the cut never splits a UTF-8 sequence) and ends with "...".
    /// </summary>
    public static string Encode(string message, int maxEncodedLength)
    {
        var encoded = Encode(message);
        while (encoded.Length > maxEncodedLength && message.Length > 0)
        {
            var keep = (int)((long)message.Length * maxEncodedLength / encoded.Length) - 4;
            keep = Math.Max(0, Math.Min(keep, message.Length - 1));
            if (keep > 0 && char.IsHighSurrogate(message[keep - 1]))
            {
                keep--;
            }

            message = message[..keep];
            encoded = Encode(message) + "...";
        }

        return encoded;
    }

    public static string Decode(string encoded)
    {
        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length && TryHex(encoded[i + 1], out var hi) && TryHex(encoded[i + 2], out var lo))
            {
                bytes.Add((byte)((hi << 4) | lo));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not allowed on the wire; keep it rather than drop the message.
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
