using System.Security.Cryptography;
using System.Text;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>Who a request comes from: an admin (sees and changes every project) or a project's member.</summary>
/// <param name="Project">The project the caller acts for; null for an admin without one (it acts for <c>X-Project-Id</c>
/// or the configuration's project).</param>
/// <param name="IsAdmin">Sees and changes every project's objects, and may use the admin-only calls.</param>
public sealed record Caller(ProjectId? Project, bool IsAdmin)
{
    /// <summary>The Unix socket's caller: the operator, as admin (the socket's mode decides who may connect).</summary>
    public static readonly Caller Operator = new(null, true);
}

/// <summary>
/// The tokens of <c>--api-token-file</c>, each mapped to a <see cref="Caller"/>: a line is either a lone token (an admin,
/// as before roles existed) or <c>TOKEN PROJECT ROLE</c> with ROLE <c>admin</c> or <c>member</c>; blank lines and
/// <c>#</c> comments are skipped.
/// </summary>
/// <remarks>
/// Matching is constant-time: every token's SHA-256 is compared with <see cref="CryptographicOperations.FixedTimeEquals"/>
/// against the given token's, all of them, whichever matches, so neither the length nor the position of a token leaks.
/// </remarks>
public sealed class ApiTokens
{
    private readonly (byte[] Digest, Caller Caller)[] _entries;

    private ApiTokens((byte[], Caller)[] entries) => _entries = entries;

    public int Count => _entries.Length;

    /// <summary>Parses a token file's text.</summary>
    /// <exception cref="FormatException">A line is malformed, a role unknown, a token repeated, or there is no token.</exception>
    public static ApiTokens Parse(string text)
    {
        var entries = new List<(byte[], Caller)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            Caller caller = fields.Length switch
            {
                1 => Caller.Operator,
                3 when ProjectId.TryParse(fields[1], out var project) && fields[2] is "admin" or "member" => new Caller(project, fields[2] == "admin"),
                3 => throw new FormatException($"line {number}: '{fields[1]}' is not a project id or '{fields[2]}' is not admin or member"),
                _ => throw new FormatException($"line {number}: expected TOKEN, or TOKEN PROJECT admin|member"),
            };
            if (!seen.Add(fields[0]))
            {
                throw new FormatException($"line {number}: this token is already given on an earlier line");
            }
            entries.Add((SHA256.HashData(Encoding.UTF8.GetBytes(fields[0])), caller));
        }
        return entries.Count == 0 ? throw new FormatException("no token") : new ApiTokens([.. entries]);
    }

    /// <summary>The caller whose token <paramref name="given"/> is, or null.</summary>
    public Caller? Match(string given)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        Caller? found = null;
        foreach (var (candidate, caller) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, candidate))
            {
                found = caller;
            }
        }
        return found;
    }
}
