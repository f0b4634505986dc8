using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/ports</c>: list, show, create, update, delete. The device travels in <c>binding:profile</c>
/// (<c>{"device": "tap:web0@vm-web"}</c>); fixed IPs are <c>{"ip_address": ...}</c>, <c>{"subnet_id": ...}</c> or both
/// (<see cref="PortOperations"/> allocates and checks them against the network's subnets).
/// </summary>
internal static class PortsEndpoints
{
    /// <summary>What the list is built from: the model and the ports' statuses.</summary>
    private static readonly IfNoneMatch.Sources s_listSources = new();

    private static readonly HashSet<string> s_update =
    [
        "name", "description", "admin_state_up", "mac_address", "fixed_ips", "allowed_address_pairs", "security_groups",
        "port_security_enabled", "binding:profile", "network_id", "project_id", "tenant_id",
    ];

    private static readonly HashSet<string> s_create = [.. s_update];
    private static readonly HashSet<string> s_fixedIp = ["ip_address", "subnet_id"];
    private static readonly HashSet<string> s_pair = ["ip_address", "mac_address"];
    private static readonly HashSet<string> s_profile = ["device", "conntrack_limit"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/ports", (HttpContext http) =>
        {
            var context = api.For(http);
            var model = api.Models.Current;
            var statuses = api.Reconciler.Statuses;
            return IfNoneMatch.Answer(http, s_listSources.Of(model, statuses), context, () =>
                ListQuery.Answer("ports", PortOperations.List(model, context).Select(p => ResourceViews.Port(p, statuses, model)), http.Request, NotFound));
        });
        app.MapGet("/v2.0/ports/{id}", (HttpContext http, string id) =>
        {
            var port = PortOperations.Get(api.Models.Current, Id(id), api.For(http));
            return NeutronResults.One("port", ListQuery.Fields(ResourceViews.Port(port, api.Reconciler.Statuses, api.Models.Current), http.Request.Query));
        });
        app.MapPost("/v2.0/ports", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var context = api.For(http);
            if (RequestBody.Bulk(document, "ports", "port", s_create) is { } many)
            {
                var requests = many.Select(Read).ToList();
                var ports = api.Models.Execute(model => BulkCreate.All(model, requests, (m, r) => PortOperations.Create(m, r, context)));
                var statuses = api.Reconciler.Statuses;
                return NeutronResults.Many("ports", ports.Select(p => ResourceViews.Port(p, statuses, api.Models.Current)), StatusCodes.Status201Created);
            }
            var request = Read(RequestBody.Envelope(document, "port", s_create));
            var port = api.Models.Execute(model => PortOperations.Create(model, request, context));
            return NeutronResults.One("port", ResourceViews.Port(port, api.Reconciler.Statuses, api.Models.Current), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/ports/{id}", async (HttpContext http, string id) =>
        {
            var portId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "port", s_update));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var port = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, PortOperations.Get(model, portId, context).RevisionNumber);
                return PortOperations.Update(model, portId, request, context);
            });
            return NeutronResults.One("port", ResourceViews.Port(port, api.Reconciler.Statuses, api.Models.Current));
        });
        app.MapDelete("/v2.0/ports/{id}", (HttpContext http, string id) =>
        {
            var portId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, PortOperations.Get(model, portId, context).RevisionNumber);
                return PortOperations.Delete(model, portId, context);
            });
            return Results.NoContent();
        });
    }

    private static PortBody Read(RequestBody body)
    {
        var fixedIps = body.ObjectList("fixed_ips", s_fixedIp)?.Select(ip => new FixedIpBody(ip.String("ip_address", nullable: true), SubnetId(ip))).ToList();
        var pairs = body.ObjectList("allowed_address_pairs", s_pair)?
            .Select(p => new AllowedAddressPairBody(p.String("ip_address"), p.String("mac_address", nullable: true)))
            .ToList();
        var profile = body.Object("binding:profile", s_profile);
        var device = profile is null ? null : profile.String("device") ?? "";
        var conntrackLimit = profile?.Int("conntrack_limit");
        return new PortBody(
            Name: body.String("name"),
            NetworkId: body.Uuid("network_id"),
            Device: device,
            MacAddress: body.String("mac_address"),
            AdminStateUp: body.Bool("admin_state_up"),
            FixedIps: fixedIps,
            AllowedAddressPairs: pairs,
            SecurityGroups: body.UuidList("security_groups"),
            PortSecurityEnabled: body.Bool("port_security_enabled"),
            Description: body.String("description"),
            ProjectId: body.Project(),
            ConntrackLimit: conntrackLimit,
            ResetConntrackLimit: profile is not null && conntrackLimit is null);
    }

    /// <summary>A <c>fixed_ips</c> entry's <c>subnet_id</c> (absent or null: none); a malformed one is the entry's 400.</summary>
    private static Guid? SubnetId(RequestBody entry)
    {
        var text = entry.String("subnet_id", nullable: true);
        return text is null ? null
            : Guid.TryParse(text, out var id) ? id
            : throw NeutronErrors.InvalidAttribute("fixed_ips", $"'{text}' is not a valid UUID");
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    /// <summary>The 404 for a path id or a list's marker (a text that is not a UUID is "not found" too, as the OpenStack SDK looks names up this way).</summary>
    internal static NeutronException NotFound(string text) => new(404, "PortNotFound", $"Port {text} could not be found.");
}
