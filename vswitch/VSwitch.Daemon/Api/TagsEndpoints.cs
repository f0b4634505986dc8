using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/{networks|subnets|ports|security-groups|security-group-rules}/{id}/tags[/{tag}]</c> (Neutron's
/// <c>standard-attr-tag</c>): list, check one, replace all, add one, remove one, remove all. See
/// <see cref="TagOperations"/>.
/// </summary>
internal static class TagsEndpoints
{
    private static readonly (string Collection, TaggedKind Kind, Func<string, NeutronException> NotFound)[] s_collections =
    [
        ("networks", TaggedKind.Network, NetworksEndpoints.NotFound),
        ("subnets", TaggedKind.Subnet, SubnetsEndpoints.NotFound),
        ("routers", TaggedKind.Router, RoutersEndpoints.NotFound),
        ("floatingips", TaggedKind.FloatingIp, FloatingIpsEndpoints.NotFound),
        ("ports", TaggedKind.Port, PortsEndpoints.NotFound),
        ("security-groups", TaggedKind.SecurityGroup, SecurityGroupsEndpoints.NotFound),
        ("security-group-rules", TaggedKind.SecurityGroupRule, SecurityGroupRulesEndpoints.NotFound),
    ];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        foreach (var (collection, kind, notFound) in s_collections)
        {
            Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw notFound(text);
            var path = $"/v2.0/{collection}/{{id}}/tags";
            app.MapGet(path, (HttpContext http, string id) =>
                Answer(TagOperations.Get(api.Models.Current, kind, Id(id), api.For(http))));
            app.MapGet($"{path}/{{tag}}", (HttpContext http, string id, string tag) =>
            {
                TagOperations.Check(api.Models.Current, kind, Id(id), tag, api.For(http));
                return Results.NoContent();
            });
            app.MapPut(path, async (HttpContext http, string id) =>
            {
                var objectId = Id(id);
                using var document = await RequestBody.ReadDocumentAsync(http.Request);
                var tags = ReadTags(document);
                var context = api.For(http);
                return Answer(api.Models.Execute(model => TagOperations.Replace(model, kind, objectId, tags, context)));
            });
            app.MapPut($"{path}/{{tag}}", (HttpContext http, string id, string tag) =>
            {
                var objectId = Id(id);
                var context = api.For(http);
                api.Models.Execute(model => TagOperations.Add(model, kind, objectId, tag, context));
                return Results.Created();
            });
            app.MapDelete(path, (HttpContext http, string id) =>
            {
                var objectId = Id(id);
                var context = api.For(http);
                api.Models.Execute(model => TagOperations.Replace(model, kind, objectId, [], context));
                return Results.NoContent();
            });
            app.MapDelete($"{path}/{{tag}}", (HttpContext http, string id, string tag) =>
            {
                var objectId = Id(id);
                var context = api.For(http);
                api.Models.Execute(model => TagOperations.Remove(model, kind, objectId, tag, context));
                return Results.NoContent();
            });
        }
    }

    private static IResult Answer(EquatableArray<string> tags) => NeutronResults.Json(new JsonObject { ["tags"] = ResourceViews.Tags(tags) });

    /// <summary><c>{"tags": ["a", "b"]}</c>: every member a string.</summary>
    private static List<string> ReadTags(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Array)
        {
            throw NeutronErrors.BadRequestMessage("Invalid tags body: {\"tags\": [\"tag\", ...]} is required");
        }
        return [.. tags.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw NeutronErrors.InvalidAttribute("tags", $"{t.GetRawText()} is not a string"))];
    }
}
