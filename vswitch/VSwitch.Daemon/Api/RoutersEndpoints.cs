using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/routers</c>: list, show, create, update, delete; <c>PUT .../add_router_interface</c> and
/// <c>.../remove_router_interface</c> (by <c>subnet_id</c> or <c>port_id</c>); <c>PUT .../add_extraroutes</c> and
/// <c>.../remove_extraroutes</c> (extraroute-atomic: routes added to or removed from the current set in one change).
/// See <see cref="RouterOperations"/>.
/// </summary>
internal static class RoutersEndpoints
{
    private static readonly HashSet<string> s_create =
    [
        "name", "description", "admin_state_up", "routes", "external_gateway_info", "project_id", "tenant_id",
        "distributed", "ha", "availability_zone_hints", "flavor_id",
    ];

    private static readonly HashSet<string> s_route = ["destination", "nexthop"];
    private static readonly HashSet<string> s_routesOnly = ["routes"];
    private static readonly HashSet<string> s_interface = ["subnet_id", "port_id"];
    private static readonly HashSet<string> s_gateway = ["network_id", "enable_snat", "external_fixed_ips", "qos_policy_id"];
    private static readonly HashSet<string> s_fixedIp = ["subnet_id", "ip_address"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/routers", (HttpContext http) =>
            ListQuery.Answer("routers", RouterOperations.List(api.Models.Current, api.For(http)).Select(r => ResourceViews.Router(r, api.Models.Current)), http.Request, NotFound));
        app.MapGet("/v2.0/routers/{id}", (HttpContext http, string id) =>
            NeutronResults.One("router", ListQuery.Fields(ResourceViews.Router(RouterOperations.Get(api.Models.Current, Id(id), api.For(http)), api.Models.Current), http.Request.Query)));
        app.MapPost("/v2.0/routers", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "router", s_create));
            var context = api.For(http);
            var router = api.Models.Execute(model => RouterOperations.Create(model, request, context));
            return NeutronResults.One("router", ResourceViews.Router(router, api.Models.Current), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/routers/{id}", async (HttpContext http, string id) =>
        {
            var routerId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "router", s_create));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var router = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, RouterOperations.Get(model, routerId, context).RevisionNumber);
                return RouterOperations.Update(model, routerId, request, context);
            });
            return NeutronResults.One("router", ResourceViews.Router(router, api.Models.Current));
        });
        app.MapDelete("/v2.0/routers/{id}", (HttpContext http, string id) =>
        {
            var routerId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, RouterOperations.Get(model, routerId, context).RevisionNumber);
                return RouterOperations.Delete(model, routerId, context);
            });
            return Results.NoContent();
        });
        app.MapPut("/v2.0/routers/{id}/add_router_interface", (HttpContext http, string id) =>
            Interface(http, api, Id(id), RouterOperations.AddInterface));
        app.MapPut("/v2.0/routers/{id}/remove_router_interface", (HttpContext http, string id) =>
            Interface(http, api, Id(id), RouterOperations.RemoveInterface));
        app.MapPut("/v2.0/routers/{id}/add_extraroutes", (HttpContext http, string id) => ExtraRoutes(http, api, Id(id), add: true));
        app.MapPut("/v2.0/routers/{id}/remove_extraroutes", (HttpContext http, string id) => ExtraRoutes(http, api, Id(id), add: false));
    }

    private delegate ModelChange<RouterInterfaceInfo> InterfaceChange(SwitchModel model, Guid routerId, Guid? subnetId, Guid? portId, OperationContext context);

    /// <summary>The interface calls take a bare object (<c>{"subnet_id": ...}</c>), not an envelope, and answer one too.</summary>
    private static async Task<IResult> Interface(HttpContext http, ApiContext api, Guid routerId, InterfaceChange change)
    {
        using var document = await RequestBody.ReadDocumentAsync(http.Request);
        var body = RequestBody.Checked(document.RootElement, "router interface", s_interface);
        var subnetId = body.Uuid("subnet_id");
        var portId = body.Uuid("port_id");
        var context = api.For(http);
        var info = api.Models.Execute(model => change(model, routerId, subnetId, portId, context));
        return NeutronResults.Json(new JsonObject
        {
            ["id"] = info.RouterId.ToString(),
            ["port_id"] = info.PortId.ToString(),
            ["subnet_id"] = info.SubnetId.ToString(),
            ["subnet_ids"] = new JsonArray(JsonValue.Create(info.SubnetId.ToString())),
            ["network_id"] = info.NetworkId.ToString(),
            ["project_id"] = info.ProjectId.Value,
            ["tenant_id"] = info.ProjectId.Value,
        });
    }

    private static async Task<IResult> ExtraRoutes(HttpContext http, ApiContext api, Guid routerId, bool add)
    {
        using var document = await RequestBody.ReadDocumentAsync(http.Request);
        var routes = Routes(RequestBody.Envelope(document, "router", s_routesOnly)) ?? throw NeutronErrors.MissingAttribute("routes");
        var context = api.For(http);
        var router = api.Models.Execute(model =>
        {
            var current = RouterOperations.Get(model, routerId, context).Routes
                .Select(r => ((string?)r.Destination.ToString(), (string?)r.NextHop.AddressText)).ToList();
            var next = add
                ? [.. current, .. routes]
                : current.Where(r => !routes.Any(x => Same(x, r))).ToList();
            return RouterOperations.Update(model, routerId, new RouterBody(Routes: next), context);
        });
        return NeutronResults.One("router", ResourceViews.Router(router, api.Models.Current));
    }

    /// <summary>Two routes given as text name the same route (a destination's host bits and spelling do not matter).</summary>
    private static bool Same((string? Destination, string? NextHop) a, (string? Destination, string? NextHop) b) =>
        IpPrefix.TryParse(a.Destination, out var ad) && IpPrefix.TryParse(b.Destination, out var bd) && ad.Network == bd.Network
        && IpPrefix.TryParseHost(a.NextHop, out var an) && IpPrefix.TryParseHost(b.NextHop, out var bn) && an == bn;

    private static RouterBody Read(RequestBody body)
    {
        GatewayBody? gateway = null;
        var clear = false;
        if (body.Resource.TryGetProperty("external_gateway_info", out var g))
        {
            if (g.ValueKind == JsonValueKind.Null || (g.ValueKind == JsonValueKind.Object && !g.EnumerateObject().Any()))
            {
                clear = true;
            }
            else
            {
                var info = body.Object("external_gateway_info", s_gateway)!;
                gateway = new GatewayBody(info.Uuid("network_id"), info.Bool("enable_snat"),
                    info.ObjectList("external_fixed_ips", s_fixedIp)?.Select(f => new FixedIpBody(f.String("ip_address"), f.Uuid("subnet_id"))).ToList());
            }
        }
        return new RouterBody(
            Name: body.String("name"),
            Description: body.String("description"),
            AdminStateUp: body.Bool("admin_state_up"),
            Routes: Routes(body),
            Gateway: gateway,
            ClearGateway: clear,
            ProjectId: body.Project());
    }

    /// <summary>The <c>routes</c> as (destination, nexthop) texts; JSON null is no routes.</summary>
    private static List<(string? Destination, string? NextHop)>? Routes(RequestBody body)
    {
        if (body.Resource.TryGetProperty("routes", out var value) && value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        return body.ObjectList("routes", s_route)?.Select(r => (r.String("destination"), r.String("nexthop"))).ToList();
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    internal static NeutronException NotFound(string text) => new(404, "RouterNotFound", $"Router {text} could not be found.");
}
