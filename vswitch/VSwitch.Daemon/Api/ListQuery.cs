using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Neutron's list and show query parameters: attribute filters and <c>fields=</c>.
/// </summary>
/// <remarks>
/// <para><b>Filters.</b> Any attribute of the resource may be a query parameter; an object matches if the attribute
/// equals one of the parameter's values (a repeated parameter is an OR, as Neutron). Booleans compare case-insensitively
/// (<c>admin_state_up=True</c>), numbers as decimal text, list attributes match if any element does
/// (<c>security_groups=ID</c>), and lists of objects take <c>KEY=VALUE</c> (<c>fixed_ips=ip_address=10.0.0.5</c>). An
/// unknown attribute is 400 (Neutron's <c>filter-validation</c> extension). Tags: <c>tags=a,b</c> (all of them),
/// <c>tags-any</c>, <c>not-tags</c>, <c>not-tags-any</c>. Sorting and paging: <see cref="ListPage"/>.</para>
/// <para><b>Fields.</b> <c>fields=a&amp;fields=b</c> (or <c>fields=a,b</c>) keeps only those attributes.</para>
/// <para>Filtering works on the rendered JSON, so it matches exactly what the client sees.</para>
/// </remarks>
internal static class ListQuery
{
    /// <summary>Neutron's tag filters, each a comma-separated list: all of, any of, not all of, none of.</summary>
    private static readonly string[] s_tagFilters = ["tags", "tags-any", "not-tags", "not-tags-any"];

    private static readonly HashSet<string> s_notFilters = ["fields", "verbose", .. ListPage.Parameters, .. s_tagFilters];

    /// <summary>
    /// The list answer <c>{"KEY": [...], "KEY_links": [...]}</c>: <paramref name="resources"/> filtered, sorted, paged
    /// and reduced to the requested fields. <paramref name="markerNotFound"/> is the collection's 404 for a marker.
    /// </summary>
    public static IResult Answer(string key, IEnumerable<JsonObject> resources, HttpRequest request, Func<string, NeutronException> markerNotFound)
    {
        var page = ListPage.From(request.Query);
        var (items, links) = page.Apply([.. Filter(resources, request.Query)], request, markerNotFound);
        var body = new JsonObject { [key] = new JsonArray([.. items.Select(r => Fields(r, request.Query))]) };
        if (links is not null)
        {
            body[$"{key}_links"] = links;
        }
        return NeutronResults.Json(body);
    }

    private static IEnumerable<JsonObject> Filter(IEnumerable<JsonObject> resources, IQueryCollection query)
    {
        var filters = query.Where(q => !s_notFilters.Contains(q.Key)).ToList();
        var tagFilters = s_tagFilters.Where(query.ContainsKey)
            .Select(key => (Key: key, Tags: query[key].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal)))
            .ToList();
        foreach (var resource in resources)
        {
            var matches = tagFilters.Count == 0 || MatchesTags(resource, tagFilters);
            foreach (var (key, values) in filters)
            {
                if (!resource.TryGetPropertyValue(key, out var attribute))
                {
                    throw NeutronErrors.BadRequestMessage($"[{key}] is invalid attribute for filtering");
                }
                if (!values.Any(v => Matches(attribute, v ?? "")))
                {
                    matches = false;
                    break;
                }
            }
            if (matches)
            {
                yield return resource;
            }
        }
    }

    /// <summary>The resource reduced to the requested <c>fields</c>, or whole.</summary>
    public static JsonObject Fields(JsonObject resource, IQueryCollection query)
    {
        var fields = query["fields"].SelectMany(f => (f ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
        if (fields.Count == 0)
        {
            return resource;
        }
        var reduced = new JsonObject();
        foreach (var (key, value) in resource)
        {
            if (fields.Contains(key))
            {
                reduced[key] = value?.DeepClone();
            }
        }
        return reduced;
    }

    private static bool MatchesTags(JsonObject resource, List<(string Key, HashSet<string> Tags)> filters)
    {
        if (!resource.TryGetPropertyValue("tags", out var node) || node is not JsonArray array)
        {
            throw NeutronErrors.BadRequestMessage("[tags] is invalid attribute for filtering");
        }
        var has = array.Select(t => (string?)t).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return filters.All(f => f.Key switch
        {
            "tags" => f.Tags.IsSubsetOf(has),
            "tags-any" => f.Tags.Overlaps(has),
            "not-tags" => !f.Tags.IsSubsetOf(has),
            _ => !f.Tags.Overlaps(has),
        });
    }

    private static bool Matches(JsonNode? attribute, string wanted)
    {
        switch (attribute)
        {
            case null:
                return wanted.Length == 0 || wanted == "None";
            case JsonArray array:
                return array.Any(element => element is JsonObject obj ? MatchesPair(obj, wanted) : Matches(element, wanted));
            case JsonObject obj:
                return MatchesPair(obj, wanted);
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.True => string.Equals(wanted, "true", StringComparison.OrdinalIgnoreCase),
                    JsonValueKind.False => string.Equals(wanted, "false", StringComparison.OrdinalIgnoreCase),
                    JsonValueKind.Number => value.ToJsonString() == wanted
                        || (long.TryParse(wanted, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && value.ToJsonString() == n.ToString(CultureInfo.InvariantCulture)),
                    JsonValueKind.String => value.GetValue<string>() == wanted,
                    _ => false,
                };
            default:
                return false;
        }
    }

    private static bool MatchesPair(JsonObject obj, string wanted)
    {
        var eq = wanted.IndexOf('=');
        return eq > 0 && obj.TryGetPropertyValue(wanted[..eq], out var inner) && Matches(inner, wanted[(eq + 1)..]);
    }
}
