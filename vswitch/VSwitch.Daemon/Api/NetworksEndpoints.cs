using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary><c>/v2.0/networks</c>: list, show, create (one, or in bulk, all or nothing), update (name, description, admin_state_up, mtu), delete.</summary>
internal static class NetworksEndpoints
{
    private static readonly HashSet<string> s_create = ["name", "description", "admin_state_up", "project_id", "tenant_id", "shared", "mtu", "vlan_transparent", "router:external"];
    private static readonly HashSet<string> s_update = ["name", "description", "admin_state_up", "project_id", "tenant_id", "mtu", "vlan_transparent", "router:external"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/networks", (HttpContext http) =>
        {
            var context = api.For(http);
            var model = api.Models.Current;
            return ListQuery.Answer("networks", NetworkOperations.List(model, context).Select(n => ResourceViews.Network(n, model)), http.Request, NotFound);
        });
        app.MapGet("/v2.0/networks/{id}", (HttpContext http, string id) =>
        {
            var network = NetworkOperations.Get(api.Models.Current, Id(id), api.For(http));
            return NeutronResults.One("network", ListQuery.Fields(ResourceViews.Network(network, api.Models.Current), http.Request.Query));
        });
        app.MapPost("/v2.0/networks", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var context = api.For(http);
            if (RequestBody.Bulk(document, "networks", "network", s_create) is { } many)
            {
                var requests = many.Select(ReadCreate).ToList();
                var networks = api.Models.Execute(model => BulkCreate.All(model, requests, (m, r) => NetworkOperations.Create(m, r, context)));
                return NeutronResults.Many("networks", networks.Select(n => ResourceViews.Network(n, api.Models.Current)), StatusCodes.Status201Created);
            }
            var request = ReadCreate(RequestBody.Envelope(document, "network", s_create));
            var network = api.Models.Execute(model => NetworkOperations.Create(model, request, context));
            return NeutronResults.One("network", ResourceViews.Network(network, api.Models.Current), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/networks/{id}", async (HttpContext http, string id) =>
        {
            var networkId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "network", s_update));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var network = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, NetworkOperations.Get(model, networkId, context).RevisionNumber);
                return NetworkOperations.Update(model, networkId, request, context);
            });
            return NeutronResults.One("network", ResourceViews.Network(network, api.Models.Current));
        });
        app.MapDelete("/v2.0/networks/{id}", (HttpContext http, string id) =>
        {
            var networkId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, NetworkOperations.Get(model, networkId, context).RevisionNumber);
                return NetworkOperations.Delete(model, networkId, context);
            });
            return Results.NoContent();
        });
    }

    private static NetworkBody ReadCreate(RequestBody body) => body.Bool("shared") == true
        ? throw NeutronErrors.InvalidAttribute("shared", "shared networks are not supported")
        : Read(body);

    private static NetworkBody Read(RequestBody body) =>
        new(body.String("name"), body.Bool("admin_state_up"), body.String("description"), body.Project(), body.Int("mtu"), body.Bool("vlan_transparent"),
            body.Bool("router:external"));

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    /// <summary>The 404 for a path id or a list's marker (a text that is not a UUID is "not found" too, as the OpenStack SDK looks names up this way).</summary>
    internal static NeutronException NotFound(string text) => new(404, "NetworkNotFound", $"Network {text} could not be found.");
}
