using System.Globalization;
using Microsoft.AspNetCore.Http;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Neutron's <c>revision-if-match</c>: an update or delete with <c>If-Match: revision_number=N</c> applies only while
/// the object is at revision N, else 412 <c>RevisionNumberConstraintFailed</c> (compare-and-swap for clients that read,
/// change and write back).
/// </summary>
/// <remarks>
/// The check runs inside the model change (<see cref="Control.ModelService.Execute{T}"/>), so no other write can come
/// between it and the change. Other If-Match values (entity tags) are not Neutron's and are ignored, as Neutron does.
/// </remarks>
internal static class IfMatch
{
    private const string Prefix = "revision_number=";

    /// <summary>The revision the request requires, or null if it requires none.</summary>
    public static long? Expected(HttpRequest request)
    {
        long? expected = null;
        foreach (var header in request.Headers.IfMatch)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!part.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    continue;
                }
                if (!long.TryParse(part.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw NeutronErrors.BadRequestMessage($"If-Match header '{part}' is not revision_number=<integer>");
                }
                if (expected is { } other && other != n)
                {
                    throw NeutronErrors.BadRequestMessage("If-Match names two different revision numbers");
                }
                expected = n;
            }
        }
        return expected;
    }

    /// <summary>Refuses the change unless <paramref name="current"/> is the expected revision.</summary>
    public static void Check(long? expected, long current)
    {
        if (expected is { } n && n != current)
        {
            throw new NeutronException(412, "RevisionNumberConstraintFailed", $"Constrained to {n}, but current revision is {current}");
        }
    }
}
