using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Neutron's sorting and paging of a list: <c>sort_key</c>/<c>sort_dir</c> (several, in pairs), <c>limit</c>,
/// <c>marker</c>, <c>page_reverse</c>, and the <c>{collection}_links</c> with <c>next</c> and <c>previous</c>.
/// </summary>
/// <remarks>
/// <para><b>Sorting.</b> Each <c>sort_key</c> needs its <c>sort_dir</c> (<c>asc</c> or <c>desc</c>), as Neutron's
/// <c>get_sorts</c>; a key must be a scalar attribute of the resource. Null sorts first, strings compare ordinally,
/// numbers by value. When sorting or paging, <c>id</c> is the last key (ascending) so the order is total and a marker
/// names one place in it.</para>
/// <para><b>Paging.</b> <c>limit=N</c> (0 or absent: everything, as Neutron's unlimited default) returns the N objects
/// after <c>marker</c>; with <c>page_reverse=True</c>, the N before it (still in the requested order; the last page when
/// there is no marker). A marker that names no object of the collection is the collection's 404, as Neutron's database
/// plugins. Links follow Neutron's <c>get_pagination_links</c>: <c>next</c> unless a forward page came back short,
/// <c>previous</c> unless a reverse page did; <c>next</c> carries the page's last id, <c>previous</c> its first id and
/// <c>page_reverse=True</c>, every other parameter kept.</para>
/// </remarks>
internal sealed class ListPage
{
    private readonly (string Key, bool Ascending)[] _sorts;
    private readonly int _limit;
    private readonly string? _marker;
    private readonly bool _reverse;

    private ListPage((string, bool)[] sorts, int limit, string? marker, bool reverse)
    {
        _sorts = sorts;
        _limit = limit;
        _marker = marker;
        _reverse = reverse;
    }

    /// <summary>The parameters that are not filters.</summary>
    public static readonly HashSet<string> Parameters = ["limit", "marker", "page_reverse", "sort_key", "sort_dir"];

    /// <summary>Reads and checks the sorting and paging parameters (400 for bad ones).</summary>
    public static ListPage From(IQueryCollection query)
    {
        var keys = Values(query, "sort_key");
        var dirs = Values(query, "sort_dir");
        if (keys.Length != dirs.Length)
        {
            throw NeutronErrors.BadRequestMessage("The number of sort_keys and sort_dirs must be same");
        }
        var invalid = dirs.Where(d => d is not ("asc" or "desc")).ToList();
        if (invalid.Count > 0)
        {
            throw NeutronErrors.BadRequestMessage($"[{string.Join(", ", invalid.Select(d => $"'{d}'"))}] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
        }
        var limitText = query["limit"].LastOrDefault() ?? "0";
        if (limitText.Length == 0 || !limitText.All(char.IsAsciiDigit))
        {
            throw NeutronErrors.BadRequestMessage($"Limit must be an integer 0 or greater and not '{limitText}'");
        }
        // Digits beyond int's range are a limit no list reaches: everything.
        var limit = int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : int.MaxValue;
        var marker = query["marker"].LastOrDefault();
        var reverse = string.Equals(query["page_reverse"].LastOrDefault(), "true", StringComparison.OrdinalIgnoreCase);
        return new ListPage([.. keys.Zip(dirs, (k, d) => (k, d == "asc"))], limit, string.IsNullOrEmpty(marker) ? null : marker, reverse);
    }

    /// <summary>
    /// The page of <paramref name="resources"/> (already filtered) and its links, or null links when not paging.
    /// </summary>
    public (List<JsonObject> Items, JsonArray? Links) Apply(List<JsonObject> resources, HttpRequest request, Func<string, NeutronException> markerNotFound)
    {
        if (_sorts.Length == 0 && _limit == 0)
        {
            return (resources, null);
        }
        foreach (var (key, _) in _sorts)
        {
            if (resources.Count > 0 && (!resources[0].TryGetPropertyValue(key, out var value) || value is JsonObject or JsonArray))
            {
                throw NeutronErrors.BadRequestMessage($"['{key}'] is invalid attribute for sort_keys");
            }
        }
        var sorted = resources.Order(Comparer<JsonObject>.Create(Compare)).ToList();
        if (_limit == 0)
        {
            return (sorted, null);
        }
        var at = -1;
        if (_marker is not null)
        {
            at = sorted.FindIndex(r => (string?)r["id"] == _marker);
            if (at < 0)
            {
                throw markerNotFound(_marker);
            }
        }
        List<JsonObject> page;
        if (_reverse)
        {
            var end = _marker is null ? sorted.Count : at;
            var start = Math.Max(0, end - _limit);
            page = sorted.GetRange(start, end - start);
        }
        else
        {
            var start = at + 1;
            page = sorted.GetRange(start, Math.Min(_limit, sorted.Count - start));
        }
        return (page, Links(page, request));
    }

    private JsonArray? Links(List<JsonObject> page, HttpRequest request)
    {
        var links = new JsonArray();
        if (!(page.Count < _limit && !_reverse))
        {
            links.Add(Link("next", request, page.Count > 0 ? (string?)page[^1]["id"] : null, reverse: false));
        }
        if (!(page.Count < _limit && _reverse))
        {
            links.Add(Link("previous", request, page.Count > 0 ? (string?)page[0]["id"] : null, reverse: true));
        }
        return links.Count == 0 ? null : links;
    }

    private static JsonObject Link(string rel, HttpRequest request, string? marker, bool reverse)
    {
        var parameters = new List<KeyValuePair<string, StringValues>>();
        foreach (var (key, values) in request.Query)
        {
            if (key is not ("marker" or "page_reverse"))
            {
                parameters.Add(new(key, values));
            }
        }
        if (marker is not null)
        {
            parameters.Add(new("marker", marker));
        }
        if (reverse)
        {
            parameters.Add(new("page_reverse", "True"));
        }
        var host = request.Host.HasValue ? request.Host.Value : "localhost";
        var url = QueryHelpers.AddQueryString($"{request.Scheme}://{host}{request.PathBase}{request.Path}", parameters);
        return new JsonObject { ["rel"] = rel, ["href"] = url };
    }

    private int Compare(JsonObject a, JsonObject b)
    {
        foreach (var (key, ascending) in _sorts)
        {
            var order = CompareValues(a[key], b[key]);
            if (order != 0)
            {
                return ascending ? order : -order;
            }
        }
        return string.CompareOrdinal((string?)a["id"], (string?)b["id"]);
    }

    private static int CompareValues(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return (a is null ? 0 : 1) - (b is null ? 0 : 1);
        }
        var (ka, kb) = (a.GetValueKind(), b.GetValueKind());
        if (ka == JsonValueKind.Number && kb == JsonValueKind.Number)
        {
            return decimal.Parse(a.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
                .CompareTo(decimal.Parse(b.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        if (ka == JsonValueKind.String && kb == JsonValueKind.String)
        {
            return string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>());
        }
        if (ka is JsonValueKind.True or JsonValueKind.False && kb is JsonValueKind.True or JsonValueKind.False)
        {
            return (ka == JsonValueKind.True).CompareTo(kb == JsonValueKind.True);
        }
        return ka.CompareTo(kb);
    }

    private static string[] Values(IQueryCollection query, string key) =>
        [.. query[key].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)];
}
