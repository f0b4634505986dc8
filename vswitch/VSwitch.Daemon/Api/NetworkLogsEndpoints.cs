using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/log/logs</c> (Neutron's <c>logging</c> extension): list, show, create, update (name, description,
/// enabled), delete; and <c>/v2.0/log/loggable-resources</c> (<c>security_group</c>).
/// </summary>
/// <remarks>
/// The attributes Neutron does not let a PUT change (<c>resource_type</c>, <c>resource_id</c>, <c>target_id</c>,
/// <c>event</c>, <c>project_id</c>) are refused there with its "Cannot update read-only attribute" 400. The lines
/// themselves go to <c>security-group.log</c> in the state directory (<see cref="Hosting.SecurityGroupLogWriter"/>).
/// </remarks>
internal static class NetworkLogsEndpoints
{
    private static readonly HashSet<string> s_create =
        ["name", "description", "project_id", "tenant_id", "resource_type", "resource_id", "target_id", "event", "enabled"];

    private static readonly string[] s_readOnly = ["resource_type", "resource_id", "target_id", "event"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/log/loggable-resources", () =>
            NeutronResults.Many("loggable_resources", [new JsonObject { ["type"] = NetworkLog.SecurityGroupType }]));
        app.MapGet("/v2.0/log/logs", (HttpContext http) =>
            ListQuery.Answer("logs", NetworkLogOperations.List(api.Models.Current, api.RequireAdmin(http, "get_log")).Select(ResourceViews.NetworkLog), http.Request, NotFound));
        app.MapGet("/v2.0/log/logs/{id}", (HttpContext http, string id) =>
        {
            var log = NetworkLogOperations.Get(api.Models.Current, Id(id), api.RequireAdmin(http, "get_log"));
            return NeutronResults.One("log", ListQuery.Fields(ResourceViews.NetworkLog(log), http.Request.Query));
        });
        app.MapPost("/v2.0/log/logs", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "log", s_create));
            var context = api.RequireAdmin(http, "manage_log");
            var log = api.Models.Execute(model => NetworkLogOperations.Create(model, request, context));
            return NeutronResults.One("log", ResourceViews.NetworkLog(log), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/log/logs/{id}", async (HttpContext http, string id) =>
        {
            var logId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var body = RequestBody.Envelope(document, "log", s_create);
            foreach (var name in s_readOnly)
            {
                if (body.Has(name))
                {
                    throw NeutronErrors.ReadOnlyAttribute(name);
                }
            }
            var request = Read(body);
            var context = api.RequireAdmin(http, "manage_log");
            var expected = IfMatch.Expected(http.Request);
            var log = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, NetworkLogOperations.Get(model, logId, context).RevisionNumber);
                return NetworkLogOperations.Update(model, logId, request, context);
            });
            return NeutronResults.One("log", ResourceViews.NetworkLog(log));
        });
        app.MapDelete("/v2.0/log/logs/{id}", (HttpContext http, string id) =>
        {
            var logId = Id(id);
            var context = api.RequireAdmin(http, "manage_log");
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, NetworkLogOperations.Get(model, logId, context).RevisionNumber);
                return NetworkLogOperations.Delete(model, logId, context);
            });
            return Results.NoContent();
        });
    }

    private static NetworkLogBody Read(RequestBody body) => new(
        body.String("name"),
        body.String("description"),
        body.Project(),
        body.String("resource_type"),
        body.Uuid("resource_id", nullable: true),
        body.Uuid("target_id", nullable: true),
        body.String("event"),
        body.Bool("enabled"));

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    /// <summary>The 404 for a path id or a list's marker (a text that is not a UUID is "not found" too, as the OpenStack SDK looks names up this way).</summary>
    private static NeutronException NotFound(string text) => new(404, "LogResourceNotFound", $"Log resource {text} could not be found.");
}
