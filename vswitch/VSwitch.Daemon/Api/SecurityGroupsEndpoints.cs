using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/security-groups</c>: list (which first creates the caller's project's <c>default</c> group, as Neutron),
/// show, create (one, or in bulk, all or nothing), update (name, description, stateful), delete.
/// </summary>
internal static class SecurityGroupsEndpoints
{
    private static readonly HashSet<string> s_create = ["name", "description", "stateful", "project_id", "tenant_id"];

    /// <summary>What the list is built from: the model.</summary>
    private static readonly IfNoneMatch.Sources s_listSources = new();

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/security-groups", (HttpContext http) =>
        {
            var context = api.For(http);
            api.EnsureProject(context);
            var model = api.Models.Current;
            return IfNoneMatch.Answer(http, s_listSources.Of(model), context, () =>
                ListQuery.Answer("security_groups", SecurityGroupOperations.List(model, context).Select(g => View(model, g, context)),
                    http.Request, NotFound));
        });
        app.MapGet("/v2.0/security-groups/{id}", (HttpContext http, string id) =>
        {
            var group = SecurityGroupOperations.Get(api.Models.Current, Id(id), api.For(http));
            return NeutronResults.One("security_group", ListQuery.Fields(View(api, group, api.For(http)), http.Request.Query));
        });
        app.MapPost("/v2.0/security-groups", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var context = api.For(http);
            if (RequestBody.Bulk(document, "security_groups", "security_group", s_create) is { } many)
            {
                var requests = many.Select(Read).ToList();
                var groups = api.Models.Execute(model => BulkCreate.All(model, requests, (m, r) => SecurityGroupOperations.Create(m, r, context)));
                return NeutronResults.Many("security_groups", groups.Select(g => View(api, g, context)), StatusCodes.Status201Created);
            }
            var request = Read(RequestBody.Envelope(document, "security_group", s_create));
            var group = api.Models.Execute(model => SecurityGroupOperations.Create(model, request, context));
            return NeutronResults.One("security_group", View(api, group, context), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/security-groups/{id}", async (HttpContext http, string id) =>
        {
            var groupId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "security_group", s_create));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var group = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, SecurityGroupOperations.Get(model, groupId, context).RevisionNumber);
                return SecurityGroupOperations.Update(model, groupId, request, context);
            });
            return NeutronResults.One("security_group", View(api, group, context));
        });
        app.MapDelete("/v2.0/security-groups/{id}", (HttpContext http, string id) =>
        {
            var groupId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, SecurityGroupOperations.Get(model, groupId, context).RevisionNumber);
                return SecurityGroupOperations.Delete(model, groupId, context);
            });
            return Results.NoContent();
        });
    }

    private static System.Text.Json.Nodes.JsonObject View(ApiContext api, SecurityGroup group, OperationContext context) =>
        View(api.Models.Current, group, context);

    private static System.Text.Json.Nodes.JsonObject View(SwitchModel model, SecurityGroup group, OperationContext context) =>
        ResourceViews.SecurityGroup(group, RbacOperations.IsSharedWith(model, group.Id, context.ProjectId));

    private static SecurityGroupBody Read(RequestBody body) =>
        new(body.String("name"), body.String("description"), body.Bool("stateful"), body.Project());

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    /// <summary>The 404 for a path id or a list's marker (a text that is not a UUID is "not found" too, as the OpenStack SDK looks names up this way).</summary>
    internal static NeutronException NotFound(string text) => new(404, "SecurityGroupNotFound", $"Security group {text} does not exist");
}
