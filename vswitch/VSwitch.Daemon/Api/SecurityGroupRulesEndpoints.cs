using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/security-group-rules</c>: list, show, create (one, or in bulk with <c>{"security_group_rules": [...]}</c>,
/// all or nothing), delete. Rules are immutable: an update names the first attribute as read-only (400), as Neutron
/// does for attributes without <c>allow_put</c>.
/// </summary>
internal static class SecurityGroupRulesEndpoints
{
    private static readonly HashSet<string> s_create =
    [
        "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
        "remote_group_id", "remote_address_group_id", "description", "project_id", "tenant_id",
    ];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/security-group-rules", (HttpContext http) =>
        {
            var context = api.For(http);
            api.EnsureProject(context);
            var model = api.Models.Current;
            var views = SecurityGroupOperations.List(model, context).SelectMany(g => g.Rules.Select(r => ResourceViews.Rule(r, g)));
            return ListQuery.Answer("security_group_rules", views, http.Request, NotFound);
        });
        app.MapGet("/v2.0/security-group-rules/{id}", (HttpContext http, string id) =>
        {
            var model = api.Models.Current;
            var rule = SecurityGroupRuleOperations.Get(model, Id(id), api.For(http));
            return NeutronResults.One("security_group_rule",
                ListQuery.Fields(ResourceViews.Rule(rule, model.SecurityGroups.GetValueOrDefault(rule.SecurityGroupId)), http.Request.Query));
        });
        app.MapPost("/v2.0/security-group-rules", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var context = api.For(http);
            if (RequestBody.Bulk(document, "security_group_rules", "security_group_rule", s_create) is { } many)
            {
                var requests = many.Select(Read).ToList();
                var rules = api.Models.Execute(model => SecurityGroupRuleOperations.CreateBulk(model, requests, context));
                var model = api.Models.Current;
                return NeutronResults.Many("security_group_rules",
                    rules.Select(r => ResourceViews.Rule(r, model.SecurityGroups.GetValueOrDefault(r.SecurityGroupId))), StatusCodes.Status201Created);
            }
            var request = Read(RequestBody.Envelope(document, "security_group_rule", s_create));
            var rule = api.Models.Execute(model => SecurityGroupRuleOperations.Create(model, request, context));
            return NeutronResults.One("security_group_rule",
                ResourceViews.Rule(rule, api.Models.Current.SecurityGroups.GetValueOrDefault(rule.SecurityGroupId)), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/security-group-rules/{id}", async (HttpContext http, string id) =>
        {
            SecurityGroupRuleOperations.Get(api.Models.Current, Id(id), api.For(http));
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var body = RequestBody.Envelope(document, "security_group_rule", s_create);
            var first = body.Resource.EnumerateObject().Select(p => p.Name).FirstOrDefault() ?? "security_group_rule";
            throw NeutronErrors.ReadOnlyAttribute(first);
        });
        app.MapDelete("/v2.0/security-group-rules/{id}", (HttpContext http, string id) =>
        {
            var ruleId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, SecurityGroupRuleOperations.Get(model, ruleId, context).RevisionNumber);
                return SecurityGroupRuleOperations.Delete(model, ruleId, context);
            });
            return Results.NoContent();
        });
    }

    private static SecurityGroupRuleBody Read(RequestBody body)
    {
        return new SecurityGroupRuleBody(
            SecurityGroupId: body.Uuid("security_group_id"),
            Direction: body.String("direction"),
            Ethertype: body.String("ethertype"),
            Protocol: body.Protocol(),
            PortRangeMin: body.Int("port_range_min"),
            PortRangeMax: body.Int("port_range_max"),
            RemoteIpPrefix: body.String("remote_ip_prefix", nullable: true),
            RemoteGroupId: body.Uuid("remote_group_id", nullable: true),
            Description: body.String("description"),
            ProjectId: body.Project(),
            RemoteAddressGroupId: body.Uuid("remote_address_group_id", nullable: true));
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    /// <summary>The 404 for a path id or a list's marker (a text that is not a UUID is "not found" too, as the OpenStack SDK looks names up this way).</summary>
    internal static NeutronException NotFound(string text) => new(404, "SecurityGroupRuleNotFound", $"Security group rule {text} does not exist");
}
