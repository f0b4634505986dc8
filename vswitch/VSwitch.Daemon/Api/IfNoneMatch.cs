using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Conditional GET for the lists the console reads every second (ports, security groups): the answer carries an
/// <c>ETag</c>, and a request whose <c>If-None-Match</c> names it gets <c>304 Not Modified</c> with no body, and
/// without the list being built.
/// </summary>
/// <remarks>
/// <para><b>Why a version and not a hash of the body.</b> The model and the port statuses are immutable snapshots,
/// replaced whole on every change, so while the same objects are current the same request gets the same list; the tag
/// costs a few reference comparisons instead of building the list to hash it. A list of 1,000 ports takes the daemon
/// ~13 ms to build and the console ~10 ms to read, every second, though ports seldom change.</para>
/// <para><b>The tag.</b> <c>"epoch-version-request"</c>: epoch is random per process (a restarted daemon never
/// matches an old tag); version numbers the snapshots the list was built from (<see cref="Sources"/>); request is a
/// hash of what else shapes the answer: scheme, host and path (paging links name them), query (filters, fields, paging)
/// and the caller's project and role.
/// A version number is given to one set of snapshots only, ever, so a tag can never name a list other than its own.</para>
/// <para>Neutron does not send ETags; its clients ignore them. Updates keep Neutron's
/// <c>If-Match: revision_number=N</c> (<see cref="IfMatch"/>).</para>
/// </remarks>
internal static class IfNoneMatch
{
    private static readonly string s_epoch = RandomNumberGenerator.GetHexString(8, lowercase: true);

    /// <summary>
    /// The answer <paramref name="build"/> gives, tagged, or 304 when the caller already has it.
    /// <paramref name="version"/> comes from the <see cref="Sources"/> the list is built from.
    /// </summary>
    public static IResult Answer(HttpContext http, long version, OperationContext context, Func<IResult> build)
    {
        var tag = $"\"{s_epoch}-{version.ToString("x", CultureInfo.InvariantCulture)}-{RequestHash(http.Request, context)}\"";
        return new Tagged(tag, Matches(http.Request.Headers.IfNoneMatch, tag) ? Results.StatusCode(StatusCodes.Status304NotModified) : build());
    }

    /// <summary>Whether an <c>If-None-Match</c> header names <paramref name="tag"/> (weak comparison, or <c>*</c>).</summary>
    internal static bool Matches(Microsoft.Extensions.Primitives.StringValues header, string tag)
    {
        foreach (var value in header)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "*" || (part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part) == tag)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string RequestHash(HttpRequest request, OperationContext context)
    {
        // Scheme, host and base path too: a paged list's links name them.
        var shape = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}\n{context.ProjectId}\n{context.IsAdmin}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape)).AsSpan(0, 8));
    }

    /// <summary>
    /// Numbers the sets of snapshots a list is built from: the same objects (by reference) keep their number, any
    /// other set gets the next one.
    /// </summary>
    internal sealed class Sources
    {
        private readonly Lock _gate = new();
        private object[] _current = [];
        private long _version;

        public long Of(params object[] sources)
        {
            lock (_gate)
            {
                if (!sources.AsSpan().SequenceEqual(_current, ReferenceEqualityComparer.Instance))
                {
                    _current = sources;
                    _version++;
                }
                return _version;
            }
        }
    }

    /// <summary>An answer with its ETag header (set only when the answer is written, so an error thrown while building it carries none).</summary>
    private sealed class Tagged(string tag, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.ETag = tag;
            return inner.ExecuteAsync(http);
        }
    }
}
