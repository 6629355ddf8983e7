using System.Security.Cryptography;
using System.Text;

namespace Mirror.Rpc.Auth;

/// <summary>
/// The cluster token check (ARCHITECTURE: every call carries <c>authorization: Bearer TOKEN</c>).
/// The comparison takes the same time wherever the first difference is, so the token cannot be
/// guessed byte by byte from response times.
/// </summary>
public sealed class BearerToken
{
    private const string Scheme = "Bearer ";
    private readonly byte[] expected;

    public BearerToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public static string HeaderValue(string token) => Scheme + token;

    /// <summary>Null when the header carries the token, else why not (for the UNAUTHENTICATED message).</summary>
    public string? Check(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return "missing authorization header: this server requires the cluster token (authorization: Bearer TOKEN)";
        }

        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return "authorization header is not a Bearer token";
        }

        // Hashing first gives both sides the same length, so FixedTimeEquals does not leak the length.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, expected) ? null : "the bearer token does not match the cluster token";
    }
}
