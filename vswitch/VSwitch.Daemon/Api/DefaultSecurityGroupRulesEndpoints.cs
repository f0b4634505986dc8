using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/default-security-group-rules</c> (Neutron's <c>security-groups-default-rules</c>): list, show, create (one,
/// or in bulk, all or nothing), delete; the templates of new groups' rules (<see cref="DefaultRuleOperations"/>).
/// Templates are immutable: an update names the first attribute as read-only (400), as for rules.
/// </summary>
internal static class DefaultSecurityGroupRulesEndpoints
{
    private static readonly HashSet<string> s_create =
    [
        "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id",
        "remote_address_group_id", "description", "used_in_default_sg", "used_in_non_default_sg",
    ];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/default-security-group-rules", (HttpContext http) =>
            ListQuery.Answer("default_security_group_rules", DefaultRuleOperations.List(api.Models.Current).Select(View), http.Request, NotFound));
        app.MapGet("/v2.0/default-security-group-rules/{id}", (HttpContext http, string id) =>
            NeutronResults.One("default_security_group_rule", ListQuery.Fields(View(DefaultRuleOperations.Get(api.Models.Current, Id(id))), http.Request.Query)));
        app.MapPost("/v2.0/default-security-group-rules", async (HttpContext http) =>
        {
            var context = api.RequireAdmin(http, "create_default_security_group_rule");
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            if (RequestBody.Bulk(document, "default_security_group_rules", "default_security_group_rule", s_create) is { } many)
            {
                var requests = many.Select(Read).ToList();
                var created = api.Models.Execute(model => BulkCreate.All(model, requests, (m, r) => DefaultRuleOperations.Create(m, r, context)));
                return NeutronResults.Many("default_security_group_rules", created.Select(View), StatusCodes.Status201Created);
            }
            var request = Read(RequestBody.Envelope(document, "default_security_group_rule", s_create));
            var template = api.Models.Execute(model => DefaultRuleOperations.Create(model, request, context));
            return NeutronResults.One("default_security_group_rule", View(template), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/default-security-group-rules/{id}", async (HttpContext http, string id) =>
        {
            DefaultRuleOperations.Get(api.Models.Current, Id(id));
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var body = RequestBody.Envelope(document, "default_security_group_rule", s_create);
            throw NeutronErrors.ReadOnlyAttribute(body.Resource.EnumerateObject().Select(p => p.Name).FirstOrDefault() ?? "default_security_group_rule");
        });
        app.MapDelete("/v2.0/default-security-group-rules/{id}", (HttpContext http, string id) =>
        {
            api.RequireAdmin(http, "delete_default_security_group_rule");
            var templateId = Id(id);
            api.Models.Execute(model => DefaultRuleOperations.Delete(model, templateId));
            return Results.NoContent();
        });
    }

    private static JsonObject View(DefaultRuleTemplate t) => new()
    {
        ["id"] = t.Id.ToString(),
        ["direction"] = t.Direction.ToNeutron(),
        ["ethertype"] = t.Ethertype.ToNeutron(),
        ["protocol"] = t.Protocol,
        ["port_range_min"] = t.PortRangeMin,
        ["port_range_max"] = t.PortRangeMax,
        ["remote_ip_prefix"] = t.RemoteIpPrefix?.ToString(),
        ["remote_group_id"] = t.RemoteIsParent ? DefaultRuleTemplate.Parent : null,
        ["remote_address_group_id"] = null,
        ["description"] = t.Description,
        ["used_in_default_sg"] = t.UsedInDefaultSg,
        ["used_in_non_default_sg"] = t.UsedInNonDefaultSg,
    };

    private static DefaultRuleBody Read(RequestBody body)
    {
        if (body.String("remote_address_group_id", nullable: true) is not null)
        {
            throw NeutronErrors.InvalidAttribute("remote_address_group_id", "address groups are not supported");
        }
        return new DefaultRuleBody(
            Direction: body.String("direction"),
            Ethertype: body.String("ethertype"),
            Protocol: body.Protocol(),
            PortRangeMin: body.Int("port_range_min"),
            PortRangeMax: body.Int("port_range_max"),
            RemoteIpPrefix: body.String("remote_ip_prefix", nullable: true),
            RemoteGroupId: body.String("remote_group_id", nullable: true),
            Description: body.String("description"),
            UsedInDefaultSg: body.Bool("used_in_default_sg"),
            UsedInNonDefaultSg: body.Bool("used_in_non_default_sg"));
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    private static NeutronException NotFound(string text) =>
        new(404, "DefaultSecurityGroupRuleNotFound", $"Default Security Group rule {text} does not exist");
}
